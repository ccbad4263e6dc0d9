/**
 * The WebGPU backend: the WGSL kernels (kernels.ts) on any GPU that WebGPU reaches: Metal, Direct3D
 * 12 or Vulkan underneath. In the CLI the device is Dawn's (the optional `webgpu` package) in a
 * worker thread; in a trainer the extension started (RNN_LAB_GPU_SOCKET set) it is `navigator.gpu`
 * in the extension's GPU webview, reached by a relay worker. network.ts talks to either through the
 * same GpuHost. Sampling and the hover run on a CPU network with a copy of the weights.
 */
import { referenceOnly, type ModelSpec } from '../../model/spec';
import type { Backend, Network } from '../types';
import { dawnUnavailableReason } from './dawn';
import { briefWebGpuReason, WebGpuError } from './errors';
import { spawnSync } from 'node:child_process';
import { findBundledFile } from '../bundled';
import { NodeGpuHost, PROBE_ALLOW_SOFTWARE, RELAY_WORKER_FILE, WORKER_FILE, type GpuHost } from './nodeHost';
import { GPU_SOCKET_ENV } from './socketFrames';
import type { GpuAnswer, OpenResult } from './server';
import { WebGpuNetwork } from './network';

export { WebGpuError, briefWebGpuNote, briefWebGpuReason, type WebGpuErrorKind } from './errors';
export { WebGpuNetwork } from './network';
export type { GpuHost } from './nodeHost';

export interface WebGpuOpenOptions {
  /** Accept a software adapter (SwiftShader): only when the backend is asked for by name. */
  allowSoftware: boolean;
}

export interface WebGpuBackendOptions extends WebGpuOpenOptions {
  /** Run one training pass of a small model on the GPU and on the CPU first, and refuse the GPU if they differ ('auto'). */
  selfTest?: boolean;
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
  // The extension's GPU webview, where the extension started this process: Dawn does not run in
  // VS Code's Electron, and one device source for every VS Code keeps the runs alike.
  const socketPath = process.env[GPU_SOCKET_ENV];
  const reason = socketPath ? undefined : dawnUnavailableReason();
  if (reason) throw new WebGpuError('no-dawn', reason);
  const host = socketPath ? new NodeGpuHost(RELAY_WORKER_FILE, { socketPath }) : new NodeGpuHost();
  try {
    const adapter = host.call({ op: 'open', allowSoftware: options.allowSoftware }) as OpenResult;
    return { host, adapter };
  } catch (error) {
    host.close();
    throw error;
  }
}

/**
 * Why WebGPU cannot be used here, or undefined when it can. For `auto` (no software adapter) the
 * adapter is probed in a process of its own (see nodeWorker.ts): drivers' complaints about adapters
 * that are not used, and a driver that crashes, stay out of the run.
 */
export function webgpuUnavailableReason(options: WebGpuOpenOptions): string | undefined {
  // The webview's adapter is probed by opening it (a browser keeps drivers' complaints to itself).
  if (!options.allowSoftware && !process.env[GPU_SOCKET_ENV]) return probeReason();
  try {
    const opened = open(options);
    spare?.host.close();
    spare = { key: String(options.allowSoftware), ...opened };
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function probeReason(): string | undefined {
  const dawn = dawnUnavailableReason();
  if (dawn) return dawn;
  const file = findBundledFile(WORKER_FILE);
  if (!file) return `${WORKER_FILE} is missing beside the rnn-lab bundles (rebuild with npm run build)`;
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, [PROBE_ALLOW_SOFTWARE]: '0' } });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    const answer = JSON.parse(last) as GpuAnswer;
    return answer.ok ? undefined : answer.error.message;
  } catch {
    return `probing the WebGPU adapter failed (${r.error?.message ?? (r.signal ? `signal ${r.signal}` : `exit code ${r.status}`)})`;
  }
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
  if (options.selfTest) {
    const problem = selfTestProblem(host, cpu);
    if (problem) {
      host.close();
      cpu.dispose();
      throw new WebGpuError('internal', `${adapter.description} failed its self-test: ${problem}`);
    }
  }
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

/**
 * One training pass of a small LSTM (embedding, 2 layers, a mask) on the GPU and on `cpu`, from the
 * same weights: a driver that miscompiles a kernel shows here, before a run trusts it. Returns what
 * differed, or undefined.
 */
export function selfTestProblem(host: GpuHost, cpu: Backend): string | undefined {
  const spec: ModelSpec = { cell: 'lstm', vocabSize: 13, hiddenSize: 8, layers: 2, embeddingSize: 4, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' };
  const gpu = new WebGpuNetwork(host, spec, () => cpu.createNetwork(spec));
  const ref = cpu.createNetwork(spec);
  try {
    // Fixed pseudo-random weights and tokens (a linear congruential sequence: no state to seed).
    let x = 12345;
    const next = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < ref.params.length; i++) ref.params[i] = next() - 0.5;
    ref.paramsChanged();
    gpu.params.set(ref.params);
    gpu.paramsChanged();
    const B = 3, T = 5;
    const inputs = Int32Array.from({ length: B * T }, () => Math.floor(next() * spec.vocabSize));
    const targets = Int32Array.from({ length: B * T }, () => Math.floor(next() * spec.vocabSize));
    const mask = Float32Array.from({ length: B * T }, (_, i) => (i % T === T - 1 && i < T ? 0 : 1));
    const batch = { batchSize: B, steps: T, inputs, targets, mask };
    const a = gpu.forwardBackward(batch, { carryState: false });
    const b = ref.forwardBackward(batch, { carryState: false });
    if (!(Math.abs(a.lossSum - b.lossSum) <= 1e-4 * Math.abs(b.lossSum))) return `the loss was ${a.lossSum}, the CPU engine's ${b.lossSum}`;
    let diff = 0, scale = 0;
    for (let i = 0; i < ref.grads.length; i++) {
      diff = Math.max(diff, Math.abs(gpu.grads[i] - ref.grads[i]));
      scale = Math.max(scale, Math.abs(ref.grads[i]));
    }
    if (!(diff <= 1e-3 * scale)) return `the gradients differ from the CPU engine's by ${(diff / scale).toExponential(1)} (relative)`;
    return undefined;
  } finally {
    gpu.dispose();
    ref.dispose();
  }
}
