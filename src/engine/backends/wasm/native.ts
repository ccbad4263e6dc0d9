/**
 * The WebAssembly kernels' matrix products as native code, called through koffi. WebAssembly's
 * SIMD is 128 bits wide and bounds-checked; native products run at the CPU's own width and
 * registers, and the products are nearly all of training's arithmetic. Per platform:
 *   - Linux and Windows on x86-64: native/products.c (AVX2 + FMA, AVX-512 where the CPU has it),
 *     built as products-linux-x64.so and products-win32-x64.dll;
 *   - Linux on ARM64: native/products-neon.c (NEON), built as products-linux-arm64.so;
 *   - macOS: Apple's Accelerate framework for the large products (cblas.ts).
 *
 * The kernels import seven functions (kernels/gemm.c: native_sgemm, native_sgemm_packed,
 * native_gates_product, native_gemv; kernels/cells.c: native_lstm_forward, native_lstm_backward,
 * the LSTM's element-wise step, whose exp and divisions are the next largest cost; kernels/net.c:
 * native_lstm_step, a layer's whole batch-1 step in one call, for sampling) and call them
 * as `set_native_products(mode)` stored in their memory says: PRODUCTS_ALL for the engine's own
 * libraries, PRODUCTS_LARGE (sgemm and gemv only) for a CBLAS library. Their pointers are offsets
 * into the shared memory; the native side needs addresses, so each import adds the memory's base
 * address, which never moves (a shared WebAssembly memory is reserved at its maximum size and
 * grows in place). Each worker thread loads the library itself.
 *
 * Where the library is missing (another platform, a build without a C compiler), koffi is missing,
 * or the CPU lacks AVX2, the kernels run their own products and `nativeProductsUnavailableReason`
 * says why.
 */
import { loadKoffi, type Koffi } from '../ffi';
import { findBundledFile } from '../bundled';
import { ACCELERATE_LIBRARY, addressOf, openCblas } from './cblas';

/** `set_native_products`'s modes (kernels.h): every import, or only sgemm and gemv (a CBLAS library). */
export const PRODUCTS_ALL = 1;
export const PRODUCTS_LARGE = 2;

/**
 * The library that carries this platform's native products: a file the build makes and the
 * platform's .vsix ships (scripts/build-native.sh, scripts/package.mjs), or Accelerate on macOS.
 */
export function nativeProductsLibrary(platform: string = process.platform, arch: string = process.arch): { file: string } | { cblas: string } | undefined {
  if (platform === 'darwin') return { cblas: ACCELERATE_LIBRARY };
  const file = ({ 'linux-x64': 'products-linux-x64.so', 'linux-arm64': 'products-linux-arm64.so', 'win32-x64': 'products-win32-x64.dll' } as Record<string, string>)[`${platform}-${arch}`];
  return file ? { file } : undefined;
}

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

export type NativeWidth = 'AVX2' | 'AVX-512' | 'NEON';

/** Products the kernels can import: the engine's own library, or a CBLAS library's large products. */
interface Products {
  /** What the backend description calls them ("native AVX2 products", "Accelerate products"). */
  name(): string;
  /** The width of the engine's own library; undefined for a CBLAS library. */
  width(): NativeWidth | undefined;
  limitToAvx2(): void;
  /** set_native_products's mode. */
  mode: number;
  imports(memory: WebAssembly.Memory): Partial<ProductImports>;
}

/**
 * The products to load: this platform's (undefined), or a CBLAS library's at this path instead
 * (the tests run Accelerate's binding against OpenBLAS on Linux this way).
 */
export type ProductsSource = string | undefined;

const loaded = new Map<ProductsSource, { products: Products } | { reason: string }>();

function load(source: ProductsSource = undefined): { products: Products } | { reason: string } {
  let p = loaded.get(source);
  if (!p) {
    p = open(source);
    loaded.set(source, p);
  }
  return p;
}

function open(source: ProductsSource): { products: Products } | { reason: string } {
  const where = source === undefined ? nativeProductsLibrary() : { cblas: source };
  if (!where) return { reason: `there are no native products for ${process.platform}-${process.arch} (Linux and Windows on x86-64, Linux on ARM64, macOS)` };
  let file: string | undefined;
  if ('file' in where) {
    file = findBundledFile(where.file);
    if (!file) return { reason: `${where.file} was not found beside ${__dirname} (npm run build makes it where a C compiler is installed)` };
  }
  let koffi: Koffi;
  try {
    koffi = loadKoffi();
  } catch (error) {
    return { reason: (error as Error).message };
  }
  try {
    return { products: 'cblas' in where ? cblasProducts(koffi, where.cblas) : ownProducts(koffi, file as string) };
  } catch (error) {
    if (error instanceof NoVectorUnit) return { reason: error.message };
    return { reason: `${'cblas' in where ? where.cblas : file} could not be loaded (${(error as Error).message.split('\n')[0]})` };
  }
}

class NoVectorUnit extends Error {}

/** native/products.c or native/products-neon.c, built for this platform. */
function ownProducts(koffi: Koffi, file: string): Products {
  const lib = koffi.load(file);
  // 1 = NEON, 2 = AVX2, 3 = AVX-512 (detected once per process; a limit lowers 3 to 2); 0 = neither.
  const level: () => number = lib.func('int rl_products_supported(void)');
  if (!level()) throw new NoVectorUnit('this CPU has no AVX2 and FMA');
  const functions = Object.fromEntries(Object.entries(IMPORTS).map(([name, signature]) => [name, lib.func(signature)])) as ProductImports;
  const limitToAvx2: NativeFn = lib.func('void rl_products_limit_to_avx2(void)');
  const rlAddressOf: NativeFn = lib.func('uint64_t rl_address_of(const void *p)');
  const width = (): NativeWidth => (['NEON', 'AVX2', 'AVX-512'] as const)[level() - 1];
  return {
    width,
    // Windows is named: its DLL is a build of its own (another compiler, another calling convention).
    name: () => `native ${width()} products${process.platform === 'win32' ? ' (Windows)' : ''}`,
    limitToAvx2: () => limitToAvx2(),
    mode: PRODUCTS_ALL,
    imports(memory) {
      const base: number | bigint = rlAddressOf(new Uint8Array(memory.buffer, 0, 1));
      return Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, (...args: number[]) => fn(base, ...args)])) as ProductImports;
    },
  };
}

function cblasProducts(koffi: Koffi, file: string): Products {
  const lib = openCblas(koffi, file);
  return {
    width: () => undefined,
    name: () => lib.name,
    limitToAvx2: () => {},
    mode: PRODUCTS_LARGE,
    imports: (memory) => lib.imports(addressOf(koffi, new Uint8Array(memory.buffer, 0, 1))),
  };
}

/** Why the native products cannot run here, or undefined when they can. */
export function nativeProductsUnavailableReason(source?: ProductsSource): string | undefined {
  const p = load(source);
  return 'reason' in p ? p.reason : undefined;
}

/** The vector width of the engine's own native products, or undefined where they cannot run (or a CBLAS library runs them). */
export function nativeProductsWidth(source?: ProductsSource): NativeWidth | undefined {
  const p = load(source);
  return 'reason' in p ? undefined : p.products.width();
}

/** What the backend description calls the products that run here ("native AVX2 products", "Accelerate products"), or undefined. */
export function nativeProductsName(source?: ProductsSource): string | undefined {
  const p = load(source);
  return 'reason' in p ? undefined : p.products.name();
}

/** set_native_products's mode for these products (PRODUCTS_ALL or PRODUCTS_LARGE). */
export function nativeProductsMode(source?: ProductsSource): number {
  const p = load(source);
  if ('reason' in p) throw new Error(`native products unavailable: ${p.reason}`);
  return p.products.mode;
}

/**
 * Keeps the native products to AVX2 on a CPU with AVX-512, for this whole process (the library
 * is loaded once per process): what `bench --products avx2` measures, and what tests compare.
 * The sums are the same either way. Elsewhere it does nothing.
 */
export function limitNativeProductsToAvx2(): void {
  const p = load();
  if (!('reason' in p)) p.products.limitToAvx2();
}

/** The kernels' imports of the native products, bound to `memory`; throws where they cannot run. */
export function productImports(memory: WebAssembly.Memory, source?: ProductsSource): Partial<ProductImports> {
  const p = load(source);
  if ('reason' in p) throw new Error(`native products unavailable: ${p.reason}`);
  return p.products.imports(memory);
}
