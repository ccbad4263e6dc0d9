/**
 * The WebAssembly kernels' matrix products as native code (native/products.c, built into
 * dist/products-linux-x64.so), called through koffi. WebAssembly's SIMD is 128 bits wide; on an
 * x86-64 CPU the native products do two (AVX2) or four (AVX-512) times the multiply-adds per
 * instruction, and the products are nearly all of training's arithmetic.
 *
 * The kernels import seven functions (kernels/gemm.c: native_sgemm, native_sgemm_packed,
 * native_gates_product, native_gemv; kernels/cells.c: native_lstm_forward, native_lstm_backward,
 * the LSTM's element-wise step, whose exp and divisions are the next largest cost; kernels/net.c:
 * native_lstm_step, a layer's whole batch-1 step in one call, for sampling) and call them
 * when `set_native_products(1)` was stored in their memory. Their pointers are offsets into the
 * shared memory; the native side needs addresses, so each import adds the memory's base address,
 * which never moves (a shared WebAssembly memory is reserved at its maximum size and grows in
 * place). Each worker thread loads the library itself.
 *
 * Where the library is missing (another platform, a build without a C compiler), koffi is missing,
 * or the CPU lacks AVX2, the kernels run their own products and `nativeProductsUnavailableReason`
 * says why.
 */
import { loadKoffi, type Koffi } from '../ffi';
import { findBundledFile } from './runtime';

export const NATIVE_PRODUCTS_FILE = 'products-linux-x64.so';

/* eslint-disable-next-line @typescript-eslint/no-explicit-any */
type NativeFn = (...args: any[]) => any;

interface NativeProducts {
  /** The widest vectors in use: 'AVX-512' where the CPU has it, else 'AVX2'. */
  width: NativeWidth;
  limitToAvx2: NativeFn;
  sgemm: NativeFn;
  sgemmPacked: NativeFn;
  gatesProduct: NativeFn;
  gemv: NativeFn;
  lstmForward: NativeFn;
  lstmBackward: NativeFn;
  lstmStep: NativeFn;
  addressOf: NativeFn;
}

export type NativeWidth = 'AVX2' | 'AVX-512';

/** The kernels' `env` imports of the native products, bound to one memory. */
export type ProductImports = Record<
  | 'native_sgemm' | 'native_sgemm_packed' | 'native_gates_product' | 'native_gemv'
  | 'native_lstm_forward' | 'native_lstm_backward' | 'native_lstm_step',
  NativeFn
>;

let loaded: { products: NativeProducts } | { reason: string } | undefined;

function load(): { products: NativeProducts } | { reason: string } {
  if (loaded) return loaded;
  loaded = open();
  return loaded;
}

function open(): { products: NativeProducts } | { reason: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { reason: `native products are built for Linux x86-64 only, not ${process.platform}-${process.arch}` };
  const file = findBundledFile(NATIVE_PRODUCTS_FILE);
  if (!file) return { reason: `${NATIVE_PRODUCTS_FILE} was not found beside ${__dirname} (npm run build makes it where a C compiler is installed)` };
  let koffi: Koffi;
  try {
    koffi = loadKoffi();
  } catch (error) {
    return { reason: (error as Error).message };
  }
  try {
    const lib = koffi.load(file);
    const level = lib.func('int rl_products_supported(void)')();
    if (!level) return { reason: 'this CPU has no AVX2 and FMA' };
    return {
      products: {
        width: level === 3 ? 'AVX-512' : 'AVX2',
        limitToAvx2: lib.func('void rl_products_limit_to_avx2(void)'),
        sgemm: lib.func('void rl_sgemm(uint64_t base, int tA, int tB, int M, int N, int K, uint32_t A, int lda, uint32_t B, int ldb, uint32_t C, int ldc, int beta, uint32_t pa, uint32_t pb)'),
        sgemmPacked: lib.func('void rl_sgemm_packed(uint64_t base, int tA, int M, int N, int K, uint32_t A, int lda, uint32_t pb, uint32_t C, int ldc, int beta, uint32_t pa)'),
        gatesProduct: lib.func('void rl_gates_product(uint64_t base, int M, int K, uint32_t A, int lda, uint32_t pu, int H, int G, int u0, int u1, uint32_t C, int ldc, int beta, uint32_t pa)'),
        gemv: lib.func('void rl_gemv(uint64_t base, uint32_t x, int K, uint32_t W, int ldw, int N, uint32_t y, int beta)'),
        lstmForward: lib.func('void rl_lstm_forward(uint64_t base, uint32_t g, uint32_t bias, uint32_t c_prev, int ldcp, uint32_t c, int ldc, uint32_t tc, uint32_t h, int ldh, int rows, int H, int u0, int u1)'),
        lstmBackward: lib.func('void rl_lstm_backward(uint64_t base, uint32_t g, uint32_t c_prev, uint32_t tc, uint32_t dh, uint32_t dc, uint32_t dg, int rows, int H, int u0, int u1)'),
        lstmStep: lib.func('void rl_lstm_step(uint64_t base, uint32_t state, int H, uint32_t U, uint32_t g, uint32_t bias)'),
        addressOf: lib.func('uint64_t rl_address_of(const void *p)'),
      },
    };
  } catch (error) {
    return { reason: `${file} could not be loaded (${(error as Error).message.split('\n')[0]})` };
  }
}

/** Why the native products cannot run here, or undefined when they can. */
export function nativeProductsUnavailableReason(): string | undefined {
  const p = load();
  return 'reason' in p ? p.reason : undefined;
}

/** The vector width the native products run at, or undefined where they cannot run. */
export function nativeProductsWidth(): NativeWidth | undefined {
  const p = load();
  return 'reason' in p ? undefined : p.products.width;
}

/**
 * Keeps the native products to AVX2 on a CPU with AVX-512, for this whole process (the library
 * is loaded once per process): what `bench --products avx2` measures, and what tests compare.
 * The sums are the same either way.
 */
export function limitNativeProductsToAvx2(): void {
  const p = load();
  if ('reason' in p) return;
  p.products.limitToAvx2();
  p.products.width = 'AVX2';
}

/** The kernels' imports of the native products, bound to `memory`; throws where they cannot run. */
export function productImports(memory: WebAssembly.Memory): ProductImports {
  const p = load();
  if ('reason' in p) throw new Error(`native products unavailable: ${p.reason}`);
  const { products } = p;
  const base: number | bigint = products.addressOf(new Uint8Array(memory.buffer, 0, 1));
  // WebAssembly passes pointers as signed i32; `>>> 0` reads them as the offsets they are.
  return {
    native_sgemm: (tA, tB, M, N, K, A, lda, B, ldb, C, ldc, beta, pa, pb) =>
      products.sgemm(base, tA, tB, M, N, K, A >>> 0, lda, B >>> 0, ldb, C >>> 0, ldc, beta, pa >>> 0, pb >>> 0),
    native_sgemm_packed: (tA, M, N, K, A, lda, pb, C, ldc, beta, pa) =>
      products.sgemmPacked(base, tA, M, N, K, A >>> 0, lda, pb >>> 0, C >>> 0, ldc, beta, pa >>> 0),
    native_gates_product: (M, K, A, lda, pu, H, G, u0, u1, C, ldc, beta, pa) =>
      products.gatesProduct(base, M, K, A >>> 0, lda, pu >>> 0, H, G, u0, u1, C >>> 0, ldc, beta, pa >>> 0),
    native_gemv: (x, K, W, ldw, N, y, beta) => products.gemv(base, x >>> 0, K, W >>> 0, ldw, N, y >>> 0, beta),
    native_lstm_forward: (g, bias, cPrev, ldcp, c, ldc, tc, h, ldh, rows, H, u0, u1) =>
      products.lstmForward(base, g >>> 0, bias >>> 0, cPrev >>> 0, ldcp, c >>> 0, ldc, tc >>> 0, h >>> 0, ldh, rows, H, u0, u1),
    native_lstm_backward: (g, cPrev, tc, dh, dc, dg, rows, H, u0, u1) =>
      products.lstmBackward(base, g >>> 0, cPrev >>> 0, tc >>> 0, dh >>> 0, dc >>> 0, dg >>> 0, rows, H, u0, u1),
    native_lstm_step: (state, H, U, g, bias) => products.lstmStep(base, state >>> 0, H, U >>> 0, g >>> 0, bias >>> 0),
  };
}
