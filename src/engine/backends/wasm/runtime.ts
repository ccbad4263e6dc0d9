/**
 * Loading the kernels and managing their one linear memory: a shared `WebAssembly.Memory`
 * (so worker threads can run the same kernels over it), and a small first-fit allocator for the
 * buffers networks and steppers keep there. Memory grows on demand and is reused after `free`.
 *
 * There are two builds of the same kernels: `kernels.wasm` (SIMD128) and `kernels-relaxed.wasm`
 * (relaxed SIMD: a fused multiply-add in the matrix products; training ~1.3-1.4x faster on x86
 * with FMA3). The relaxed one is used where the runtime accepts it, the plain one otherwise.
 */
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import { findBundledFile } from '../bundled';
import { checkAbi, type KernelExports, type Ptr } from './abi';

/** Which build of the kernels: `relaxed` (relaxed-SIMD multiply-add) or `plain` (SIMD128 only). */
export type KernelsVariant = 'relaxed' | 'plain';
export const KERNEL_FILES: Record<KernelsVariant, string> = { plain: 'kernels.wasm', relaxed: 'kernels-relaxed.wasm' };
export const WORKER_FILE = 'wasm-worker.js';
const PAGE = 65536;
const MAX_PAGES = 32768; // 2 GiB, as linked (-Wl,--max-memory)
/** Shadow-stack bytes for each worker's instance (the main instance uses the module's own). */
export const WORKER_STACK_BYTES = 65536;


export interface LoadedKernels {
  module: WebAssembly.Module;
  variant: KernelsVariant;
}

type Probe = { kernels: LoadedKernels } | { reason: string };
const probes = new Map<KernelsVariant, Probe>();

/** Why the kernels cannot run here (missing build, old runtime), or undefined when they can. */
export function kernelsUnavailableReason(variant: KernelsVariant = 'plain'): string | undefined {
  const p = probe(variant);
  return 'reason' in p ? p.reason : undefined;
}

/**
 * The kernels to run: the requested build, or by default the relaxed one where this runtime
 * accepts it and the plain one otherwise. Throws when the requested (or the plain) build is unusable.
 */
export function loadKernels(variant?: KernelsVariant): LoadedKernels {
  if (!variant) {
    const relaxed = probe('relaxed');
    if ('kernels' in relaxed) return relaxed.kernels;
  }
  const p = probe(variant ?? 'plain');
  if ('reason' in p) throw new Error(`WebAssembly backend unavailable: ${p.reason}`);
  return p.kernels;
}

/** The module of `loadKernels(variant)`. */
export function kernelsModule(variant?: KernelsVariant): WebAssembly.Module {
  return loadKernels(variant).module;
}

function probe(variant: KernelsVariant): Probe {
  let p = probes.get(variant);
  if (!p) {
    p = compile(variant);
    probes.set(variant, p);
  }
  return p;
}

function compile(variant: KernelsVariant): Probe {
  if (typeof WebAssembly !== 'object') return { reason: 'this JavaScript runtime has no WebAssembly' };
  if (typeof SharedArrayBuffer !== 'function') return { reason: 'this JavaScript runtime has no SharedArrayBuffer' };
  const name = KERNEL_FILES[variant];
  const file = findBundledFile(name);
  if (!file) {
    const needs = variant === 'relaxed' ? 'clang-16 lld-16 or newer' : 'clang-16 lld-16 or clang-14 lld-14';
    return { reason: `${name} was not found beside ${__dirname}; build it with "npm run build" (needs the apt packages ${needs})` };
  }
  const bytes = fs.readFileSync(file);
  if (!(WebAssembly.validate(bytes) || (variant === 'relaxed' && enableRelaxedSimd() && WebAssembly.validate(bytes)))) {
    const lacks = variant === 'relaxed' ? 'relaxed SIMD' : 'WebAssembly SIMD or threads (Node 20+ has both)';
    return { reason: `${file} does not validate: this runtime lacks ${lacks}` };
  }
  return { kernels: { module: new WebAssembly.Module(bytes), variant } };
}

/**
 * Node 20's V8 (11.3) has relaxed SIMD complete but behind a flag; newer runtimes (Node 22,
 * VS Code's Electron) have it on by default and never get here. V8 flags are process-wide, so
 * worker threads started later accept the module too (they receive it already compiled).
 */
function enableRelaxedSimd(): boolean {
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    return true;
  } catch {
    return false;
  }
}

/**
 * An instance of the kernels over `memory`. `imports`: the native matrix products they import
 * (native.ts); any import not given is a function that throws, which the kernels never call
 * while their native products are off.
 */
export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory, imports: Record<string, (...args: number[]) => unknown> = {}): KernelExports {
  const env: WebAssembly.ModuleImports = { memory };
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (from === 'env' && kind === 'function') {
      env[name] = imports[name] ?? (() => {
        throw new Error(`${name} was called, but the native products are off for this memory`);
      });
    }
  }
  const exports = new WebAssembly.Instance(module, { env }).exports as unknown as KernelExports;
  checkAbi(exports);
  return exports;
}

export function createSharedMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
}

/**
 * First-fit allocator over the memory above the module's own data and stack. Blocks start on a
 * 64-byte cache line: a vector load that straddled two lines would read both, and a batch-1 step
 * is bound by how fast the weights arrive from the cache.
 */
export class WasmHeap {
  private top: number;
  private readonly sizes = new Map<Ptr, number>();
  /** Free blocks, sorted by address, adjacent blocks merged. */
  private freeBlocks: Array<{ ptr: Ptr; size: number }> = [];

  constructor(readonly memory: WebAssembly.Memory, base: number) {
    this.top = align(base);
  }

  alloc(bytes: number): Ptr {
    const size = align(Math.max(16, bytes));
    const i = this.freeBlocks.findIndex((b) => b.size >= size);
    let ptr: Ptr;
    if (i >= 0) {
      const block = this.freeBlocks[i];
      ptr = block.ptr;
      if (block.size === size) this.freeBlocks.splice(i, 1);
      else this.freeBlocks[i] = { ptr: block.ptr + size, size: block.size - size };
    } else {
      // Grow first: a failed grow must leave the top where it was.
      this.ensureCapacity(this.top + size);
      ptr = this.top;
      this.top += size;
    }
    this.sizes.set(ptr, size);
    return ptr;
  }

  /** Allocates `n` floats (or ints), zeroed. */
  allocFloats(n: number): Ptr {
    const ptr = this.alloc(4 * n);
    this.f32(ptr, n).fill(0);
    return ptr;
  }

  free(ptr: Ptr): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) return;
    this.sizes.delete(ptr);
    const blocks = this.freeBlocks;
    let i = blocks.findIndex((b) => b.ptr > ptr);
    if (i < 0) i = blocks.length;
    blocks.splice(i, 0, { ptr, size });
    // Merge with the next, then the previous block.
    if (i + 1 < blocks.length && blocks[i].ptr + blocks[i].size === blocks[i + 1].ptr) {
      blocks[i].size += blocks[i + 1].size;
      blocks.splice(i + 1, 1);
    }
    if (i > 0 && blocks[i - 1].ptr + blocks[i - 1].size === blocks[i].ptr) {
      blocks[i - 1].size += blocks[i].size;
      blocks.splice(i, 1);
    }
  }

  /** Views are created on the current buffer; on shared memory they stay valid after growth. */
  f32(ptr: Ptr, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }
  i32(ptr: Ptr, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n);
  }
  f64(ptr: Ptr, n: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, n);
  }

  private ensureCapacity(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) throw new RangeError(`the WebAssembly backend needs more than ${MAX_PAGES * PAGE / 2 ** 30} GiB; use a smaller batch or model`);
    this.memory.grow(pages);
  }
}

function align(n: number): number {
  return (n + 63) & ~63;
}
