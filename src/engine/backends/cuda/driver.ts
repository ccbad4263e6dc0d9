/**
 * A typed binding to the few CUDA driver calls the GPU backend needs, through koffi (an FFI with
 * prebuilt binaries, so nothing is compiled on the user's machine). The driver is the NVIDIA
 * driver's own library (libcuda.so.1 / nvcuda.dll); no CUDA toolkit is involved.
 *
 * Pointers and handles are BigInts (koffi's representation); device pointers are CUdeviceptr
 * (uint64). Results always come back through JavaScript-allocated typed arrays: VS Code's Node
 * forbids external array buffers, so nothing here ever wraps driver memory in an ArrayBuffer.
 * Every call checks its CUresult and throws a CudaError that names the call and the reason.
 */
import { loadKoffi, type Koffi } from '../ffi';
import { CUDA_SUCCESS, CudaError, GpuUnavailableError } from './errors';

/** A device pointer (CUdeviceptr); 0n is null. */
export type DevicePtr = bigint;
/** An opaque driver handle (CUcontext, CUmodule, CUfunction, CUstream, CUevent, CUgraph, CUgraphExec). */
export type Handle = bigint;

/** The CUdevice_attribute values we read. */
const ATTR_MULTIPROCESSOR_COUNT = 16;
const ATTR_COMPUTE_CAPABILITY_MAJOR = 75;
const ATTR_COMPUTE_CAPABILITY_MINOR = 76;
/** CUjit_option values for the compiler's logs. */
const JIT_INFO_LOG_BUFFER = 3;
const JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
const JIT_ERROR_LOG_BUFFER = 5;
const JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
const JIT_LOG_BYTES = 16384;
/** CU_STREAM_NON_BLOCKING: never synchronises with the legacy default stream (and may be captured). */
const STREAM_NON_BLOCKING = 1;
/** CU_STREAM_CAPTURE_MODE_THREAD_LOCAL. */
const CAPTURE_MODE_THREAD_LOCAL = 1;
/** Kernel parameters are passed through one native block of 8-byte slots (see `launch`). */
export const MAX_KERNEL_PARAMS = 32;

export interface DeviceInfo {
  ordinal: number;
  name: string;
  totalBytes: number;
  computeCapability: [number, number];
  multiprocessors: number;
}

/** A kernel argument: a device pointer (bigint) or a 32-bit int, uint or float (as the kernel declares). */
export type KernelArg = { p: DevicePtr } | { i: number } | { u: number } | { f: number };

// koffi's types are loose (`any` functions); the wrappers below give the typed surface.
/* eslint-disable @typescript-eslint/no-explicit-any */
type NativeFn = (...args: any[]) => any;

/** The driver library to load; RNN_LAB_CUDA_DRIVER names another (an unusual install, or tests of the no-driver path). */
export function libraryNames(platform = process.platform, env = process.env): string[] {
  if (env.RNN_LAB_CUDA_DRIVER) return [env.RNN_LAB_CUDA_DRIVER];
  if (platform === 'win32') return ['nvcuda.dll'];
  if (platform === 'linux') return ['libcuda.so.1', 'libcuda.so'];
  return [];
}

export class CudaDriver {
  readonly version: number;
  private readonly f: Record<string, NativeFn> = {};
  private readonly argBlock: bigint;
  private readonly argPointers: BigUint64Array;
  private readonly out64 = new BigUint64Array(2);
  private readonly out32 = new Int32Array(2);

  /** Loads the driver library and calls cuInit; throws GpuUnavailableError when there is no usable driver. */
  static open(ffi?: Koffi, names = libraryNames()): CudaDriver {
    if (names.length === 0) throw new GpuUnavailableError('no-driver', `NVIDIA's CUDA driver does not exist for ${process.platform}`);
    let koffi = ffi;
    try {
      koffi ??= loadKoffi();
    } catch (error) {
      throw new GpuUnavailableError('no-ffi', (error as Error).message);
    }
    const failures: string[] = [];
    for (const name of names) {
      let lib: any;
      try {
        lib = koffi.load(name);
      } catch (error) {
        failures.push(`could not load ${name} (${(error as Error).message.replace(/^Failed to load shared library: /, '')})`);
        continue;
      }
      return new CudaDriver(koffi, lib);
    }
    // The first name is the driver's real one; the others are only fallbacks.
    throw new GpuUnavailableError('no-driver', failures[0]);
  }

  /** `library` is kept: the driver library stays loaded while its functions are in use. */
  private constructor(private readonly koffi: Koffi, readonly library: any) {
    const sig: Array<[string, string]> = [
      ['cuInit', 'int cuInit(unsigned int flags)'],
      ['cuDriverGetVersion', 'int cuDriverGetVersion(void *version)'],
      ['cuGetErrorName', 'int cuGetErrorName(int error, _Out_ const char **name)'],
      ['cuDeviceGetCount', 'int cuDeviceGetCount(void *count)'],
      ['cuDeviceGet', 'int cuDeviceGet(void *device, int ordinal)'],
      ['cuDeviceGetName', 'int cuDeviceGetName(void *name, int len, int device)'],
      ['cuDeviceTotalMem', 'int cuDeviceTotalMem_v2(void *bytes, int device)'],
      ['cuDeviceGetAttribute', 'int cuDeviceGetAttribute(void *value, int attribute, int device)'],
      ['cuDevicePrimaryCtxRetain', 'int cuDevicePrimaryCtxRetain(void *context, int device)'],
      ['cuCtxSetCurrent', 'int cuCtxSetCurrent(void *context)'],
      ['cuMemGetInfo', 'int cuMemGetInfo_v2(void *free, void *total)'],
      ['cuModuleLoadDataEx', 'int cuModuleLoadDataEx(void *module, const void *image, unsigned int count, void *options, void *values)'],
      ['cuModuleGetFunction', 'int cuModuleGetFunction(void *fn, void *module, const char *name)'],
      ['cuMemAlloc', 'int cuMemAlloc_v2(void *dptr, size_t bytes)'],
      ['cuMemFree', 'int cuMemFree_v2(uint64_t dptr)'],
      ['cuMemcpyHtoDAsync', 'int cuMemcpyHtoDAsync_v2(uint64_t dst, const void *src, size_t bytes, void *stream)'],
      ['cuMemcpyDtoHAsync', 'int cuMemcpyDtoHAsync_v2(void *dst, uint64_t src, size_t bytes, void *stream)'],
      ['cuMemcpyDtoDAsync', 'int cuMemcpyDtoDAsync_v2(uint64_t dst, uint64_t src, size_t bytes, void *stream)'],
      ['cuMemsetD32Async', 'int cuMemsetD32Async(uint64_t dst, unsigned int value, size_t count, void *stream)'],
      ['cuStreamCreate', 'int cuStreamCreate(void *stream, unsigned int flags)'],
      ['cuStreamSynchronize', 'int cuStreamSynchronize(void *stream)'],
      ['cuLaunchKernel', 'int cuLaunchKernel(void *fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz, unsigned int sharedBytes, void *stream, void *params, void *extra)'],
      ['cuStreamBeginCapture', 'int cuStreamBeginCapture_v2(void *stream, int mode)'],
      ['cuStreamEndCapture', 'int cuStreamEndCapture(void *stream, void *graph)'],
      ['cuGraphLaunch', 'int cuGraphLaunch(void *exec, void *stream)'],
      ['cuGraphExecDestroy', 'int cuGraphExecDestroy(void *exec)'],
      ['cuGraphDestroy', 'int cuGraphDestroy(void *graph)'],
    ];
    const missing: string[] = [];
    for (const [key, decl] of sig) {
      try {
        this.f[key] = library.func(decl);
      } catch {
        missing.push(decl.split(' ')[1].split('(')[0]);
      }
    }
    // Instantiation changed signature over the years: flags (CUDA 11.4+), else the error-log form.
    try {
      this.f.cuGraphInstantiateWithFlags = library.func('int cuGraphInstantiateWithFlags(void *exec, void *graph, unsigned long long flags)');
    } catch {
      // CUDA 11.0-11.3 name it _v2; CUDA 10.x drivers export the same signature unversioned.
      for (const name of ['cuGraphInstantiate_v2', 'cuGraphInstantiate']) {
        try {
          this.f.cuGraphInstantiateLog = library.func(`int ${name}(void *exec, void *graph, void *errorNode, void *log, size_t logBytes)`);
          break;
        } catch {
          // Try the older name.
        }
      }
      if (!this.f.cuGraphInstantiateLog) missing.push('cuGraphInstantiateWithFlags');
    }
    if (missing.length > 0) {
      throw new GpuUnavailableError('driver-too-old', `the NVIDIA driver lacks ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', ...' : ''}`);
    }
    this.check('cuInit', this.f.cuInit(0));
    this.check('cuDriverGetVersion', this.f.cuDriverGetVersion(this.out32));
    this.version = this.out32[0];
    this.argBlock = koffi.alloc('uint64_t', MAX_KERNEL_PARAMS);
    this.argPointers = new BigUint64Array(MAX_KERNEL_PARAMS);
    const base = koffi.address(this.argBlock) as bigint;
    for (let i = 0; i < MAX_KERNEL_PARAMS; i++) this.argPointers[i] = base + BigInt(8 * i);
  }

  /** "12.8" for 12080. */
  get versionText(): string {
    return `${Math.floor(this.version / 1000)}.${Math.floor((this.version % 1000) / 10)}`;
  }

  private errorName(code: number): string | undefined {
    try {
      const out: Array<string | null> = [null];
      return this.f.cuGetErrorName(code, out) === 0 ? out[0] ?? undefined : undefined;
    } catch {
      return undefined;
    }
  }

  /** Throws a CudaError naming `operation` unless `code` is CUDA_SUCCESS. */
  check(operation: string, code: number, detail?: string): void {
    if (code !== CUDA_SUCCESS) throw new CudaError(operation, code, this.errorName(code), detail);
  }

  deviceCount(): number {
    this.check('cuDeviceGetCount', this.f.cuDeviceGetCount(this.out32));
    return this.out32[0];
  }

  device(ordinal: number): DeviceInfo {
    this.check(`cuDeviceGet(${ordinal})`, this.f.cuDeviceGet(this.out32, ordinal));
    const dev = this.out32[0];
    const name = Buffer.alloc(256);
    this.check('cuDeviceGetName', this.f.cuDeviceGetName(name, name.length, dev));
    this.check('cuDeviceTotalMem', this.f.cuDeviceTotalMem(this.out64, dev));
    const totalBytes = Number(this.out64[0]);
    const attr = (a: number, what: string) => {
      this.check(`cuDeviceGetAttribute(${what})`, this.f.cuDeviceGetAttribute(this.out32, a, dev));
      return this.out32[0];
    };
    const nul = name.indexOf(0);
    return {
      ordinal: dev,
      name: name.toString('utf8', 0, nul < 0 ? name.length : nul),
      totalBytes,
      computeCapability: [attr(ATTR_COMPUTE_CAPABILITY_MAJOR, 'compute capability'), attr(ATTR_COMPUTE_CAPABILITY_MINOR, 'compute capability')],
      multiprocessors: attr(ATTR_MULTIPROCESSOR_COUNT, 'multiprocessors'),
    };
  }

  /** Makes the device's primary context current on this thread (shared with anything else in the process). */
  useDevice(ordinal: number): Handle {
    this.check(`cuDevicePrimaryCtxRetain(${ordinal})`, this.f.cuDevicePrimaryCtxRetain(this.out64, ordinal));
    const ctx = this.out64[0];
    this.check('cuCtxSetCurrent', this.f.cuCtxSetCurrent(ctx));
    return ctx;
  }

  memInfo(): { free: number; total: number } {
    const total = new BigUint64Array(1);
    this.check('cuMemGetInfo', this.f.cuMemGetInfo(this.out64, total));
    return { free: Number(this.out64[0]), total: Number(total[0]) };
  }

  /** Loads PTX (the driver JIT-compiles it for this GPU); a compile error carries the JIT's log. */
  loadModule(ptx: string): Handle {
    const image = Buffer.from(`${ptx}\0`, 'utf8');
    const errorLog = this.koffi.alloc('char', JIT_LOG_BYTES);
    const infoLog = this.koffi.alloc('char', JIT_LOG_BYTES);
    try {
      this.koffi.encode(errorLog, 'char', 0);
      this.koffi.encode(infoLog, 'char', 0);
      const options = new Int32Array([JIT_ERROR_LOG_BUFFER, JIT_ERROR_LOG_BUFFER_SIZE_BYTES, JIT_INFO_LOG_BUFFER, JIT_INFO_LOG_BUFFER_SIZE_BYTES]);
      // Option values are pointer-sized: a buffer address, or a size passed as the value itself.
      const values = new BigUint64Array([this.koffi.address(errorLog), BigInt(JIT_LOG_BYTES), this.koffi.address(infoLog), BigInt(JIT_LOG_BYTES)]);
      const module = new BigUint64Array(1);
      const code = this.f.cuModuleLoadDataEx(module, image, options.length, options, values);
      if (code !== CUDA_SUCCESS) {
        const log = String(this.koffi.decode(errorLog, 'char', -1) ?? '').trim();
        this.check(`cuModuleLoadDataEx (compiling the kernels' PTX for this GPU, driver ${this.versionText})`, code, log ? `JIT log: ${log}` : undefined);
      }
      return module[0];
    } finally {
      this.koffi.free(errorLog);
      this.koffi.free(infoLog);
    }
  }

  getFunction(module: Handle, name: string): Handle {
    this.check(`cuModuleGetFunction(${name})`, this.f.cuModuleGetFunction(this.out64, module, name));
    return this.out64[0];
  }

  /** Device memory; `what` names it in the error (e.g. "the parameters"). */
  alloc(bytes: number, what: string): DevicePtr {
    const code = this.f.cuMemAlloc(this.out64, Math.max(4, bytes));
    if (code !== CUDA_SUCCESS) {
      let free = '';
      try {
        const m = this.memInfo();
        free = ` (${formatBytes(m.free)} free of ${formatBytes(m.total)})`;
      } catch {
        // The allocation error is the one worth reporting.
      }
      this.check(`cuMemAlloc of ${formatBytes(bytes)} for ${what}${free}`, code);
    }
    return this.out64[0];
  }

  free(ptr: DevicePtr): void {
    if (ptr !== 0n) this.check('cuMemFree', this.f.cuMemFree(ptr));
  }

  /** Host to device, ordered on `stream`; the host array may be reused once this returns. */
  upload(dst: DevicePtr, src: ArrayBufferView, stream: Handle, bytes = src.byteLength): void {
    if (bytes > 0) this.check('cuMemcpyHtoDAsync', this.f.cuMemcpyHtoDAsync(dst, src, bytes, stream));
  }

  /** Device to host into a JavaScript-allocated array, ordered on `stream`, and waits for it. */
  download(dst: ArrayBufferView, src: DevicePtr, stream: Handle, bytes = dst.byteLength): void {
    if (bytes <= 0) return;
    this.check('cuMemcpyDtoHAsync', this.f.cuMemcpyDtoHAsync(dst, src, bytes, stream));
    this.synchronize(stream);
  }

  copyDevice(dst: DevicePtr, src: DevicePtr, bytes: number, stream: Handle): void {
    if (bytes > 0) this.check('cuMemcpyDtoDAsync', this.f.cuMemcpyDtoDAsync(dst, src, bytes, stream));
  }

  /** Sets `count` 32-bit words (0 for float zeros). */
  fill32(dst: DevicePtr, value: number, count: number, stream: Handle): void {
    if (count > 0) this.check('cuMemsetD32Async', this.f.cuMemsetD32Async(dst, value >>> 0, count, stream));
  }

  createStream(): Handle {
    this.check('cuStreamCreate', this.f.cuStreamCreate(this.out64, STREAM_NON_BLOCKING));
    return this.out64[0];
  }

  synchronize(stream: Handle): void {
    this.check('cuStreamSynchronize (waiting for the GPU)', this.f.cuStreamSynchronize(stream));
  }

  /**
   * Launches `fn` with `args` in the kernel's parameter order. Each argument goes into its own
   * 8-byte slot of a native block and kernelParams points at the slots; the driver copies the
   * values during the call (and a graph being recorded keeps its own copy), so the block is reused.
   */
  launch(name: string, fn: Handle, grid: [number, number, number], block: [number, number, number], args: readonly KernelArg[], stream: Handle, sharedBytes = 0): void {
    if (args.length > MAX_KERNEL_PARAMS) throw new RangeError(`${name}: at most ${MAX_KERNEL_PARAMS} kernel parameters`);
    const k = this.koffi;
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as Partial<Record<'p' | 'i' | 'u' | 'f', number | bigint>>;
      if (a.p !== undefined) k.encode(this.argBlock, 8 * i, 'uint64_t', a.p);
      else if (a.i !== undefined) k.encode(this.argBlock, 8 * i, 'int32_t', a.i);
      else if (a.u !== undefined) k.encode(this.argBlock, 8 * i, 'uint32_t', a.u);
      else k.encode(this.argBlock, 8 * i, 'float', a.f);
    }
    for (const g of grid) if (!(g >= 1 && g <= 2147483647 && Number.isInteger(g))) throw new RangeError(`${name}: bad grid ${grid.join('x')}`);
    const code = this.f.cuLaunchKernel(fn, grid[0], grid[1], grid[2], block[0], block[1], block[2], sharedBytes, stream, this.argPointers, null);
    if (code !== CUDA_SUCCESS) this.check(`cuLaunchKernel(${name}, grid ${grid.join('x')}, block ${block.join('x')})`, code);
  }

  beginCapture(stream: Handle): void {
    this.check('cuStreamBeginCapture (recording a training step as a CUDA graph)', this.f.cuStreamBeginCapture(stream, CAPTURE_MODE_THREAD_LOCAL));
  }

  /** Ends the recording and instantiates the graph; returns [graph, executable]. */
  endCapture(stream: Handle): [Handle, Handle] {
    this.check('cuStreamEndCapture', this.f.cuStreamEndCapture(stream, this.out64));
    const graph = this.out64[0];
    const exec = new BigUint64Array(1);
    const code = this.f.cuGraphInstantiateWithFlags
      ? this.f.cuGraphInstantiateWithFlags(exec, graph, 0)
      : this.f.cuGraphInstantiateLog(exec, graph, null, null, 0);
    if (code !== CUDA_SUCCESS) {
      this.f.cuGraphDestroy(graph);
      this.check('cuGraphInstantiate', code);
    }
    return [graph, exec[0]];
  }

  launchGraph(exec: Handle, stream: Handle): void {
    this.check('cuGraphLaunch', this.f.cuGraphLaunch(exec, stream));
  }

  destroyGraph(graph: Handle, exec: Handle): void {
    this.check('cuGraphExecDestroy', this.f.cuGraphExecDestroy(exec));
    this.check('cuGraphDestroy', this.f.cuGraphDestroy(graph));
  }
}

export function formatBytes(bytes: number): string {
  const GiB = 1024 ** 3;
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
