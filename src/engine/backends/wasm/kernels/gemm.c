// Cache-blocked single-precision matrix multiply for wasm32 + SIMD128: a 4x8 register block over
// packed panels (a 6x8 block spills registers in V8). Also the matrix-vector product the batch-1
// stepper uses, and the small vector routines the driver needs.
#include "kernels.h"

// The same products as native code (native/products.c: AVX2 + FMA, AVX-512 where the CPU has it;
// native/products-neon.c), imported from the host and used when it sets `native_products`
// (index.ts, where the library loads); cells.c's LSTM step follows the same switch. With
// PRODUCTS_LARGE (a CBLAS library: cblas.ts) only sgemm and gemv are imported.
// Pointers cross as offsets into this memory; the host adds its base address.
NATIVE(native_sgemm) void native_sgemm(int tA, int tB, int M, int N, int K, const float *A, int lda, const float *B,
                                       int ldb, float *C, int ldc, int beta, float *pa, float *pb);
NATIVE(native_sgemm_packed) void native_sgemm_packed(int tA, int M, int N, int K, const float *A, int lda,
                                                     const float *pb_full, float *C, int ldc, int beta, float *pa);
NATIVE(native_gates_product) void native_gates_product(int M, int K, const float *A, int lda, const float *pu, int H,
                                                       int G, int u0, int u1, float *C, int ldc, int beta, float *pa);
NATIVE(native_gemv) void native_gemv(const float *x, int K, const float *W, int ldw, int N, float *y, int beta);
// 0, PRODUCTS_ALL or PRODUCTS_LARGE. In the shared memory, so one store serves every thread's instance.
static int native_products;
void set_native_products(int mode) { native_products = mode; }
int native_products_on(void) { return native_products == PRODUCTS_ALL; }

// Writes the transpose of the 4x4 block at src (rows ld apart) as four rows s apart at dst.
static inline void transpose4x4(const float *src, int ld, float *dst, int s) {
  f4 a = load4(src), b = load4(src + ld), c = load4(src + 2 * ld), d = load4(src + 3 * ld);
  f4 ab_lo = __builtin_shufflevector(a, b, 0, 4, 1, 5), ab_hi = __builtin_shufflevector(a, b, 2, 6, 3, 7);
  f4 cd_lo = __builtin_shufflevector(c, d, 0, 4, 1, 5), cd_hi = __builtin_shufflevector(c, d, 2, 6, 3, 7);
  store4(dst, __builtin_shufflevector(ab_lo, cd_lo, 0, 1, 4, 5));
  store4(dst + s, __builtin_shufflevector(ab_lo, cd_lo, 2, 3, 6, 7));
  store4(dst + 2 * s, __builtin_shufflevector(ab_hi, cd_hi, 0, 1, 4, 5));
  store4(dst + 3 * s, __builtin_shufflevector(ab_hi, cd_hi, 2, 3, 6, 7));
}

// A(i,k) = tA ? A[k*lda+i] : A[i*lda+k]; packed as [panel of MR rows][k][MR], ragged rows zeroed.
static void pack_a(int tA, const float *A, int lda, int mc, int kc, float *pa) {
  for (int ip = 0; ip < mc; ip += MR) {
    int mr = imin(MR, mc - ip);
    if (mr == MR && tA) {
      for (int k = 0; k < kc; k++) store4(pa + k * MR, load4(A + k * lda + ip));
    } else if (mr == MR) {
      const float *rows = A + ip * lda;
      int k = 0;
      for (; k + 4 <= kc; k += 4) transpose4x4(rows + k, lda, pa + k * MR, MR);
      for (; k < kc; k++)
        for (int r = 0; r < MR; r++) pa[k * MR + r] = rows[r * lda + k];
    } else {
      for (int k = 0; k < kc; k++)
        for (int r = 0; r < MR; r++)
          pa[k * MR + r] = r < mr ? (tA ? A[k * lda + ip + r] : A[(ip + r) * lda + k]) : 0.f;
    }
    pa += kc * MR;
  }
}

// B(k,j) = tB ? B[j*ldb+k] : B[k*ldb+j]; packed as [panel of NR columns][k][NR], ragged columns zeroed.
// `panel_stride` is the distance between panels (kc for a KC block, the whole K for a full packing).
static void pack_b(int tB, const float *B, int ldb, int kc, int nc, float *pb, int panel_stride) {
  for (int jp = 0; jp < nc; jp += NR) {
    int nr = imin(NR, nc - jp);
    if (nr == NR && !tB) {
      for (int k = 0; k < kc; k++) {
        store4(pb + k * NR, load4(B + k * ldb + jp));
        store4(pb + k * NR + 4, load4(B + k * ldb + jp + 4));
      }
    } else if (nr == NR) {
      // Transposed: column j of the panel is row jp + j of B; two 4x4 transposes per 4 k.
      const float *rows = B + jp * ldb;
      int k = 0;
      for (; k + 4 <= kc; k += 4) {
        transpose4x4(rows + k, ldb, pb + k * NR, NR);
        transpose4x4(rows + 4 * ldb + k, ldb, pb + k * NR + 4, NR);
      }
      for (; k < kc; k++)
        for (int j = 0; j < NR; j++) pb[k * NR + j] = rows[j * ldb + k];
    } else {
      for (int k = 0; k < kc; k++)
        for (int j = 0; j < NR; j++)
          pb[k * NR + j] = j < nr ? (tB ? B[(jp + j) * ldb + k] : B[k * ldb + jp + j]) : 0.f;
    }
    pb += panel_stride * NR;
  }
}

// C[4x8] (+)= packed A panel . packed B panel over kc. Eight accumulators: V8 (11.x) spills
// registers in this loop with more (6x8, 5x8, 4x12 and unrolled-k variants were all slower).
static void micro_kernel(int kc, const float *pa, const float *pb, float *C, int ldc, int acc) {
  f4 c00 = SPLAT(0.f), c01 = SPLAT(0.f), c10 = SPLAT(0.f), c11 = SPLAT(0.f);
  f4 c20 = SPLAT(0.f), c21 = SPLAT(0.f), c30 = SPLAT(0.f), c31 = SPLAT(0.f);
  for (int k = 0; k < kc; k++) {
    f4 b0 = load4(pb), b1 = load4(pb + 4), a;
    a = (f4)wasm_v128_load32_splat(pa);     c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = (f4)wasm_v128_load32_splat(pa + 1); c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = (f4)wasm_v128_load32_splat(pa + 2); c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = (f4)wasm_v128_load32_splat(pa + 3); c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    pa += MR;
    pb += NR;
  }
  if (acc) {
    c00 += load4(C); c01 += load4(C + 4);
    c10 += load4(C + ldc); c11 += load4(C + ldc + 4);
    c20 += load4(C + 2 * ldc); c21 += load4(C + 2 * ldc + 4);
    c30 += load4(C + 3 * ldc); c31 += load4(C + 3 * ldc + 4);
  }
  store4(C, c00); store4(C + 4, c01);
  store4(C + ldc, c10); store4(C + ldc + 4, c11);
  store4(C + 2 * ldc, c20); store4(C + 2 * ldc + 4, c21);
  store4(C + 3 * ldc, c30); store4(C + 3 * ldc + 4, c31);
}

static void edge_kernel(int kc, const float *pa, const float *pb, float *C, int ldc, int acc, int mr, int nr) {
  for (int r = 0; r < mr; r++)
    for (int j = 0; j < nr; j++) {
      float s = 0.f;
      for (int k = 0; k < kc; k++) s += pa[k * MR + r] * pb[k * NR + j];
      C[r * ldc + j] = acc ? C[r * ldc + j] + s : s;
    }
}

// One (mc x nc) block of C from a packed A block and packed B panels (panel k-stride NR).
static void block_multiply(int mc, int nc, int kc, const float *pa, const float *pb, int panel_stride,
                           float *C, int ldc, int acc) {
  for (int jr = 0; jr < nc; jr += NR) {
    int nr = imin(NR, nc - jr);
    const float *panel = pb + (jr / NR) * panel_stride * NR;
    for (int ir = 0; ir < mc; ir += MR) {
      int mr = imin(MR, mc - ir);
      float *Cp = C + ir * ldc + jr;
      if (mr == MR && nr == NR) micro_kernel(kc, pa + ir * kc, panel, Cp, ldc, acc);
      else edge_kernel(kc, pa + ir * kc, panel, Cp, ldc, acc, mr, nr);
    }
  }
}

// The loop nests of sgemm, sgemm_packed and gates_product, shared with the native products.
#define BLOCKED_ATTR
#define BLOCKED_MC MC
#define BLOCKED_PACK_A pack_a
#include "blocked.h"

void sgemm(int tA, int tB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
           float *C, int ldc, int beta, float *pa, float *pb) {
  // An empty inner dimension is handled here, once for both products.
  if (K == 0) {
    if (!beta)
      for (int i = 0; i < M; i++) fill(C + i * ldc, 0.f, N);
    return;
  }
  if (native_products) {
    native_sgemm(tA, tB, M, N, K, A, lda, B, ldb, C, ldc, beta, pa, pb);
    return;
  }
  blocked_sgemm(tA, tB, M, N, K, A, lda, B, ldb, C, ldc, beta, pa, pb);
}

int packed_b_floats(int K, int N) { return ((N + NR - 1) / NR) * NR * K; }

void pack_b_full(int tB, const float *B, int ldb, int K, int N, float *pb) { pack_b(tB, B, ldb, K, N, pb, K); }

// C (+)= op(A) . B where B was packed once by pack_b_full (the recurrent matrix, reused every step).
void sgemm_packed(int tA, int M, int N, int K, const float *A, int lda, const float *pb_full, float *C, int ldc,
                  int beta, float *pa) {
  if (native_products == PRODUCTS_ALL) {
    native_sgemm_packed(tA, M, N, K, A, lda, pb_full, C, ldc, beta, pa);
    return;
  }
  blocked_sgemm_packed(tA, M, N, K, A, lda, pb_full, C, ldc, beta, pa);
}

// The recurrent matrix U (K x G*H, gate q's units in columns q*H .. q*H + H - 1) packed gate by
// gate: panel (q, p) holds units p*NR .. p*NR + NR - 1 of gate q over all K, so a thread's units
// [u0, u1) of every gate are G runs of whole panels. Packs panels p0 .. p1 - 1 (of G * ceil(H / NR)).
int packed_gates_floats(int K, int H, int G) { return G * ((H + NR - 1) / NR) * NR * K; }

void pack_gate_panels(const float *U, int K, int H, int G, float *pu, int p0, int p1) {
  int per_gate = (H + NR - 1) / NR;
  for (int p = p0; p < p1; p++) {
    int q = p / per_gate, u = (p % per_gate) * NR;
    pack_b(0, U + q * H + u, G * H, K, imin(NR, H - u), pu + p * K * NR, K);
  }
}

// Panels p0 .. p1 - 1 of pack_b_full(1, B, ldb, K, N, pb): B^T, for a split of the packing among threads.
void pack_bt_panels(const float *B, int ldb, int K, int N, float *pb, int p0, int p1) {
  for (int p = p0; p < p1; p++) pack_b(1, B + p * NR * ldb, ldb, K, imin(NR, N - p * NR), pb + p * K * NR, K);
}

// C[:, units u0 .. u1 - 1 of every gate] (+)= A . U, with U packed by pack_gate_panels and u0 a
// multiple of NR: one thread's columns of the step's h.U. A is packed once for all G gates.
void gates_product(int M, int K, const float *A, int lda, const float *pu, int H, int G, int u0, int u1, float *C,
                   int ldc, int beta, float *pa) {
  if (native_products == PRODUCTS_ALL) {
    native_gates_product(M, K, A, lda, pu, H, G, u0, u1, C, ldc, beta, pa);
    return;
  }
  blocked_gates_product(M, K, A, lda, pu, H, G, u0, u1, C, ldc, beta, pa);
}

int pack_a_floats(void) { return MC * KC; }
int pack_b_floats(void) { return KC * NC; }

// y[0:32] += x[0:K] . W[:, 0:32]: one walk down the rows with y in eight registers.
static void gemv_cols32(const float *x, int K, const float *W, int ldw, float *y) {
  f4 y0 = load4(y), y1 = load4(y + 4), y2 = load4(y + 8), y3 = load4(y + 12);
  f4 y4 = load4(y + 16), y5 = load4(y + 20), y6 = load4(y + 24), y7 = load4(y + 28);
  for (int k = 0; k < K; k++) {
    f4 xk = (f4)wasm_v128_load32_splat(x + k);
    const float *w = W + k * ldw;
    y0 = madd(xk, load4(w), y0); y1 = madd(xk, load4(w + 4), y1);
    y2 = madd(xk, load4(w + 8), y2); y3 = madd(xk, load4(w + 12), y3);
    y4 = madd(xk, load4(w + 16), y4); y5 = madd(xk, load4(w + 20), y5);
    y6 = madd(xk, load4(w + 24), y6); y7 = madd(xk, load4(w + 28), y7);
  }
  store4(y, y0); store4(y + 4, y1); store4(y + 8, y2); store4(y + 12, y3);
  store4(y + 16, y4); store4(y + 20, y5); store4(y + 24, y6); store4(y + 28, y7);
}

// y[0:N] += x[0:K] . W, four rows of W at a time, so W is read in memory order.
static void gemv_rows(const float *x, int K, const float *W, int ldw, int N, float *y) {
  int k = 0;
  for (; k + 4 <= K; k += 4) {
    f4 x0 = SPLAT(x[k]), x1 = SPLAT(x[k + 1]), x2 = SPLAT(x[k + 2]), x3 = SPLAT(x[k + 3]);
    const float *w0 = W + k * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
    int j = 0;
    for (; j + 4 <= N; j += 4)
      store4(y + j, madd(x3, load4(w3 + j), madd(x2, load4(w2 + j), madd(x1, load4(w1 + j), madd(x0, load4(w0 + j), load4(y + j))))));
    for (; j < N; j++) y[j] += x[k] * w0[j] + x[k + 1] * w1[j] + x[k + 2] * w2[j] + x[k + 3] * w3[j];
  }
  for (; k < K; k++) {
    f4 x0 = SPLAT(x[k]);
    const float *w = W + k * ldw;
    int j = 0;
    for (; j + 4 <= N; j += 4) store4(y + j, madd(x0, load4(w + j), load4(y + j)));
    for (; j < N; j++) y[j] += x[k] * w[j];
  }
}

// y[0:N] (+)= x[0:K] . W, W row-major with row stride ldw. A W that stays in cache is walked
// 32 columns at a time (y never leaves registers); a larger one streams from memory, where the
// row-order walk is faster (measured: ~1.2-1.4x either way).
void gemv(const float *x, int K, const float *W, int ldw, int N, float *y, int beta) {
  if (native_products) {
    native_gemv(x, K, W, ldw, N, y, beta);
    return;
  }
  if (!beta) fill(y, 0.f, N);
  int j = 0;
  if ((long long)K * ldw * 4 <= GEMV_CACHED_BYTES)
    for (; j + 32 <= N; j += 32) gemv_cols32(x, K, W + j, ldw, y + j);
  if (j < N) gemv_rows(x, K, W + j, ldw, N - j, y + j);
}

void fill(float *p, float v, int n) {
  for (int j = 0; j < n; j += 4) storen(p + j, SPLAT(v), lanes(j, n));
}

void copy(float *dst, const float *src, int n) {
  for (int j = 0; j < n; j += 4) {
    int m = lanes(j, n);
    storen(dst + j, loadn(src + j, m), m);
  }
}

void add_into(float *dst, const float *src, int n) {
  for (int j = 0; j < n; j += 4) {
    int m = lanes(j, n);
    storen(dst + j, loadn(dst + j, m) + loadn(src + j, m), m);
  }
}

// db[0:N] += sum over rows of D (row stride ld). Row by row, so D is read in memory order (a
// column walk down thousands of rows would touch a new cache line at every step).
void colsum_add(float *db, const float *D, int rows, int N, int ld) {
  for (int r = 0; r < rows; r++) add_into(db, D + r * ld, N);
}
