/**
 * The WebAssembly kernels' large matrix products through a CBLAS library: on macOS Apple's
 * Accelerate framework, present on every Mac, whose cblas_sgemm runs on the matrix units (AMX) of
 * Apple Silicon. The same code runs against any CBLAS (the tests load OpenBLAS's
 * libopenblas.so.0 on Linux; only the path differs), since cblas_sgemm and cblas_sgemv are
 * standard.
 *
 * Which products: the kernels' sgemm (every step's input projections, the weight gradients, the
 * output layer, several rows of the stepper) and gemv (the batch-1 stepper). The time-step
 * recurrence (gemm.c's sgemm_packed and gates_product) multiplies the engine's own packed panels
 * of U, which no BLAS reads, and is small per call: it stays in WebAssembly, as does the LSTM's
 * element-wise step. The kernels learn this from `set_native_products(PRODUCTS_LARGE)`.
 *
 * Summation order: a BLAS chooses its own blocking and kernels by the shape it is given, and the
 * team of threads hands each thread a block of the product whose shape depends on the thread
 * count, so results agree to float rounding across thread counts but are not bit-identical (the
 * engine's own products are). Tests compare this backend with a tolerance for that reason.
 */
import * as path from 'node:path';
import type { Koffi } from '../ffi';

/** Accelerate's library inside its system framework (the dynamic linker finds it in the shared cache). */
export const ACCELERATE_LIBRARY = '/System/Library/Frameworks/Accelerate.framework/Accelerate';

// CBLAS's enum values (cblas.h, the same in every implementation).
const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/* eslint-disable-next-line @typescript-eslint/no-explicit-any */
type NativeFn = (...args: any[]) => any;

export interface CblasLibrary {
  /** What the backend description calls these products: "Accelerate products", or the library's file. */
  name: string;
  /** The kernels' imports of the products this library computes, bound to the memory at `base`. */
  imports(base: number | bigint): Record<'native_sgemm' | 'native_gemv', NativeFn>;
}

/**
 * Opens `file`'s cblas_sgemm and cblas_sgemv. Pointers cross as integers (base + offset): on every
 * 64-bit ABI a pointer argument is passed as a 64-bit integer is.
 */
export function openCblas(koffi: Koffi, file: string): CblasLibrary {
  // One thread per call: the engine's team of threads already splits every product among the
  // cores, and a BLAS that started its own threads inside each of them would oversubscribe them.
  // Read when the library loads; a user's own setting stands.
  process.env.VECLIB_MAXIMUM_THREADS ??= '1';
  process.env.OPENBLAS_NUM_THREADS ??= '1';
  const lib = koffi.load(file);
  const sgemm: NativeFn = lib.func('void cblas_sgemm(int order, int transA, int transB, int M, int N, int K, float alpha, uint64_t A, int lda, uint64_t B, int ldb, float beta, uint64_t C, int ldc)');
  const sgemv: NativeFn = lib.func('void cblas_sgemv(int order, int trans, int M, int N, float alpha, uint64_t A, int lda, uint64_t x, int incx, float beta, uint64_t y, int incy)');
  const name = file === ACCELERATE_LIBRARY ? 'Accelerate products' : `CBLAS products (${path.basename(file)})`;
  return {
    name,
    imports(base) {
      const at = typeof base === 'bigint' ? (off: number) => base + BigInt(off) : (off: number) => base + off;
      return {
        // gemm.c's sgemm: C (+)= op(A) . op(B), all row-major (K > 0; the packing buffers go unused).
        native_sgemm: (tA: number, tB: number, M: number, N: number, K: number, A: number, lda: number, B: number, ldb: number, C: number, ldc: number, beta: number) =>
          sgemm(ROW_MAJOR, tA ? TRANS : NO_TRANS, tB ? TRANS : NO_TRANS, M, N, K, 1, at(A), lda, at(B), ldb, beta ? 1 : 0, at(C), ldc),
        // gemm.c's gemv: y[0:N] (+)= x[0:K] . W, i.e. y = W^T x for W row-major K x N.
        native_gemv: (x: number, K: number, W: number, ldw: number, N: number, y: number, beta: number) =>
          sgemv(ROW_MAJOR, TRANS, K, N, 1, at(W), ldw, at(x), 1, beta ? 1 : 0, at(y), 1),
      };
    },
  };
}

/** The address of a view's first byte, through the C library's memmove (which returns its destination). */
export function addressOf(koffi: Koffi, view: Uint8Array): number | bigint {
  const memmove: NativeFn = koffi.load(null).func('uint64_t memmove(void *dst, const void *src, size_t n)');
  return memmove(view, view, 0);
}
