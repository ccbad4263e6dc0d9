/**
 * The default backend: fused RNN / GRU / LSTM kernels written in C, compiled to WebAssembly with
 * SIMD128 (kernels/*.c, built into dist/kernels.wasm, and with relaxed SIMD into
 * dist/kernels-relaxed.wasm, by scripts/build-wasm.sh), run on all cores by a team of worker
 * threads over one shared memory that splits every time step's products. On Linux x86-64 with
 * AVX2 the matrix products run as native code through koffi (native.ts), two or four times as
 * wide as WebAssembly's SIMD; elsewhere the kernels run their own.
 */
import * as os from 'node:os';
import { referenceOnly, type ModelSpec } from '../../model/spec';
import { UserInputError } from '../../text/errors';
import type { Backend, Network } from '../types';
import { WasmNetwork, type WasmRuntime } from './network';
import { nativeProductsUnavailableReason, nativeProductsWidth, productImports } from './native';
import { createSharedMemory, instantiate, kernelsUnavailableReason, loadKernels, WasmHeap, type KernelsVariant } from './runtime';
import { ThreadPool } from './threads';

export { WasmNetwork } from './network';
export type { KernelsVariant } from './runtime';
export { limitNativeProductsToAvx2, nativeProductsUnavailableReason } from './native';

/**
 * Why the WebAssembly backend cannot run here (missing build, old runtime), or undefined.
 * Without `kernels`: whether it runs at all (with the plain build, which any later choice falls back to).
 */
export function wasmUnavailableReason(kernels: KernelsVariant = 'plain', nativeProducts?: boolean): string | undefined {
  return kernelsUnavailableReason(kernels) ?? (nativeProducts === true ? nativeProductsProblem() : undefined);
}

function nativeProductsProblem(): string | undefined {
  const reason = nativeProductsUnavailableReason();
  return reason === undefined ? undefined : `native products unavailable: ${reason}`;
}

export interface WasmBackendOptions {
  /** Which build of the kernels; by default the relaxed-SIMD one where the runtime has it. */
  kernels?: KernelsVariant;
  /**
   * Run more threads than this machine has cores (the results are the same, only slower: the
   * team meets at a barrier every time step). For tests of thread-count invariance.
   */
  oversubscribe?: boolean;
  /**
   * Run the matrix products as native AVX2 / AVX-512 code (native.ts): by default where it can run here.
   * false keeps every product in WebAssembly (tests compare the two; bench --products wasm).
   */
  nativeProducts?: boolean;
}

/** Whether a backend with these options runs native products; throws when they were asked for and cannot run. */
function useNativeProducts(asked: boolean | undefined): boolean {
  if (asked === false) return false;
  const problem = nativeProductsProblem();
  if (problem !== undefined && asked === true) throw new Error(problem);
  return problem === undefined;
}

/** The `threads` setting: 0 means every available core; anything else is clamped to at least 1. */
export function resolveThreads(threads: number): number {
  if (!threads || threads <= 0) return Math.max(1, os.availableParallelism());
  return Math.max(1, Math.floor(threads));
}

/**
 * `threads` = 0 uses every available core; 1 runs without worker threads. More threads than cores
 * are capped at the core count (the description says so): a thread that has to wait for a core
 * would hold up the whole team at every time step.
 */
export async function createWasmBackend(threads: number, options: WasmBackendOptions = {}): Promise<Backend> {
  const { module, variant } = loadKernels(options.kernels);
  const cores = os.availableParallelism();
  const asked = threads > 0 ? Math.floor(threads) : cores;
  const count = options.oversubscribe ? asked : Math.min(asked, cores);
  const native = useNativeProducts(options.nativeProducts);
  const memory = createSharedMemory();
  const kernels = instantiate(module, memory, native ? productImports(memory) : {});
  kernels.set_native_products(native ? 1 : 0);
  const heap = new WasmHeap(memory, kernels.__heap_base.value as number);
  const pool = count > 1 ? await ThreadPool.create(kernels, module, heap, count - 1, native) : undefined;
  const runtime: WasmRuntime = { kernels, heap, pool, threads: count, workspace: { ptr: 0, floats: 0 } };
  const networks = new Set<WasmNetwork>();
  return {
    info: { name: 'wasm', description: describe(variant, native, count, asked > count ? cores : undefined), threads: count },
    createNetwork(spec: ModelSpec): Network {
      const only = referenceOnly(spec);
      if (only) throw new UserInputError(`the WebAssembly backend cannot run ${only}; try {suggestion}.`, { key: 'backend', suggestion: 'js' });
      const net = new WasmNetwork(runtime, spec);
      networks.add(net);
      return net;
    },
    dispose() {
      for (const net of networks) net.dispose();
      networks.clear();
      heap.free(runtime.workspace.ptr);
      runtime.workspace = { ptr: 0, floats: 0 };
      pool?.dispose();
    },
  };
}

/** `cappedAt`: the core count a larger thread count was capped at. */
function describe(variant: KernelsVariant, native: boolean, threads: number, cappedAt?: number): string {
  const note = cappedAt ? ` (capped: this machine has ${cappedAt} core${cappedAt === 1 ? '' : 's'})` : '';
  const products = native ? ` with native ${nativeProductsWidth()} products` : '';
  return `WebAssembly SIMD${variant === 'relaxed' ? ' (relaxed FMA)' : ''}${products}, ${threads} thread${threads === 1 ? '' : 's'}${note}`;
}
