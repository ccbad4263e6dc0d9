// The blocked loop nests of the three matrix products, written once for the WebAssembly kernels
// (gemm.c) and the native products (native/products.c for x86-64, native/products-neon.c for ARM):
// how C is cut into blocks, which k block each pass sums and when a block adds to C instead of
// writing it. Sharing them is what makes every product sum each output element in the same
// order (k from 0 in blocks of KC) wherever it runs; only the packing and the register blocks
// differ, and those the includer supplies. Included once per file, after it defines:
//   BLOCKED_ATTR                     attributes of the three functions (a target, or nothing);
//   BLOCKED_MC                       rows of a left-hand block (at most MC, a multiple of the
//                                    register block's rows);
//   BLOCKED_PACK_A(tA, A, lda, mc, kc, pa)  packs an mc x kc block of op(A) into pa;
//   pack_b(tB, B, ldb, kc, nc, pb, panel_stride) and
//   block_multiply(mc, nc, kc, pa, pb, panel_stride, C, ldc, acc): gemm.c's, or the same at a
//                                    wider register block;
//   imin.
#ifndef RNNLAB_BLOCKED_H
#define RNNLAB_BLOCKED_H
#include "blocking.h"

// C (+)= op(A) . op(B), M x N over an inner K > 0; pa and pb are the packing buffers (MC x KC and
// KC x NC floats). beta = 0 overwrites C, 1 adds to it.
static BLOCKED_ATTR void blocked_sgemm(int tA, int tB, int M, int N, int K, const float *A, int lda, const float *B,
                                       int ldb, float *C, int ldc, int beta, float *pa, float *pb) {
  for (int jc = 0; jc < N; jc += NC) {
    int nc = imin(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      int kc = imin(KC, K - pc);
      pack_b(tB, tB ? B + jc * ldb + pc : B + pc * ldb + jc, ldb, kc, nc, pb, kc);
      int acc = pc > 0 || beta;
      for (int ic = 0; ic < M; ic += BLOCKED_MC) {
        int mc = imin(BLOCKED_MC, M - ic);
        BLOCKED_PACK_A(tA, tA ? A + pc * lda + ic : A + ic * lda + pc, lda, mc, kc, pa);
        block_multiply(mc, nc, kc, pa, pb, kc, C + ic * ldc + jc, ldc, acc);
      }
    }
  }
}

// C (+)= op(A) . B, with B packed whole (panels of NR columns over all K: gemm.c's pack_b_full).
static BLOCKED_ATTR void blocked_sgemm_packed(int tA, int M, int N, int K, const float *A, int lda,
                                              const float *pb_full, float *C, int ldc, int beta, float *pa) {
  for (int pc = 0; pc < K; pc += KC) {
    int kc = imin(KC, K - pc);
    int acc = pc > 0 || beta;
    for (int ic = 0; ic < M; ic += BLOCKED_MC) {
      int mc = imin(BLOCKED_MC, M - ic);
      BLOCKED_PACK_A(tA, tA ? A + pc * lda + ic : A + ic * lda + pc, lda, mc, kc, pa);
      block_multiply(mc, N, kc, pa, pb_full + pc * NR, K, C + ic * ldc, ldc, acc);
    }
  }
}

// C[:, units u0 .. u1 - 1 of every gate] (+)= A . U, U packed gate by gate (gemm.c's
// pack_gate_panels) and u0 a multiple of NR. A is packed once for all G gates.
static BLOCKED_ATTR void blocked_gates_product(int M, int K, const float *A, int lda, const float *pu, int H, int G,
                                               int u0, int u1, float *C, int ldc, int beta, float *pa) {
  int per_gate = (H + NR - 1) / NR;
  for (int pc = 0; pc < K; pc += KC) {
    int kc = imin(KC, K - pc);
    int acc = pc > 0 || beta;
    for (int ic = 0; ic < M; ic += BLOCKED_MC) {
      int mc = imin(BLOCKED_MC, M - ic);
      BLOCKED_PACK_A(0, A + ic * lda + pc, lda, mc, kc, pa);
      for (int q = 0; q < G; q++)
        block_multiply(mc, u1 - u0, kc, pa, pu + ((q * per_gate + u0 / NR) * K + pc) * NR, K, C + ic * ldc + q * H + u0,
                       ldc, acc);
    }
  }
}

#endif
