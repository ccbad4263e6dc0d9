/**
 * The GPU backend: our kernels (kernels/kernels.cu, shipped as PTX) run by the NVIDIA driver,
 * called through koffi. Needs only the driver on the user's machine: no CUDA toolkit, no cuDNN.
 * Sampling and the hover run on a CPU backend's network with a copy of the weights.
 */
import { referenceOnly, type ModelSpec } from '../../model/spec';
import type { Backend, Network } from '../types';
import { CudaError, GpuUnavailableError, gpuUnavailableMessage, shortGpuReason } from './errors';
import { CudaNetwork } from './network';
import { describeDevice, openRuntime, type CudaRuntime } from './runtime';

export { CudaNetwork } from './network';
export { briefGpuReason, CudaError, GpuUnavailableError, gpuUnavailableMessage, type GpuUnavailableKind } from './errors';
export { describeDevice, openRuntime } from './runtime';

let shared: CudaRuntime | undefined;
/** The last failed open, by the driver library it tried: trying again would repeat the driver's set-up and the PTX compile. */
let failed: { driver: string; error: GpuUnavailableError } | undefined;

/** The process's GPU runtime, opened once (throws GpuUnavailableError saying why not; openRuntime throws no other). */
export function cudaRuntime(): CudaRuntime {
  if (shared) return shared;
  const driver = process.env.RNN_LAB_CUDA_DRIVER ?? '';
  if (failed?.driver === driver) throw failed.error;
  try {
    shared = openRuntime();
    return shared;
  } catch (error) {
    failed = { driver, error: error as GpuUnavailableError };
    throw error;
  }
}

/** Why the GPU cannot be used here ("GPU not used: ..."), or undefined when it can. */
export function cudaUnavailableReason(): string | undefined {
  try {
    cudaRuntime();
    return undefined;
  } catch (error) {
    const e = error as GpuUnavailableError;
    return gpuUnavailableMessage(e.kind, e.message);
  }
}

export interface CudaBackendOptions {
  /**
   * When set, a model and batch that do not fit in GPU memory train on the CPU backend instead
   * (this is called with the reason); otherwise creating such a network throws the CudaError.
   */
  onOutOfMemory?: (message: string) => void;
}

/**
 * A Backend on device 0. `cpu` makes the CPU networks that sampling and the hover step on;
 * it is disposed with this backend.
 */
export function createCudaBackend(cpu: Backend, options: CudaBackendOptions = {}): Backend {
  let rt: CudaRuntime;
  try {
    rt = cudaRuntime();
  } catch (error) {
    cpu.dispose();
    throw error;
  }
  const networks = new Set<CudaNetwork>();
  const info = { name: 'cuda', description: describeDevice(rt.device), threads: 1 };
  let onCpu = false;
  return {
    info,
    createNetwork(spec: ModelSpec, reserve?: { batchSize: number; steps: number }): Network {
      if (onCpu) return cpu.createNetwork(spec, reserve);
      const only = referenceOnly(spec);
      if (only) throw new RangeError(`the CUDA backend cannot run this model (${only}); use the js or reference backend`);
      try {
        const net = new CudaNetwork(rt, spec, (s) => cpu.createNetwork(s), reserve);
        networks.add(net);
        return net;
      } catch (error) {
        if (!(options.onOutOfMemory && error instanceof CudaError && error.kind === 'out-of-memory')) throw error;
        // Every later network of this backend (validation) goes to the CPU too, and the run says so.
        onCpu = true;
        const message = gpuUnavailableMessage('out-of-memory', error.message);
        options.onOutOfMemory(`${message}; training on the CPU (${cpu.info.description}) instead.`);
        Object.assign(info, { ...cpu.info, description: `${cpu.info.description} (${shortGpuReason('out-of-memory')})` });
        return cpu.createNetwork(spec, reserve);
      }
    },
    dispose() {
      for (const net of networks) net.dispose();
      networks.clear();
      cpu.dispose();
    },
  };
}
