/**
 * The compute backends, in one list: how to create each, and why one cannot run here. Backend
 * selection (createBackend) and `rnn-lab bench` both read it; a new backend is a new entry here and
 * a new name in the settings table (computeBackendNames, fastest first).
 * 'auto' tries the backends marked `auto` in that order, saying why it skipped one, so a missing or
 * broken build never stops training.
 */
import { availableParallelism } from 'node:os';
import { backendNames, computeBackendNames, type TrainConfig } from '../config/settings';
import { UserInputError } from '../text/errors';
import { createReferenceBackend } from './reference';
import type { Backend } from './types';
import type { KernelsVariant } from './wasm';
import { referenceOnly, type ModelSpec } from '../model/spec';

export type BackendPreference = TrainConfig['backend'];
export type ComputeBackendName = (typeof computeBackendNames)[number];

export interface BackendOptions {
  /** 0 = every available core. */
  threads: number;
  /** Which build of the WebAssembly kernels (bench compares them); by default the best the runtime has. */
  kernels?: KernelsVariant;
  /** Whether the WebAssembly kernels run their matrix products natively (bench compares); by default where they can. */
  nativeProducts?: boolean;
  /** 'auto' only: a model too big for the GPU trains on the CPU, and this hears why. */
  onOutOfMemory?: (message: string) => void;
  /** WebGPU: the device was lost mid-run and training goes on on the CPU; this hears why. */
  onGpuLost?: (message: string) => void;
  /** WebGPU: accept a software adapter (SwiftShader); only when the backend is named, never for 'auto'. */
  allowSoftwareGpu?: boolean;
}

export interface BackendEntry {
  /** What a person reads in `rnn-lab bench` and in messages. */
  label: string;
  /** Tried by 'auto' (in the order of computeBackendNames). */
  auto: boolean;
  /** Why this backend cannot run here, or undefined; cheap, creates nothing. */
  unavailableReason(options: BackendOptions): Promise<string | undefined>;
  create(options: BackendOptions): Promise<Backend>;
}

export const backendEntries: Record<ComputeBackendName, BackendEntry> = {
  cuda: {
    label: 'CUDA GPU',
    auto: true,
    // Opening the driver is the only way to know; it is quick, and the runtime is kept for create.
    unavailableReason: async () => (await import('./cuda')).cudaUnavailableReason(),
    // Sampling and the hover step on the best CPU backend, with a copy of the weights.
    create: async (o) => (await import('./cuda')).createCudaBackend(await createCpuBackend(o), { onOutOfMemory: o.onOutOfMemory }),
  },
  webgpu: {
    label: 'WebGPU',
    auto: true,
    unavailableReason: async (o) => (await import('./webgpu')).webgpuUnavailableReason({ allowSoftware: o.allowSoftwareGpu === true }),
    create: async (o) =>
      (await import('./webgpu')).createWebGpuBackend(await createCpuBackend(o), { allowSoftware: o.allowSoftwareGpu === true, selfTest: !o.allowSoftwareGpu, onOutOfMemory: o.onOutOfMemory, onDeviceLost: o.onGpuLost }),
  },
  wasm: {
    label: 'WebAssembly SIMD',
    auto: true,
    unavailableReason: async (o) => (await import('./wasm')).wasmUnavailableReason(o.kernels, o.nativeProducts),
    create: async (o) => (await import('./wasm')).createWasmBackend(resolveThreads(o.threads), { kernels: o.kernels, nativeProducts: o.nativeProducts }),
  },
  js: {
    label: 'JavaScript float32',
    auto: true,
    unavailableReason: async () => undefined,
    create: async () => createReferenceBackend('float32'),
  },
  reference: {
    label: 'float64 reference',
    auto: false,
    unavailableReason: async () => undefined,
    create: async () => createReferenceBackend('float64'),
  },
};

/** The fastest CPU backend that runs here (for stepping: sampling, the hover, the lab answers). */
async function createCpuBackend(options: BackendOptions): Promise<Backend> {
  return (await backendEntries.wasm.unavailableReason(options)) === undefined ? backendEntries.wasm.create(options) : backendEntries.js.create(options);
}

/** 0 means every available core; anything else is clamped to at least 1. */
export function resolveThreads(threads: number): number {
  if (!threads || threads <= 0) return Math.max(1, availableParallelism());
  return Math.max(1, Math.floor(threads));
}

function isComputeBackend(name: string): name is ComputeBackendName {
  return (computeBackendNames as readonly string[]).includes(name);
}

/**
 * A backend to step a model (an opened model's samples, hover and lab answers, the CLI's sample
 * and decode): the preferred one, or the plain TypeScript backend for a model only it computes
 * (say, hard_sigmoid gates read from a Keras 1 file), saying so. Stepping runs on the CPU even on
 * the GPU backend, so `auto` does not start the GPU for it.
 */
export async function createBackendFor(
  spec: ModelSpec,
  preference: BackendPreference,
  threads: number,
  log: (level: 'info' | 'warn', message: string) => void = () => {},
): Promise<Backend> {
  const only = referenceOnly(spec);
  if (!only) return preference === 'auto' ? createCpuBackend({ threads }) : createBackend(preference, threads, log);
  if (preference === 'wasm' || preference === 'cuda' || preference === 'webgpu') throw new UserInputError(`the ${preference} backend cannot run this model (${only}); try {suggestion}.`, { key: 'backend', suggestion: 'js' });
  if (preference === 'auto') log('info', `this model has ${only}, which only the TypeScript backend computes; using it.`);
  return createReferenceBackend(preference === 'reference' ? 'float64' : 'float32');
}

export async function createBackend(
  preference: BackendPreference,
  threads: number,
  log: (level: 'info' | 'warn', message: string) => void = () => {},
): Promise<Backend> {
  const options: BackendOptions = { threads, onGpuLost: (message) => log('warn', message) };
  if (preference === 'auto') {
    const candidates = computeBackendNames.filter((name) => backendEntries[name].auto);
    // Why the GPU was not used goes into the description of the backend used instead (Lab, CLI).
    let gpuNote: string | undefined;
    // Why each GPU backend was skipped, said once the backend used instead is known.
    const gpuSkipped: string[] = [];
    for (const [i, name] of candidates.entries()) {
      const entry = backendEntries[name];
      const last = i === candidates.length - 1;
      try {
        const reason = await entry.unavailableReason(options);
        if (reason !== undefined) throw new Error(reason);
        const backend = await entry.create({ ...options, onOutOfMemory: (message) => log('warn', message) });
        for (const message of gpuSkipped) log('info', `${message}; using the ${entry.label} backend.`);
        if (gpuNote) {
          backend.info.description += ` (${gpuNote})`;
          backend.info.fallbackNote = gpuNote;
        }
        return backend;
      } catch (error) {
        if (last) throw error;
        const next = backendEntries[candidates[i + 1]].label;
        const message = (error as Error).message;
        if (name === 'cuda' || name === 'webgpu') {
          // The first GPU's reason is the note (CUDA's where it was tried); each is logged.
          gpuNote ??= name === 'cuda' ? (await import('./cuda')).briefGpuReason(message) : (await import('./webgpu')).briefWebGpuNote(message);
          gpuSkipped.push(message);
          continue;
        }
        log('warn', `${entry.label} backend unavailable (${message}); using the ${next} backend, which is slower.`);
      }
    }
  }
  if (!isComputeBackend(preference)) {
    throw new UserInputError(`unknown backend "${String(preference)}"; {setting} must be one of ${backendNames.join(', ')}.`, { key: 'backend', suggestion: 'auto' });
  }
  const entry = backendEntries[preference];
  // Named, the WebGPU backend takes a software adapter too (tests, and CI without a GPU).
  const named: BackendOptions = { ...options, allowSoftwareGpu: true };
  try {
    const reason = await entry.unavailableReason(named);
    if (reason !== undefined) throw new Error(reason);
    return await entry.create(named);
  } catch (error) {
    throw new UserInputError(`the ${entry.label} backend is not available: ${(error as Error).message}; try {suggestion}.`, { key: 'backend', suggestion: 'auto' });
  }
}
