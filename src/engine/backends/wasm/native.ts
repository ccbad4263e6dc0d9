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
import { findBundledFile } from '../bundled';

export const NATIVE_PRODUCTS_FILE = 'products-linux-x64.so';

/* eslint-disable-next-line @typescript-eslint/no-explicit-any */
type NativeFn = (...args: any[]) => any;

/**
 * Each import of the kernels and the C function behind it. Every one takes the memory's base
 * address first, then the kernels' own arguments unchanged: pointers as offsets, which stay below
 * 2 GiB (the memory's maximum), so WebAssembly's i32 carries them as they are.
 */
const IMPORTS = {
  native_sgemm: 'void rl_sgemm(uint64_t base, int tA, int tB, int M, int N, int K, uint32_t A, int lda, uint32_t B, int ldb, uint32_t C, int ldc, int beta, uint32_t pa, uint32_t pb)',
  native_sgemm_packed: 'void rl_sgemm_packed(uint64_t base, int tA, int M, int N, int K, uint32_t A, int lda, uint32_t pb, uint32_t C, int ldc, int beta, uint32_t pa)',
  native_gates_product: 'void rl_gates_product(uint64_t base, int M, int K, uint32_t A, int lda, uint32_t pu, int H, int G, int u0, int u1, uint32_t C, int ldc, int beta, uint32_t pa)',
  native_gemv: 'void rl_gemv(uint64_t base, uint32_t x, int K, uint32_t W, int ldw, int N, uint32_t y, int beta)',
  native_lstm_forward: 'void rl_lstm_forward(uint64_t base, uint32_t g, uint32_t bias, uint32_t c_prev, int ldcp, uint32_t c, int ldc, uint32_t tc, uint32_t h, int ldh, int rows, int H, int u0, int u1)',
  native_lstm_backward: 'void rl_lstm_backward(uint64_t base, uint32_t g, uint32_t c_prev, uint32_t tc, uint32_t dh, uint32_t dc, uint32_t dg, int rows, int H, int u0, int u1)',
  native_lstm_step: 'void rl_lstm_step(uint64_t base, uint32_t state, int H, uint32_t U, uint32_t g, uint32_t bias)',
} as const;

/** The kernels' `env` imports of the native products, bound to one memory. */
export type ProductImports = Record<keyof typeof IMPORTS, NativeFn>;

export type NativeWidth = 'AVX2' | 'AVX-512';

interface NativeLibrary {
  /** The library's level: 2 = AVX2, 3 = AVX-512 (detected once per process; a limit lowers it). */
  level: () => number;
  limitToAvx2: NativeFn;
  addressOf: NativeFn;
  functions: ProductImports;
}

let loaded: { library: NativeLibrary } | { reason: string } | undefined;

function load(): { library: NativeLibrary } | { reason: string } {
  loaded ??= open();
  return loaded;
}

function open(): { library: NativeLibrary } | { reason: string } {
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
    const level: () => number = lib.func('int rl_products_supported(void)');
    if (!level()) return { reason: 'this CPU has no AVX2 and FMA' };
    const functions = Object.fromEntries(Object.entries(IMPORTS).map(([name, signature]) => [name, lib.func(signature)])) as ProductImports;
    return {
      library: {
        level,
        limitToAvx2: lib.func('void rl_products_limit_to_avx2(void)'),
        addressOf: lib.func('uint64_t rl_address_of(const void *p)'),
        functions,
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
  return 'reason' in p ? undefined : p.library.level() === 3 ? 'AVX-512' : 'AVX2';
}

/**
 * Keeps the native products to AVX2 on a CPU with AVX-512, for this whole process (the library
 * is loaded once per process): what `bench --products avx2` measures, and what tests compare.
 * The sums are the same either way.
 */
export function limitNativeProductsToAvx2(): void {
  const p = load();
  if (!('reason' in p)) p.library.limitToAvx2();
}

/** The kernels' imports of the native products, bound to `memory`; throws where they cannot run. */
export function productImports(memory: WebAssembly.Memory): ProductImports {
  const p = load();
  if ('reason' in p) throw new Error(`native products unavailable: ${p.reason}`);
  const base: number | bigint = p.library.addressOf(new Uint8Array(memory.buffer, 0, 1));
  const bound = Object.entries(p.library.functions).map(([name, fn]) => [name, (...args: number[]) => fn(base, ...args)]);
  return Object.fromEntries(bound) as ProductImports;
}
