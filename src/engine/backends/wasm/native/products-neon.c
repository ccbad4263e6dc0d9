// The WebAssembly kernels' matrix products as native ARM64 code (NEON). The vectors are as wide as
// WebAssembly's (4 floats), but native code has a fused multiply-add by vector lane, 32 vector
// registers (an 8 x 8 register block of accumulators where WebAssembly holds 4 x 8) and no bounds
// checks on its loads.
//
// The same entry points, arguments and packed formats as products.c (see there and
// kernels/gemm.c): byte offsets into the kernels' shared memory after its base address; right-hand
// panels of NR = 8 columns, [k][8]. The loop nests are gemm.c's (kernels/blocked.h), so every
// output element is summed in the same order (k from 0 in blocks of KC, one fused multiply-add per
// k) whatever the tile and the thread count.
//
// Built by scripts/build-native.sh with aarch64-linux-gnu-gcc (or cc on an ARM64 machine) as
// dist/products-linux-arm64.so. NEON is part of every ARM64 CPU, so nothing is detected at run time.
#include <arm_neon.h>
#include <stdint.h>

#include "../kernels/blocking.h" // NR, KC, MC, NC, GEMV_CACHED_BYTES: gemm.c's own

// Register block: 8 rows x 8 columns, 16 accumulators; left-hand blocks of MC rows.
#define MR 8
_Static_assert(MC % MR == 0, "left-hand blocks must be whole register blocks");

typedef uint64_t Base;
typedef uint32_t Off;
#define F(off) ((float *)(uintptr_t)(base + (off)))

static inline int imin(int a, int b) { return a < b ? a : b; }

// 1: NEON (products.c answers 2 for AVX2 and 3 for AVX-512; 0 would mean none).
int rl_products_supported(void) { return 1; }

// products.c's limit to AVX2: nothing to limit here.
void rl_products_limit_to_avx2(void) {}

// A(i,k) = tA ? A[k*lda+i] : A[i*lda+k]; packed as [panel of MR rows][k][MR], ragged rows zeroed.
static void pack_a(int tA, const float *A, int lda, int mc, int kc, float *pa) {
  for (int ip = 0; ip < mc; ip += MR) {
    int mr = imin(MR, mc - ip);
    if (mr == MR && tA) {
      for (int k = 0; k < kc; k++) {
        vst1q_f32(pa + k * MR, vld1q_f32(A + k * lda + ip));
        vst1q_f32(pa + k * MR + 4, vld1q_f32(A + k * lda + ip + 4));
      }
    } else if (mr == MR) {
      // Four k at a time: two 4 x 4 transposes (rows 0-3 and 4-7).
      const float *rows = A + ip * lda;
      int k = 0;
      for (; k + 4 <= kc; k += 4) {
        for (int half = 0; half < 2; half++) {
          const float *r = rows + 4 * half * lda + k;
          float32x4x4_t t = {{vld1q_f32(r), vld1q_f32(r + lda), vld1q_f32(r + 2 * lda), vld1q_f32(r + 3 * lda)}};
          // vst4q interleaves: element j of each row lands in consecutive floats, i.e. column j of the block.
          float tmp[16];
          vst4q_f32(tmp, t);
          for (int j = 0; j < 4; j++) vst1q_f32(pa + (k + j) * MR + 4 * half, vld1q_f32(tmp + 4 * j));
        }
      }
      for (; k < kc; k++)
        for (int r = 0; r < MR; r++) pa[k * MR + r] = rows[r * lda + k];
    } else {
      for (int k = 0; k < kc; k++)
        for (int r = 0; r < MR; r++) pa[k * MR + r] = r < mr ? (tA ? A[k * lda + ip + r] : A[(ip + r) * lda + k]) : 0.f;
    }
    pa += kc * MR;
  }
}

// gemm.c's pack_b: B(k,j) = tB ? B[j*ldb+k] : B[k*ldb+j]; [panel of NR columns][k][NR], panels
// `panel_stride` x NR floats apart, ragged columns zeroed.
static void pack_b(int tB, const float *B, int ldb, int kc, int nc, float *pb, int panel_stride) {
  for (int jp = 0; jp < nc; jp += NR) {
    int nr = imin(NR, nc - jp);
    if (nr == NR && !tB) {
      for (int k = 0; k < kc; k++) {
        vst1q_f32(pb + k * NR, vld1q_f32(B + k * ldb + jp));
        vst1q_f32(pb + k * NR + 4, vld1q_f32(B + k * ldb + jp + 4));
      }
    } else {
      for (int k = 0; k < kc; k++)
        for (int j = 0; j < NR; j++) pb[k * NR + j] = j < nr ? (tB ? B[(jp + j) * ldb + k] : B[k * ldb + jp + j]) : 0.f;
    }
    pb += panel_stride * NR;
  }
}

// C[mr x nr] (+)= packed A panel (8 rows) . packed B panel (8 columns) over kc: 16 accumulators,
// each row's two vectors multiplied by one lane of the A vector that holds it.
#define ROW(i, a, lane)                              \
  c##i##0 = vfmaq_laneq_f32(c##i##0, b0, a, lane); \
  c##i##1 = vfmaq_laneq_f32(c##i##1, b1, a, lane)
static void micro_kernel(int kc, const float *pa, const float *pb, float *C, int ldc, int acc, int mr, int nr) {
  float32x4_t c00 = vdupq_n_f32(0.f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  float32x4_t c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
  for (int k = 0; k < kc; k++, pa += MR, pb += NR) {
    float32x4_t b0 = vld1q_f32(pb), b1 = vld1q_f32(pb + 4);
    float32x4_t a0 = vld1q_f32(pa), a1 = vld1q_f32(pa + 4);
    ROW(0, a0, 0); ROW(1, a0, 1); ROW(2, a0, 2); ROW(3, a0, 3);
    ROW(4, a1, 0); ROW(5, a1, 1); ROW(6, a1, 2); ROW(7, a1, 3);
  }
  float32x4_t c[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
  if (mr == MR && nr == NR) {
    for (int i = 0; i < MR; i++) {
      float *row = C + i * ldc;
      float32x4_t v0 = c[i][0], v1 = c[i][1];
      if (acc) {
        v0 = vaddq_f32(v0, vld1q_f32(row));
        v1 = vaddq_f32(v1, vld1q_f32(row + 4));
      }
      vst1q_f32(row, v0);
      vst1q_f32(row + 4, v1);
    }
    return;
  }
  float t[MR][NR];
  for (int i = 0; i < MR; i++) {
    vst1q_f32(t[i], c[i][0]);
    vst1q_f32(t[i] + 4, c[i][1]);
  }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) C[i * ldc + j] = acc ? C[i * ldc + j] + t[i][j] : t[i][j];
}
#undef ROW

// One (mc x nc) block of C from a packed A block and packed B panels (`panel_stride` k rows apart).
static void block_multiply(int mc, int nc, int kc, const float *pa, const float *pb, int panel_stride, float *C,
                           int ldc, int acc) {
  for (int jr = 0; jr < nc; jr += NR) {
    int nr = imin(NR, nc - jr);
    const float *panel = pb + (jr / NR) * panel_stride * NR;
    for (int ir = 0; ir < mc; ir += MR) micro_kernel(kc, pa + ir * kc, panel, C + ir * ldc + jr, ldc, acc, imin(MR, mc - ir), nr);
  }
}

// gemm.c's loop nests (kernels/blocked.h) over this file's packing and register block.
#define BLOCKED_ATTR
#define BLOCKED_MC MC
#define BLOCKED_PACK_A pack_a
#include "../kernels/blocked.h"

void rl_sgemm(Base base, int tA, int tB, int M, int N, int K, Off a, int lda, Off b, int ldb, Off c, int ldc, int beta,
              Off pa, Off pb) {
  blocked_sgemm(tA, tB, M, N, K, F(a), lda, F(b), ldb, F(c), ldc, beta, F(pa), F(pb));
}

void rl_sgemm_packed(Base base, int tA, int M, int N, int K, Off a, int lda, Off pb_full, Off c, int ldc, int beta,
                     Off pa) {
  blocked_sgemm_packed(tA, M, N, K, F(a), lda, F(pb_full), F(c), ldc, beta, F(pa));
}

void rl_gates_product(Base base, int M, int K, Off a, int lda, Off pu, int H, int G, int u0, int u1, Off c, int ldc,
                      int beta, Off pa) {
  blocked_gates_product(M, K, F(a), lda, F(pu), H, G, u0, u1, F(c), ldc, beta, F(pa));
}

// ---- the batch-1 column walk and the LSTM's element-wise step (width.inc.h, at 4 lanes) ----
typedef float v4f __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));
#define V v4f
#define VI v4i
#define W 4
#define FN(name) name##_neon
#include "width.inc.h"

// y[0:N] += x[0:K] . W, one row of W at a time, so W is read in memory order.
static void gemv_rows(const float *x, int K, const float *w, int ldw, int N, float *y) {
  for (int k = 0; k < K; k++, w += ldw) {
    float32x4_t xk = vdupq_n_f32(x[k]);
    int j = 0;
    for (; j + 4 <= N; j += 4) vst1q_f32(y + j, vfmaq_f32(vld1q_f32(y + j), xk, vld1q_f32(w + j)));
    for (; j < N; j++) y[j] = __builtin_fmaf(x[k], w[j], y[j]);
  }
}

// gemm.c's gemv: y[0:N] (+)= x[0:K] . W (row stride ldw). A W that stays in the L2 cache is
// walked 32 columns at a time (y never leaves registers); a larger one streams in row order.
static void gemv(const float *x, int K, const float *w, int ldw, int N, float *y, int beta) {
  int j = 0;
  if ((long long)K * ldw * 4 <= GEMV_CACHED_BYTES)
    for (; j + 32 <= N; j += 32) gemv_cols_neon(x, K, w + j, ldw, y + j, beta);
  if (j < N) {
    if (!beta)
      for (int i = j; i < N; i++) y[i] = 0.f;
    gemv_rows(x, K, w + j, ldw, N - j, y + j);
  }
}

void rl_gemv(Base base, Off x, int K, Off w, int ldw, int N, Off y, int beta) { gemv(F(x), K, F(w), ldw, N, F(y), beta); }

#define NULLABLE(off) ((off) ? F(off) : (float *)0)

// cells.c's lstm_forward (tc may be null).
void rl_lstm_forward(Base base, Off g, Off bias, Off c_prev, int ldcp, Off c, int ldc, Off tc, Off h, int ldh, int rows,
                     int H, int u0, int u1) {
  lstm_forward_neon(F(g), F(bias), F(c_prev), ldcp, F(c), ldc, NULLABLE(tc), F(h), ldh, rows, H, u0, u1);
}

// cells.c's lstm_backward.
void rl_lstm_backward(Base base, Off g, Off c_prev, Off tc, Off dh, Off dc, Off dg, int rows, int H, int u0, int u1) {
  lstm_backward_neon(F(g), F(c_prev), F(tc), F(dh), F(dc), F(dg), rows, H, u0, u1);
}

// One LSTM layer's batch-1 step in one call (products.c's rl_lstm_step).
void rl_lstm_step(Base base, Off state, int H, Off u, Off g, Off bias) {
  float *h = F(state), *c = h + H;
  gemv(h, H, F(u), 4 * H, 4 * H, F(g), 1);
  lstm_forward_neon(F(g), F(bias), c, 0, c, 0, 0, h, 0, 1, H, 0, H);
}

// The base address of the kernels' memory, from a view of it (koffi passes a typed array's data pointer).
uint64_t rl_address_of(const void *p) { return (uint64_t)(uintptr_t)p; }
