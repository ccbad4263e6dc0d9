/**
 * CUDA driver result codes (CUresult, from cuda.h) and what they mean for someone training a model:
 * every failed driver call becomes a `CudaError` whose message names the call, the code and this
 * explanation. Also the reasons selection gives when it does not use the GPU.
 */

/** code -> [name, plain explanation]. Codes the driver may add later fall back to its own name. */
export const CU_RESULTS: ReadonlyMap<number, readonly [string, string]> = new Map<number, readonly [string, string]>([
  [0, ['CUDA_SUCCESS', 'no error']],
  [1, ['CUDA_ERROR_INVALID_VALUE', 'an argument was out of range']],
  [2, ['CUDA_ERROR_OUT_OF_MEMORY', 'the GPU has not enough free memory']],
  [3, ['CUDA_ERROR_NOT_INITIALIZED', 'the driver was not initialised (cuInit)']],
  [4, ['CUDA_ERROR_DEINITIALIZED', 'the driver is shutting down']],
  [34, ['CUDA_ERROR_STUB_LIBRARY', 'a stub libcuda (from a CUDA toolkit) was loaded instead of the NVIDIA driver']],
  [46, ['CUDA_ERROR_DEVICE_UNAVAILABLE', 'the GPU is busy or unavailable (exclusive compute mode?)']],
  [100, ['CUDA_ERROR_NO_DEVICE', 'no CUDA-capable GPU was found']],
  [101, ['CUDA_ERROR_INVALID_DEVICE', 'the device number is not a valid GPU']],
  [102, ['CUDA_ERROR_DEVICE_NOT_LICENSED', 'the GPU is not licensed for compute']],
  [200, ['CUDA_ERROR_INVALID_IMAGE', 'the kernel image is not valid']],
  [201, ['CUDA_ERROR_INVALID_CONTEXT', 'no valid CUDA context is current']],
  [209, ['CUDA_ERROR_NO_BINARY_FOR_GPU', 'the kernels cannot run on this GPU']],
  [214, ['CUDA_ERROR_ECC_UNCORRECTABLE', 'an uncorrectable memory error was detected']],
  [218, ['CUDA_ERROR_INVALID_PTX', 'the driver could not compile the kernels (PTX)']],
  [221, ['CUDA_ERROR_JIT_COMPILER_NOT_FOUND', 'the driver has no PTX compiler']],
  [222, ['CUDA_ERROR_UNSUPPORTED_PTX_VERSION', 'the driver is too old for the kernels\' PTX version']],
  [223, ['CUDA_ERROR_JIT_COMPILATION_DISABLED', 'PTX compilation is disabled in the driver']],
  [300, ['CUDA_ERROR_INVALID_SOURCE', 'the kernel source is not valid']],
  [301, ['CUDA_ERROR_FILE_NOT_FOUND', 'a file was not found']],
  [304, ['CUDA_ERROR_OPERATING_SYSTEM', 'an operating system call failed']],
  [400, ['CUDA_ERROR_INVALID_HANDLE', 'a handle (stream, event, module, graph) was not valid']],
  [401, ['CUDA_ERROR_ILLEGAL_STATE', 'the call was made in an invalid state']],
  [500, ['CUDA_ERROR_NOT_FOUND', 'a named kernel or symbol was not found']],
  [600, ['CUDA_ERROR_NOT_READY', 'the work is not finished yet']],
  [700, ['CUDA_ERROR_ILLEGAL_ADDRESS', 'a kernel read or wrote outside its memory']],
  [701, ['CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES', 'a kernel asked for more registers or threads than the GPU has']],
  [702, ['CUDA_ERROR_LAUNCH_TIMEOUT', 'a kernel ran too long and the display watchdog stopped it']],
  [709, ['CUDA_ERROR_CONTEXT_IS_DESTROYED', 'the CUDA context was destroyed']],
  [710, ['CUDA_ERROR_ASSERT', 'a kernel assertion failed']],
  [714, ['CUDA_ERROR_HARDWARE_STACK_ERROR', 'a kernel overflowed its stack']],
  [715, ['CUDA_ERROR_ILLEGAL_INSTRUCTION', 'a kernel executed an illegal instruction']],
  [716, ['CUDA_ERROR_MISALIGNED_ADDRESS', 'a kernel accessed misaligned memory']],
  [719, ['CUDA_ERROR_LAUNCH_FAILED', 'a kernel failed']],
  [800, ['CUDA_ERROR_NOT_PERMITTED', 'the operation is not permitted']],
  [801, ['CUDA_ERROR_NOT_SUPPORTED', 'the operation is not supported on this GPU or driver']],
  [802, ['CUDA_ERROR_SYSTEM_NOT_READY', 'the system is not ready (is the NVIDIA fabric manager running?)']],
  [803, ['CUDA_ERROR_SYSTEM_DRIVER_MISMATCH', 'the driver library and the kernel module have different versions (reboot after a driver update?)']],
  [804, ['CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE', 'the CUDA forward-compatibility package does not support this GPU']],
  [900, ['CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED', 'the operation cannot be recorded into a CUDA graph']],
  [901, ['CUDA_ERROR_STREAM_CAPTURE_INVALIDATED', 'recording into a CUDA graph was invalidated by an earlier error']],
  [906, ['CUDA_ERROR_STREAM_CAPTURE_IMPLICIT', 'a call would have synchronised with a stream being recorded']],
  [909, ['CUDA_ERROR_TIMEOUT', 'the wait timed out']],
  [910, ['CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE', 'the CUDA graph could not be updated']],
  [999, ['CUDA_ERROR_UNKNOWN', 'an unknown driver error']],
]);

export const CUDA_SUCCESS = 0;
export const CUDA_ERROR_OUT_OF_MEMORY = 2;
export const CUDA_ERROR_NO_DEVICE = 100;

/** Why the GPU was not used; each has its own message, then the CPU engine takes over. */
export type GpuUnavailableKind = 'no-driver' | 'no-device' | 'driver-too-old' | 'out-of-memory' | 'no-ffi' | 'error';

export class CudaError extends Error {
  constructor(
    /** The driver call that failed, e.g. "cuMemAlloc (allocating 512.0 MiB for layer 0 activations)". */
    readonly operation: string,
    readonly code: number,
    /** The driver's own name for the code when it has one, else ours. */
    driverName?: string,
    detail?: string,
  ) {
    super(describeCuResult(operation, code, driverName) + (detail ? `\n${detail}` : ''));
    this.name = 'CudaError';
  }

  get kind(): GpuUnavailableKind {
    return kindOfCuResult(this.code);
  }
}

export function describeCuResult(operation: string, code: number, driverName?: string): string {
  const known = CU_RESULTS.get(code);
  const name = known?.[0] ?? driverName ?? `CUresult ${code}`;
  const meaning = known?.[1] ?? 'see the CUDA driver documentation';
  return `${operation} failed: ${name} (${code}): ${meaning}`;
}

export function kindOfCuResult(code: number): GpuUnavailableKind {
  switch (code) {
    case CUDA_ERROR_OUT_OF_MEMORY: return 'out-of-memory';
    case CUDA_ERROR_NO_DEVICE: return 'no-device';
    case 34: return 'no-driver';
    // The driver cannot compile or load our PTX: it predates the ISA (or the GPU is unsupported).
    case 209: case 218: case 221: case 222: case 223: return 'driver-too-old';
    default: return 'error';
  }
}

/** An error in the GPU backend with the reason selection reports (e.g. a missing driver). */
export class GpuUnavailableError extends Error {
  constructor(readonly kind: GpuUnavailableKind, message: string) {
    super(message);
    this.name = 'GpuUnavailableError';
  }
}

/**
 * The reason shown in the CLI and the Lab's log before the CPU takes over:
 * "GPU not used: <a few words>: <what exactly failed>[; what to do]". The first two parts alone
 * go into the description of the backend used instead (see `briefGpuReason`).
 */
export function gpuUnavailableMessage(kind: GpuUnavailableKind, detail: string): string {
  const hints: Partial<Record<GpuUnavailableKind, string>> = {
    'driver-too-old': '; update the NVIDIA driver',
    'no-driver': '; install the NVIDIA driver to train on the GPU',
    'no-ffi': '; install the RNN Lab .vsix built for this platform',
  };
  const hint = hints[kind] ?? '';
  return `${shortGpuReason(kind)}: ${detail}${hint}`;
}

/** "GPU not used: no NVIDIA driver" from a full gpuUnavailableMessage. */
export function briefGpuReason(message: string): string {
  return message.split(': ').slice(0, 2).join(': ');
}

/** A few words for the backend's description ("WebAssembly SIMD, 2 threads (GPU not used: no NVIDIA driver)"). */
export function shortGpuReason(kind: GpuUnavailableKind): string {
  const words: Record<GpuUnavailableKind, string> = {
    'no-driver': 'no NVIDIA driver',
    'no-device': 'no CUDA GPU',
    'driver-too-old': 'NVIDIA driver too old',
    'out-of-memory': 'not enough GPU memory',
    'no-ffi': 'no GPU support in this build',
    error: 'GPU error',
  };
  return `GPU not used: ${words[kind]}`;
}
