/**
 * The WebGPU backend: the WGSL kernels (kernels.ts) on any GPU that WebGPU reaches: Metal, Direct3D
 * 12 or Vulkan underneath. In the CLI and the trainer the device is Dawn's (the optional `webgpu`
 * package) in a worker thread; network.ts talks to it through a GpuHost, so a webview host can be
 * put behind the same interface. Sampling and the hover run on a CPU network with a copy of the weights.
 */
import { referenceOnly, type ModelSpec } from '../../model/spec';
import type { Backend, Network } from '../types';
import { dawnUnavailableReason } from './dawn';
import { briefWebGpuReason, WebGpuError } from './errors';
import { NodeGpuHost, type GpuHost } from './nodeHost';
import type { OpenResult } from './server';
import { WebGpuNetwork } from './network';

export { WebGpuError, briefWebGpuReason, type WebGpuErrorKind } from './errors';
export { WebGpuNetwork } from './network';
export type { GpuHost } from './nodeHost';

export interface WebGpuOpenOptions {
  /** Accept a software adapter (SwiftShader): only when the backend is asked for by name. */
  allowSoftware: boolean;
}

export interface WebGpuBackendOptions extends WebGpuOpenOptions {
  /** A model too big for the GPU trains on the CPU backend instead, and this hears why; otherwise creating it throws. */
  onOutOfMemory?: (message: string) => void;
  /** The device was lost mid-run: the run goes on on the CPU, and this hears why; otherwise the error is thrown. */
  onDeviceLost?: (message: string) => void;
}

export interface WebGpuBackend extends Backend {
  readonly host: GpuHost;
  readonly adapter: OpenResult;
}

/** A device opened by `webgpuUnavailableReason`, kept for the `createWebGpuBackend` that usually follows. */
let spare: { key: string; host: NodeGpuHost; adapter: OpenResult } | undefined;

/** Starts the Dawn worker and opens a device; throws WebGpuError saying why not. */
function open(options: WebGpuOpenOptions): { host: NodeGpuHost; adapter: OpenResult } {
  const key = String(options.allowSoftware);
  if (spare?.key === key) {
    const opened = spare;
    spare = undefined;
    return opened;
  }
  const reason = dawnUnavailableReason();
  if (reason) throw new WebGpuError('no-dawn', reason);
  const host = new NodeGpuHost();
  try {
    const adapter = host.call({ op: 'open', allowSoftware: options.allowSoftware }) as OpenResult;
    return { host, adapter };
  } catch (error) {
    host.close();
    throw error;
  }
}

/** Why WebGPU cannot be used here ("WebGPU not used: ..." material), or undefined when it can. */
export function webgpuUnavailableReason(options: WebGpuOpenOptions): string | undefined {
  try {
    const opened = open(options);
    spare?.host.close();
    spare = { key: String(options.allowSoftware), ...opened };
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The short note for the Lab and the CLI when `auto` did not use WebGPU. */
export function briefWebGpuNote(message: string): string {
  for (const kind of ['no-dawn', 'no-adapter', 'software-only', 'device-lost', 'out-of-memory', 'limit-exceeded'] as const) {
    if (message.includes(briefWebGpuReason(kind).replace(/^WebGPU not used: /, ''))) return briefWebGpuReason(kind);
  }
  if (/webgpu.*not installed/i.test(message)) return briefWebGpuReason('no-dawn');
  if (/no GPU adapter/i.test(message)) return briefWebGpuReason('no-adapter');
  if (/CPU emulation/i.test(message)) return briefWebGpuReason('software-only');
  return briefWebGpuReason('internal');
}

/** A Backend on the chosen adapter. `cpu` makes the CPU networks that sampling and the hover step on; it is disposed with this backend. */
export function createWebGpuBackend(cpu: Backend, options: WebGpuBackendOptions): WebGpuBackend {
  let opened: { host: NodeGpuHost; adapter: OpenResult };
  try {
    opened = open(options);
  } catch (error) {
    cpu.dispose();
    throw error;
  }
  const { host, adapter } = opened;
  const networks = new Set<Network>();
  const info = { name: 'webgpu', description: adapter.description, threads: 1 };
  let onCpu = false;
  return {
    info,
    host,
    adapter,
    createNetwork(spec: ModelSpec, reserve?: { batchSize: number; steps: number }): Network {
      if (onCpu) return cpu.createNetwork(spec, reserve);
      const only = referenceOnly(spec);
      if (only) throw new RangeError(`the WebGPU backend cannot run this model (${only}); use the js or reference backend`);
      try {
        const net = new WebGpuNetwork(host, spec, (s) => cpu.createNetwork(s), reserve, { onDeviceLost: options.onDeviceLost });
        networks.add(net);
        return net;
      } catch (error) {
        const tooBig = error instanceof WebGpuError && (error.kind === 'out-of-memory' || error.kind === 'limit-exceeded');
        if (!(options.onOutOfMemory && tooBig)) throw error;
        // Every later network of this backend (validation) goes to the CPU too, and the run says so.
        onCpu = true;
        options.onOutOfMemory(`${error.message}; training on the CPU (${cpu.info.description}) instead.`);
        Object.assign(info, { ...cpu.info, description: `${cpu.info.description} (${briefWebGpuReason(error.kind)})` });
        return cpu.createNetwork(spec, reserve);
      }
    },
    dispose() {
      for (const net of networks) net.dispose();
      networks.clear();
      host.close();
      cpu.dispose();
    },
  };
}
