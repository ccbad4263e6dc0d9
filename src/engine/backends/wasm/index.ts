/**
 * The default backend: fused RNN / GRU / LSTM kernels written in C, compiled to WebAssembly with
 * SIMD128 (kernels/*.c, built into dist/kernels.wasm by scripts/build-wasm.sh), run on all cores
 * by splitting each batch across worker threads over one shared memory. No native addon.
 */
import * as os from 'node:os';
import type { ModelSpec } from '../../model/spec';
import type { Backend, Network } from '../types';
import { WasmNetwork, type WasmRuntime } from './network';
import { createSharedMemory, instantiate, kernelsModule, kernelsUnavailableReason, WasmHeap } from './runtime';
import { ThreadPool } from './threads';

export { WasmNetwork, WasmAdam, splitRows } from './network';

/** Why the WebAssembly backend cannot run here (missing build, old runtime), or undefined. */
export function wasmUnavailableReason(): string | undefined {
  return kernelsUnavailableReason();
}

/** `threads` = 0 uses every available core; 1 runs without worker threads. */
export async function createWasmBackend(threads: number): Promise<Backend> {
  const module = kernelsModule();
  const count = threads > 0 ? Math.floor(threads) : os.availableParallelism();
  const memory = createSharedMemory();
  const kernels = instantiate(module, memory);
  const heap = new WasmHeap(memory, kernels.__heap_base.value as number);
  const pool = count > 1 ? await ThreadPool.create(kernels, module, heap, count - 1) : undefined;
  const runtime: WasmRuntime = { kernels, heap, pool, threads: count };
  const networks = new Set<WasmNetwork>();
  return {
    info: { name: 'wasm', description: `WebAssembly SIMD, ${count} thread${count === 1 ? '' : 's'}`, threads: count },
    createNetwork(spec: ModelSpec): Network {
      const net = new WasmNetwork(runtime, spec);
      networks.add(net);
      return net;
    },
    dispose() {
      for (const net of networks) net.dispose();
      networks.clear();
      pool?.dispose();
    },
  };
}
