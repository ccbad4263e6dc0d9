/// <reference types="@webgpu/types" />
/**
 * The kernels of kernels.ts compiled for one device, and plans: a recorded sequence of dispatches
 * (pipeline, bind group, workgroup counts) with every dispatch's parameters written once into one
 * uniform buffer. A training step of a given shape is recorded once and replayed each step, as
 * the CUDA backend replays a CUDA graph; only the step scalars (a storage array) change.
 */
import { KERNELS, kernelSource, paramNames, type KernelDef } from './kernels';
import { WebGpuError } from './errors';

/** GPUBufferUsage / GPUMapMode values (the spec's numbers; Dawn in Node has no such globals by default). */
export const Usage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
export const MAP_READ = 0x1;

/** Where one array lives: a buffer and an element offset into it. */
export interface View {
  buffer: GPUBuffer;
  offset: number;
}

export const view = (buffer: GPUBuffer, offset = 0): View => ({ buffer, offset });
export const at = (v: View, elements: number): View => ({ buffer: v.buffer, offset: v.offset + elements });

interface Kernel {
  def: KernelDef;
  fields: Array<{ name: string; float: boolean }>;
  /** Compiled on first use: a run needs about two thirds of the kernels, and compiling is slow on a software adapter. */
  pipeline?: GPUComputePipeline;
}

/** Each dispatch's parameters take one slot of this many bytes (the uniform offset alignment). */
const SLOT = 256;
/** Workgroups per dimension a dispatch may use (WebGPU's guaranteed minimum). */
const MAX_GROUPS = 65535;

export class Kernels {
  private readonly kernels = new Map<string, Kernel>(KERNELS.map((def) => [def.name, { def, fields: paramNames(def) }]));
  /** Bound where a kernel's optional input (a bias) is absent. */
  readonly dummy: GPUBuffer;
  /** The largest buffer a model may allocate (the device's limits). */
  readonly maxBufferBytes: number;

  constructor(readonly device: GPUDevice) {
    this.dummy = device.createBuffer({ size: 16, usage: Usage.STORAGE, label: 'absent input' });
    this.maxBufferBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  }

  get(name: string): Kernel {
    const k = this.kernels.get(name);
    if (!k) throw new Error(`no WebGPU kernel ${name}`);
    return k;
  }

  /**
   * Compiles the kernels not compiled yet; a WGSL error names the kernel and the compiler's message.
   * One at a time: error scopes are a stack, and Dawn's Node binding has crashed on many pipelines compiling at once.
   */
  async compile(kernels: Iterable<Kernel>): Promise<void> {
    const { device } = this;
    for (const kernel of kernels) {
      if (kernel.pipeline) continue;
      const { def } = kernel;
      const module = device.createShaderModule({ code: kernelSource(def), label: def.name });
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length > 0) throw new WebGpuError('internal', `the WGSL kernel ${def.name} does not compile: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
      device.pushErrorScope('validation');
      const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: def.name });
      const error = await device.popErrorScope();
      if (error) throw new WebGpuError('internal', `the WGSL kernel ${def.name} cannot be used: ${error.message}`);
      kernel.pipeline = pipeline;
    }
  }
}

interface Dispatch {
  kernel: Kernel;
  views: View[];
  groups: [number, number];
  bindGroup?: GPUBindGroup;
}

/**
 * Dispatches recorded in order, then `finish()`ed into bind groups over one uniform buffer.
 * Within one compute pass WebGPU makes each dispatch see the writes of the ones before it.
 */
export class Plan {
  private readonly dispatches: Dispatch[] = [];
  private readonly uniformWords: number[][] = [];
  private uniforms: GPUBuffer | undefined;

  constructor(private readonly kernels: Kernels) {}

  /** One dispatch of `name` with these views (by binding name) and scalar parameters, over `groups` workgroups. */
  run(name: string, views: Record<string, View | undefined>, params: Record<string, number>, groups: number | [number, number]): void {
    const kernel = this.kernels.get(name);
    const bound: View[] = kernel.def.bindings.map(([binding]) => views[binding] ?? view(this.kernels.dummy));
    const words = new Uint32Array(SLOT / 4);
    const floats = new Float32Array(words.buffer);
    kernel.fields.forEach((field, k) => {
      let value = params[field.name];
      if (value === undefined && field.name.startsWith('o_')) value = views[field.name.slice(2)]?.offset ?? 0;
      if (value === undefined) throw new Error(`kernel ${name}: parameter ${field.name} missing`);
      if (field.float) floats[k] = value;
      else words[k] = value >>> 0;
    });
    this.uniformWords.push(Array.from(words.subarray(0, Math.max(4, kernel.fields.length))));
    this.dispatches.push({ kernel, views: bound, groups: typeof groups === 'number' ? spread(groups) : groups });
  }

  /** A linear kernel over `n` elements (256 per workgroup). */
  linear(name: string, n: number, views: Record<string, View | undefined>, params: Record<string, number>): void {
    if (n <= 0) return;
    this.run(name, views, params, Math.ceil(n / 256));
  }

  /** Compiles its kernels, creates the uniform buffer and the bind groups; then the plan can be encoded any number of times. */
  async finish(): Promise<this> {
    await this.kernels.compile(new Set(this.dispatches.map((d) => d.kernel)));
    const { device } = this.kernels;
    const n = this.dispatches.length;
    const uniforms = device.createBuffer({ size: Math.max(1, n) * SLOT, usage: Usage.UNIFORM | Usage.COPY_DST, label: 'plan parameters' });
    const data = new Uint32Array((Math.max(1, n) * SLOT) / 4);
    this.uniformWords.forEach((w, k) => data.set(w, (k * SLOT) / 4));
    device.queue.writeBuffer(uniforms, 0, data);
    this.uniforms = uniforms;
    this.dispatches.forEach((d, k) => {
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniforms, offset: k * SLOT, size: SLOT } }];
      d.views.forEach((v, b) => entries.push({ binding: b + 1, resource: { buffer: v.buffer } }));
      d.bindGroup = device.createBindGroup({ layout: d.kernel.pipeline!.getBindGroupLayout(0), entries });
    });
    return this;
  }

  /** Adds every dispatch, in order, to one compute pass of `encoder`. */
  encode(encoder: GPUCommandEncoder): void {
    const pass = encoder.beginComputePass();
    for (const d of this.dispatches) {
      pass.setPipeline(d.kernel.pipeline!);
      pass.setBindGroup(0, d.bindGroup!);
      pass.dispatchWorkgroups(d.groups[0], d.groups[1]);
    }
    pass.end();
  }

  get size(): number {
    return this.dispatches.length;
  }

  destroy(): void {
    this.uniforms?.destroy();
    this.uniforms = undefined;
  }
}

/** Workgroups as x·y with x ≤ 65535 (the kernels index gid.x + gid.y·x·256). */
function spread(groups: number): [number, number] {
  if (groups <= MAX_GROUPS) return [Math.max(1, groups), 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / y), y];
}
