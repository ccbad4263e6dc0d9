/**
 * The default backend: fused RNN / GRU / LSTM kernels written in C, compiled to WebAssembly with
 * SIMD128 (kernels/*.c, built into dist/kernels.wasm, and with relaxed SIMD into
 * dist/kernels-relaxed.wasm, by scripts/build-wasm.sh), run on all cores by splitting each batch
 * across worker threads over one shared memory. No native addon.
 */
import * as os from 'node:os';
import type { ModelSpec } from '../../model/spec';
import type { Backend, Network } from '../types';
import { MAX_CHUNKS, WasmNetwork, type WasmRuntime } from './network';
import { createSharedMemory, instantiate, kernelsUnavailableReason, loadKernels, WasmHeap, type KernelsVariant } from './runtime';
import { ThreadPool } from './threads';

export { WasmNetwork, splitRows } from './network';
export type { KernelsVariant } from './runtime';

/**
 * Why the WebAssembly backend cannot run here (missing build, old runtime), or undefined.
 * Without `kernels`: whether it runs at all (with the plain build, which any later choice falls back to).
 */
export function wasmUnavailableReason(kernels: KernelsVariant = 'plain'): string | undefined {
  return kernelsUnavailableReason(kernels);
}

export interface WasmBackendOptions {
  /** Which build of the kernels; by default the relaxed-SIMD one where the runtime has it. */
  kernels?: KernelsVariant;
}

/** `threads` = 0 uses every available core; 1 runs without worker threads. */
export async function createWasmBackend(threads: number, options: WasmBackendOptions = {}): Promise<Backend> {
  const { module, variant } = loadKernels(options.kernels);
  // A pass has at most MAX_CHUNKS chunks of rows, so more threads than that would only sit idle.
  const count = Math.min(MAX_CHUNKS, threads > 0 ? Math.floor(threads) : os.availableParallelism());
  const memory = createSharedMemory();
  const kernels = instantiate(module, memory);
  const heap = new WasmHeap(memory, kernels.__heap_base.value as number);
  const pool = count > 1 ? await ThreadPool.create(kernels, module, heap, count - 1) : undefined;
  const runtime: WasmRuntime = { kernels, heap, pool, threads: count, workspaces: [] };
  const networks = new Set<WasmNetwork>();
  return {
    info: { name: 'wasm', description: describe(variant, count), threads: count },
    createNetwork(spec: ModelSpec): Network {
      const net = new WasmNetwork(runtime, spec);
      networks.add(net);
      return net;
    },
    dispose() {
      for (const net of networks) net.dispose();
      networks.clear();
      for (const w of runtime.workspaces) heap.free(w.ptr);
      runtime.workspaces.length = 0;
      pool?.dispose();
    },
  };
}

function describe(variant: KernelsVariant, threads: number): string {
  return `WebAssembly SIMD${variant === 'relaxed' ? ' (relaxed FMA)' : ''}, ${threads} thread${threads === 1 ? '' : 's'}`;
}
