/**
 * What can go wrong on the WebGPU path, each with a message that says what happened and what the
 * run does about it. `kind` travels with the error across the worker boundary (nodeHost.ts), so
 * selection and the training loop can tell "no GPU here" from "this model does not fit".
 */

export type WebGpuErrorKind =
  /** The `webgpu` package (Dawn) is not installed or does not load on this platform. */
  | 'no-dawn'
  /** WebGPU loads but offers no adapter (no GPU driver, or none Dawn supports). */
  | 'no-adapter'
  /** Only a software adapter (CPU emulation) is there, and it was not asked for by name. */
  | 'software-only'
  /** The device was lost (driver reset, GPU removed, or destroyed). */
  | 'device-lost'
  | 'out-of-memory'
  /** The model or batch needs a buffer larger than the adapter allows. */
  | 'limit-exceeded'
  /** The host thread stopped answering. */
  | 'host'
  | 'internal';

export class WebGpuError extends Error {
  constructor(
    readonly kind: WebGpuErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'WebGpuError';
  }
}

/** The short reason the Lab and the CLI show beside the CPU backend used instead. */
export function briefWebGpuReason(kind: WebGpuErrorKind): string {
  switch (kind) {
    case 'no-dawn':
      return 'WebGPU not used: the webgpu package is not installed';
    case 'no-adapter':
      return 'WebGPU not used: no GPU adapter';
    case 'software-only':
      return 'WebGPU not used: only a software adapter';
    case 'device-lost':
      return 'WebGPU not used: the GPU device was lost';
    case 'out-of-memory':
      return 'WebGPU not used: out of GPU memory';
    case 'limit-exceeded':
      return 'WebGPU not used: the model exceeds a GPU limit';
    default:
      return 'WebGPU not used: error';
  }
}

/** An error of another kind (a thrown GPUError, a plain Error) as a WebGpuError. */
export function asWebGpuError(error: unknown, what: string): WebGpuError {
  if (error instanceof WebGpuError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const name = (error as { constructor?: { name?: string } })?.constructor?.name ?? '';
  if (name.includes('OutOfMemory') || /out of memory/i.test(message)) return new WebGpuError('out-of-memory', `out of GPU memory while ${what}: ${message}`);
  return new WebGpuError('internal', `WebGPU failed while ${what}: ${message}`);
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
