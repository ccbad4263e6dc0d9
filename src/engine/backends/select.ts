/**
 * Backend selection (createBackend, createBackendFor) over the entries of registry.ts.
 * 'auto' tries the entries marked `auto` in the registry's order, saying why it skipped one, so a
 * missing or broken build never stops training; a GPU it could not use is noted in the description
 * of the backend used instead.
 */
import { backendNames, type TrainConfig } from '../config/settings';
import { UserInputError } from '../text/errors';
import { referenceOnly, type ModelSpec } from '../model/spec';
import { backendEntry, backendRegistry, type BackendEntry, type BackendOptions } from './registry';
import type { Backend } from './types';

export { resolveThreads } from './wasm';
export { backendRegistry, computeBackendNames, type BackendEntry, type BackendOptions, type ComputeBackendName } from './registry';

export type BackendPreference = TrainConfig['backend'];

/** Loads `entry`, giving a GPU backend the fastest CPU backend for its stepping. */
export function loadBackend(entry: BackendEntry, options: BackendOptions): Promise<Backend> {
  return entry.load(options, () => createCpuBackend({ threads: options.threads, kernels: options.kernels, nativeProducts: options.nativeProducts }));
}

/** The fastest CPU backend that 'auto' would pick and that runs here (for stepping: sampling, the hover, the lab answers). */
async function createCpuBackend(options: BackendOptions): Promise<Backend> {
  const candidates: readonly BackendEntry[] = backendRegistry.filter((entry) => entry.kind === 'cpu' && entry.auto);
  for (const entry of candidates) {
    if (entry !== candidates[candidates.length - 1] && (await entry.probe(options)) !== undefined) continue;
    return loadBackend(entry, options);
  }
  throw new Error('no CPU backend is marked auto in src/engine/backends/registry.ts');
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
  // WebGPU's stepping is on the CPU anyway: opening a device (a GPU tab in VS Code) would serve nothing.
  if (!only) return preference === 'auto' || preference === 'webgpu' ? createCpuBackend({ threads }) : createBackend(preference, threads, log);
  const preferred = preference === 'auto' ? undefined : backendEntry(preference);
  if (preferred && !preferred.everyModel) throw new UserInputError(`the ${preference} backend cannot run this model (${only}); try {suggestion}.`, { key: 'backend', suggestion: 'js' });
  if (preference === 'auto') log('info', `this model has ${only}, which only the TypeScript backend computes; using it.`);
  // 'auto' steps on the first CPU backend in the registry's order that computes every model.
  const fallback = preferred ?? backendRegistry.find((entry) => entry.kind === 'cpu' && entry.auto && entry.everyModel);
  if (!fallback) throw new Error('no auto CPU backend in src/engine/backends/registry.ts computes every model');
  return loadBackend(fallback, { threads });
}

export async function createBackend(
  preference: BackendPreference,
  threads: number,
  log: (level: 'info' | 'warn', message: string) => void = () => {},
): Promise<Backend> {
  const options: BackendOptions = { threads, onGpuLost: (message) => log('warn', message) };
  if (preference === 'auto') {
    const candidates: readonly BackendEntry[] = backendRegistry.filter((entry) => entry.auto);
    // Why the GPU was not used goes into the description of the backend used instead (Lab, CLI).
    let gpuNote: string | undefined;
    // Why each GPU backend was skipped, said once the backend used instead is known.
    const gpuSkipped: string[] = [];
    for (const [i, entry] of candidates.entries()) {
      const last = i === candidates.length - 1;
      try {
        const reason = await entry.probe(options);
        if (reason !== undefined) throw new Error(reason);
        const backend = await loadBackend(entry, { ...options, onOutOfMemory: (message) => log('warn', message) });
        for (const message of gpuSkipped) log('info', `${message}; using the ${entry.label} backend.`);
        if (gpuNote) {
          backend.info.description += ` (${gpuNote})`;
          backend.info.fallbackNote = gpuNote;
        }
        return backend;
      } catch (error) {
        if (last) throw error;
        const next = candidates[i + 1].label;
        const message = (error as Error).message;
        // No GPU is an ordinary case (information); a CPU backend that fails to load is not (a warning).
        if (entry.kind === 'gpu') {
          // The first GPU's reason is the note (CUDA's where it was tried); each is logged.
          gpuNote ??= entry.briefReason ? entry.briefReason(message) : message;
          gpuSkipped.push(message);
        } else {
          log('warn', `${entry.label} backend unavailable (${message}); using the ${next} backend, which is slower.`);
        }
      }
    }
  }
  const entry = backendEntry(preference);
  if (!entry) {
    throw new UserInputError(`unknown backend "${String(preference)}"; {setting} must be one of ${backendNames.join(', ')}.`, { key: 'backend', suggestion: 'auto' });
  }
  // Named, the WebGPU backend takes a software adapter too (tests, and machines without a GPU).
  const named: BackendOptions = { ...options, allowSoftwareGpu: true };
  try {
    const reason = await entry.probe(named);
    if (reason !== undefined) throw new Error(reason);
    return await loadBackend(entry, named);
  } catch (error) {
    throw new UserInputError(`the ${entry.label} backend is not available: ${(error as Error).message}; try {suggestion}.`, { key: 'backend', suggestion: 'auto' });
  }
}
