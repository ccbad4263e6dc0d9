// The WebAssembly kernels' matrix products as native x86-64 code, for machines where the
// WebAssembly engine would otherwise be held to 128-bit SIMD (4 floats per instruction): 8 floats
// with AVX2 and FMA, 16 with AVX-512, which on such cores doubles or quadruples the products' rate.
//
// The kernels call these through an import (see kernels/gemm.c): every pointer is a byte offset
// into the kernels' shared WebAssembly memory, whose fixed base address comes first. The packed
// right-hand panels are the kernels' own format (gemm.c: panels of NR = 8 columns, [k][8]), so a
// matrix packed once by the WebAssembly side (the recurrent U) is read here as it is.
//
// Every output element is summed in the same order whatever the tile it is computed in and
// whatever the width (k from 0 in blocks of KC, one fused multiply-add per k), so the team's split
// of a product among its threads leaves the results unchanged, as it does for the WebAssembly
// products, and AVX2 and AVX-512 give the same bits.
//
// Also the batch-1 matrix-vector product and the LSTM's element-wise step (width.inc.h), which the
// same switch moves here.
//
// Built by scripts/build-native.sh as dist/products-linux-x64.so, and with mingw-w64 as
// dist/products-win32-x64.dll. Compiled for any x86-64: the vector code sits behind target
// attributes, and rl_products_supported() says what this CPU has (libgcc's CPUID check, which also
// asks the OS, through XGETBV, whether it saves the AVX and AVX-512 registers; the same on
// Windows). Every export is a plain C function of integer arguments, which koffi calls in the
// platform's one x86-64 convention (System V on Linux, Microsoft's on Windows: the compiler
// follows the target, koffi the platform).
#include <immintrin.h>
#include <stdint.h>

#include "../kernels/blocking.h" // NR, KC, MC, NC, GEMV_CACHED_BYTES: gemm.c's own

// Register blocks: AVX2 6 x 16 outputs (12 of the 16 ymm registers); AVX-512 8 x 32 (16 of the
// 32 zmm registers). Left-hand blocks of MC256 or MC512 rows, a multiple of the block's rows that
// fits the MC x KC packing buffer.
#define MR 6
#define MC256 120
#define MR512 8
#define MC512 128
_Static_assert(MC256 <= MC && MC512 <= MC && MC256 % MR == 0 && MC512 % MR512 == 0, "left-hand blocks must fit the packing buffer");

#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f,avx2,fma")))

typedef uint64_t Base;
typedef uint32_t Off;
#define F(off) ((float *)(uintptr_t)(base + (off)))

static inline int imin(int a, int b) { return a < b ? a : b; }

// 0: neither; 2: AVX2 + FMA; 3: AVX-512 as well; -1 until the first call of
// rl_products_supported. One per process: every thread that loads the library (each worker does)
// shares it, and a limit set once holds for all of them.
static int level = -1;

int rl_products_supported(void) {
  int current = __atomic_load_n(&level, __ATOMIC_SEQ_CST);
  if (current >= 0) return current;
  __builtin_cpu_init();
  int detected = !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 0 : __builtin_cpu_supports("avx512f") ? 3 : 2;
  // Only the first caller's detection lands, so a limit set meanwhile is not undone.
  __atomic_compare_exchange_n(&level, &current, detected, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return __atomic_load_n(&level, __ATOMIC_SEQ_CST);
}

// Keeps the products to AVX2 on a CPU with AVX-512 (tests compare the two; a slow 512-bit unit).
void rl_products_limit_to_avx2(void) {
  if (rl_products_supported() > 2) __atomic_store_n(&level, 2, __ATOMIC_SEQ_CST);
}

// Writes the transpose of the 8 x 8 block at src (rows ld apart) as eight rows of 8 at dst.
AVX2 static inline void transpose8x8(const float *src, int ld, float *dst) {
  __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ld), r2 = _mm256_loadu_ps(src + 2 * ld);
  __m256 r3 = _mm256_loadu_ps(src + 3 * ld), r4 = _mm256_loadu_ps(src + 4 * ld), r5 = _mm256_loadu_ps(src + 5 * ld);
  __m256 r6 = _mm256_loadu_ps(src + 6 * ld), r7 = _mm256_loadu_ps(src + 7 * ld);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3);
  __m256 t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + 8, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 16, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 24, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 32, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 40, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 48, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 56, _mm256_permute2f128_ps(u3, u7, 0x31));
}

// A(i,k) = tA ? A[k*lda+i] : A[i*lda+k]; packed as [panel of mr rows][k][mr], ragged rows zeroed.
// Whole panels of 8 (AVX-512) or 6 (AVX2) rows move as vectors.
AVX2 static void pack_a(int tA, const float *A, int lda, int mc, int kc, float *pa, int mr_block) {
  for (int ip = 0; ip < mc; ip += mr_block) {
    int mr = imin(mr_block, mc - ip);
    if (mr == 8 && mr_block == 8 && tA) {
      for (int k = 0; k < kc; k++) _mm256_storeu_ps(pa + k * 8, _mm256_loadu_ps(A + k * lda + ip));
    } else if (mr == 8 && mr_block == 8) {
      const float *rows = A + ip * lda;
      int k = 0;
      for (; k + 8 <= kc; k += 8) transpose8x8(rows + k, lda, pa + k * 8);
      for (; k < kc; k++)
        for (int r = 0; r < 8; r++) pa[k * 8 + r] = rows[r * lda + k];
    } else if (mr == 6 && mr_block == 6 && tA) {
      for (int k = 0; k < kc; k++) {
        const float *src = A + k * lda + ip;
        _mm_storeu_ps(pa + k * 6, _mm_loadu_ps(src));
        _mm_storel_pi((__m64 *)(pa + k * 6 + 4), _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(src + 4)));
      }
    } else if (mr == 6 && mr_block == 6) {
      // Four k at a time: rows 0-3 by a 4x4 transpose, rows 4-5 interleaved in pairs.
      const float *rows = A + ip * lda;
      int k = 0;
      for (; k + 4 <= kc; k += 4) {
        __m128 r0 = _mm_loadu_ps(rows + k), r1 = _mm_loadu_ps(rows + lda + k);
        __m128 r2 = _mm_loadu_ps(rows + 2 * lda + k), r3 = _mm_loadu_ps(rows + 3 * lda + k);
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        __m128 r4 = _mm_loadu_ps(rows + 4 * lda + k), r5 = _mm_loadu_ps(rows + 5 * lda + k);
        __m128 lo = _mm_unpacklo_ps(r4, r5), hi = _mm_unpackhi_ps(r4, r5);
        float *dst = pa + k * 6;
        _mm_storeu_ps(dst, r0);
        _mm_storel_pi((__m64 *)(dst + 4), lo);
        _mm_storeu_ps(dst + 6, r1);
        _mm_storeh_pi((__m64 *)(dst + 10), lo);
        _mm_storeu_ps(dst + 12, r2);
        _mm_storel_pi((__m64 *)(dst + 16), hi);
        _mm_storeu_ps(dst + 18, r3);
        _mm_storeh_pi((__m64 *)(dst + 22), hi);
      }
      for (; k < kc; k++)
        for (int r = 0; r < 6; r++) pa[k * 6 + r] = rows[r * lda + k];
    } else if (tA) {
      for (int k = 0; k < kc; k++) {
        const float *src = A + k * lda + ip;
        for (int r = 0; r < mr_block; r++) pa[k * mr_block + r] = r < mr ? src[r] : 0.f;
      }
    } else {
      for (int r = 0; r < mr_block; r++) {
        const float *src = A + (ip + r) * lda;
        if (r < mr)
          for (int k = 0; k < kc; k++) pa[k * mr_block + r] = src[k];
        else
          for (int k = 0; k < kc; k++) pa[k * mr_block + r] = 0.f;
      }
    }
    pa += kc * mr_block;
  }
}

// gemm.c's pack_b: B(k,j) = tB ? B[j*ldb+k] : B[k*ldb+j]; [panel of NR columns][k][NR], panels
// `panel_stride` x NR floats apart, ragged columns zeroed.
AVX2 static void pack_b(int tB, const float *B, int ldb, int kc, int nc, float *pb, int panel_stride) {
  for (int jp = 0; jp < nc; jp += NR) {
    int nr = imin(NR, nc - jp);
    if (nr == NR && !tB) {
      for (int k = 0; k < kc; k++) _mm256_storeu_ps(pb + k * NR, _mm256_loadu_ps(B + k * ldb + jp));
    } else if (nr == NR) {
      const float *cols = B + jp * ldb;
      for (int k = 0; k < kc; k++)
        for (int j = 0; j < NR; j++) pb[k * NR + j] = cols[j * ldb + k];
    } else {
      for (int k = 0; k < kc; k++)
        for (int j = 0; j < NR; j++) pb[k * NR + j] = j < nr ? (tB ? B[(jp + j) * ldb + k] : B[k * ldb + jp + j]) : 0.f;
    }
    pb += panel_stride * NR;
  }
}

// C[mr x nr] (+)= packed A panel . packed B panels b0 (columns 0-7) and b1 (8-15; null: nr <= 8).
// Twelve named accumulators: written as arrays and loops, gcc keeps them in memory.
#define ROW(i) a = _mm256_broadcast_ss(pa + i); c##i##0 = _mm256_fmadd_ps(a, x0, c##i##0); c##i##1 = _mm256_fmadd_ps(a, x1, c##i##1)
#define ROW1(i) c##i##0 = _mm256_fmadd_ps(_mm256_broadcast_ss(pa + i), x0, c##i##0)
AVX2 static void micro_kernel(int kc, const float *pa, const float *b0, const float *b1, float *C, int ldc, int acc,
                              int mr, int nr) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  if (b1) {
    for (int k = 0; k < kc; k++, pa += MR) {
      __m256 x0 = _mm256_loadu_ps(b0 + k * NR), x1 = _mm256_loadu_ps(b1 + k * NR), a;
      ROW(0); ROW(1); ROW(2); ROW(3); ROW(4); ROW(5);
    }
  } else {
    for (int k = 0; k < kc; k++, pa += MR) {
      __m256 x0 = _mm256_loadu_ps(b0 + k * NR);
      ROW1(0); ROW1(1); ROW1(2); ROW1(3); ROW1(4); ROW1(5);
    }
  }
  __m256 c[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (mr == MR && nr == 2 * NR) {
    for (int i = 0; i < MR; i++) {
      float *row = C + i * ldc;
      __m256 v0 = c[i][0], v1 = c[i][1];
      if (acc) {
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(row));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(row + NR));
      }
      _mm256_storeu_ps(row, v0);
      _mm256_storeu_ps(row + NR, v1);
    }
    return;
  }
  float t[MR][2 * NR];
  for (int i = 0; i < MR; i++) {
    _mm256_storeu_ps(t[i], c[i][0]);
    _mm256_storeu_ps(t[i] + NR, c[i][1]);
  }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) C[i * ldc + j] = acc ? C[i * ldc + j] + t[i][j] : t[i][j];
}
#undef ROW
#undef ROW1

// Zero panels, read in place of the missing ones of a ragged AVX-512 block.
static const float zero_panel[KC * NR] __attribute__((aligned(64)));

// C[mr x nr] (+)= packed A panel (8 rows) . packed B panels p[0..3] (8 columns each; a missing
// one is zero_panel), 32 columns as two zmm vectors of two panels each. `groups` = 1 does only
// the first 16 columns.
#define Z(lo, hi) _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo)), _mm256_castps_pd(hi), 1))
#define ROW512(i) a = _mm512_set1_ps(pa[i]); c##i##0 = _mm512_fmadd_ps(a, x0, c##i##0); c##i##1 = _mm512_fmadd_ps(a, x1, c##i##1)
#define ROW512_1(i) c##i##0 = _mm512_fmadd_ps(_mm512_set1_ps(pa[i]), x0, c##i##0)
AVX512 static void micro_kernel512(int kc, const float *pa, const float *const p[4], int groups, float *C, int ldc,
                                   int acc, int mr, int nr) {
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  __m512 c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
  const float *p0 = p[0], *p1 = p[1], *p2 = p[2], *p3 = p[3];
  if (groups == 2) {
    for (int k = 0; k < kc; k++, pa += MR512) {
      __m512 x0 = Z(_mm256_loadu_ps(p0 + k * NR), _mm256_loadu_ps(p1 + k * NR));
      __m512 x1 = Z(_mm256_loadu_ps(p2 + k * NR), _mm256_loadu_ps(p3 + k * NR)), a;
      ROW512(0); ROW512(1); ROW512(2); ROW512(3); ROW512(4); ROW512(5); ROW512(6); ROW512(7);
    }
  } else {
    for (int k = 0; k < kc; k++, pa += MR512) {
      __m512 x0 = Z(_mm256_loadu_ps(p0 + k * NR), _mm256_loadu_ps(p1 + k * NR));
      ROW512_1(0); ROW512_1(1); ROW512_1(2); ROW512_1(3); ROW512_1(4); ROW512_1(5); ROW512_1(6); ROW512_1(7);
    }
  }
  __m512 c[MR512][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
  if (mr == MR512 && nr == 4 * NR) {
    for (int i = 0; i < MR512; i++) {
      float *row = C + i * ldc;
      __m512 v0 = c[i][0], v1 = c[i][1];
      if (acc) {
        v0 = _mm512_add_ps(v0, _mm512_loadu_ps(row));
        v1 = _mm512_add_ps(v1, _mm512_loadu_ps(row + 2 * NR));
      }
      _mm512_storeu_ps(row, v0);
      _mm512_storeu_ps(row + 2 * NR, v1);
    }
    return;
  }
  float t[MR512][4 * NR];
  for (int i = 0; i < MR512; i++) {
    _mm512_storeu_ps(t[i], c[i][0]);
    _mm512_storeu_ps(t[i] + 2 * NR, c[i][1]);
  }
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) C[i * ldc + j] = acc ? C[i * ldc + j] + t[i][j] : t[i][j];
}
#undef ROW512
#undef ROW512_1
#undef Z

AVX512 static void block_multiply512(int mc, int nc, int kc, const float *pa, const float *pb, int panel_stride,
                                     float *C, int ldc, int acc) {
  for (int jr = 0; jr < nc; jr += 4 * NR) {
    int nr = imin(4 * NR, nc - jr), panels = (nr + NR - 1) / NR;
    const float *p[4];
    for (int q = 0; q < 4; q++) p[q] = q < panels ? pb + (jr / NR + q) * panel_stride * NR : zero_panel;
    for (int ir = 0; ir < mc; ir += MR512)
      micro_kernel512(kc, pa + ir * kc, p, panels > 2 ? 2 : 1, C + ir * ldc + jr, ldc, acc, imin(MR512, mc - ir), nr);
  }
}

// One (mc x nc) block of C from a packed A block and packed B panels (`panel_stride` k rows apart).
AVX2 static void block_multiply(int mc, int nc, int kc, const float *pa, const float *pb, int panel_stride, float *C,
                                int ldc, int acc) {
  if (level == 3) {
    block_multiply512(mc, nc, kc, pa, pb, panel_stride, C, ldc, acc);
    return;
  }
  for (int jr = 0; jr < nc; jr += 2 * NR) {
    int nr = imin(2 * NR, nc - jr);
    const float *b0 = pb + (jr / NR) * panel_stride * NR, *b1 = nr > NR ? b0 + panel_stride * NR : 0;
    for (int ir = 0; ir < mc; ir += MR) micro_kernel(kc, pa + ir * kc, b0, b1, C + ir * ldc + jr, ldc, acc, imin(MR, mc - ir), nr);
  }
}

// The left-hand blocking of the running path.
static inline int block_rows(void) { return level == 3 ? MR512 : MR; }
static inline int block_rows_packed(void) { return level == 3 ? MC512 : MC256; }

// gemm.c's loop nests (kernels/blocked.h) over this file's packing and register blocks.
#define BLOCKED_ATTR AVX2
#define BLOCKED_MC block_rows_packed()
#define BLOCKED_PACK_A(tA, A, lda, mc, kc, pa) pack_a(tA, A, lda, mc, kc, pa, block_rows())
#include "../kernels/blocked.h"

// gemm.c's sgemm (inner K > 0: gemm.c handles K = 0); pa and pb are the caller's packing buffers.
AVX2 void rl_sgemm(Base base, int tA, int tB, int M, int N, int K, Off a, int lda, Off b, int ldb, Off c, int ldc,
                   int beta, Off pa, Off pb) {
  blocked_sgemm(tA, tB, M, N, K, F(a), lda, F(b), ldb, F(c), ldc, beta, F(pa), F(pb));
}

// gemm.c's sgemm_packed: C (+)= op(A) . B, B packed whole by pack_b_full.
AVX2 void rl_sgemm_packed(Base base, int tA, int M, int N, int K, Off a, int lda, Off pb_full, Off c, int ldc, int beta,
                          Off pa) {
  blocked_sgemm_packed(tA, M, N, K, F(a), lda, F(pb_full), F(c), ldc, beta, F(pa));
}

// gemm.c's gates_product: units [u0, u1) of every gate of A . U, U packed gate by gate.
AVX2 void rl_gates_product(Base base, int M, int K, Off a, int lda, Off pu, int H, int G, int u0, int u1, Off c,
                           int ldc, int beta, Off pa) {
  blocked_gates_product(M, K, F(a), lda, F(pu), H, G, u0, u1, F(c), ldc, beta, F(pa));
}

// ---- the batch-1 column walk and the LSTM's element-wise step at both widths (width.inc.h) ----

#pragma GCC push_options
#pragma GCC target("avx2,fma")
typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));
#define V v8f
#define VI v8i
#define W 8
#define FN(name) name##_avx2
#include "width.inc.h"
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
typedef float v16f __attribute__((vector_size(64)));
typedef int v16i __attribute__((vector_size(64)));
#define V v16f
#define VI v16i
#define W 16
#define FN(name) name##_avx512
#include "width.inc.h"
#pragma GCC pop_options

// y[0:N] += x[0:K] . W, four rows of W at a time, so W is read in memory order.
AVX2 static void gemv_rows(const float *x, int K, const float *W, int ldw, int N, float *y) {
  int k = 0;
  for (; k + 4 <= K; k += 4) {
    __m256 x0 = _mm256_broadcast_ss(x + k), x1 = _mm256_broadcast_ss(x + k + 1);
    __m256 x2 = _mm256_broadcast_ss(x + k + 2), x3 = _mm256_broadcast_ss(x + k + 3);
    const float *w0 = W + k * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
    int j = 0;
    for (; j + 8 <= N; j += 8) {
      __m256 v = _mm256_fmadd_ps(x0, _mm256_loadu_ps(w0 + j), _mm256_loadu_ps(y + j));
      v = _mm256_fmadd_ps(x1, _mm256_loadu_ps(w1 + j), v);
      v = _mm256_fmadd_ps(x2, _mm256_loadu_ps(w2 + j), v);
      _mm256_storeu_ps(y + j, _mm256_fmadd_ps(x3, _mm256_loadu_ps(w3 + j), v));
    }
    for (; j < N; j++) y[j] += x[k] * w0[j] + x[k + 1] * w1[j] + x[k + 2] * w2[j] + x[k + 3] * w3[j];
  }
  for (; k < K; k++) {
    __m256 x0 = _mm256_broadcast_ss(x + k);
    const float *w = W + k * ldw;
    int j = 0;
    for (; j + 8 <= N; j += 8) _mm256_storeu_ps(y + j, _mm256_fmadd_ps(x0, _mm256_loadu_ps(w + j), _mm256_loadu_ps(y + j)));
    for (; j < N; j++) y[j] += x[k] * w[j];
  }
}

// gemm.c's gemv: y[0:N] (+)= x[0:K] . W (row stride ldw). A W that stays in the L2 cache is
// walked 64 or 128 columns at a time (y never leaves registers); a larger one streams in row order.
AVX2 static void gemv(const float *x, int K, const float *W, int ldw, int N, float *y, int beta) {
  int j = 0;
  if ((long long)K * ldw * 4 <= GEMV_CACHED_BYTES) {
    if (level == 3)
      for (; j + 128 <= N; j += 128) gemv_cols_avx512(x, K, W + j, ldw, y + j, beta);
    for (; j + 64 <= N; j += 64) gemv_cols_avx2(x, K, W + j, ldw, y + j, beta);
  }
  if (j < N) {
    if (!beta)
      for (int i = j; i < N; i++) y[i] = 0.f;
    gemv_rows(x, K, W + j, ldw, N - j, y + j);
  }
}

AVX2 void rl_gemv(Base base, Off x, int K, Off w, int ldw, int N, Off y, int beta) { gemv(F(x), K, F(w), ldw, N, F(y), beta); }

#define NULLABLE(off) ((off) ? F(off) : (float *)0)

// cells.c's lstm_forward (tc may be null).
void rl_lstm_forward(Base base, Off g, Off bias, Off c_prev, int ldcp, Off c, int ldc, Off tc, Off h, int ldh, int rows,
                     int H, int u0, int u1) {
  if (level == 3) lstm_forward_avx512(F(g), F(bias), F(c_prev), ldcp, F(c), ldc, NULLABLE(tc), F(h), ldh, rows, H, u0, u1);
  else lstm_forward_avx2(F(g), F(bias), F(c_prev), ldcp, F(c), ldc, NULLABLE(tc), F(h), ldh, rows, H, u0, u1);
}

// cells.c's lstm_backward.
void rl_lstm_backward(Base base, Off g, Off c_prev, Off tc, Off dh, Off dc, Off dg, int rows, int H, int u0, int u1) {
  if (level == 3) lstm_backward_avx512(F(g), F(c_prev), F(tc), F(dh), F(dc), F(dg), rows, H, u0, u1);
  else lstm_backward_avx2(F(g), F(c_prev), F(tc), F(dh), F(dc), F(dg), rows, H, u0, u1);
}

// One LSTM layer's batch-1 step in one call (net.c's step_run, for sampling and the hover): g +=
// h.U, then the cell updates h and c (state: h then c) in place. The same arithmetic as the two
// calls it replaces, one crossing from WebAssembly instead of two.
void rl_lstm_step(Base base, Off state, int H, Off u, Off g, Off bias) {
  float *h = F(state), *c = h + H;
  gemv(h, H, F(u), 4 * H, 4 * H, F(g), 1);
  if (level == 3) lstm_forward_avx512(F(g), F(bias), c, 0, c, 0, 0, h, 0, 1, H, 0, H);
  else lstm_forward_avx2(F(g), F(bias), c, 0, c, 0, 0, h, 0, 1, H, 0, H);
}

// The base address of the kernels' memory, from a view of it (koffi passes a typed array's data pointer).
uint64_t rl_address_of(const void *p) { return (uint64_t)(uintptr_t)p; }
