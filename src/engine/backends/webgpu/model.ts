/// <reference types="@webgpu/types" />
/**
 * One model on a WebGPU device: parameters, gradients, optimizer state and activations all stay
 * in GPU buffers. The passes follow the CUDA backend (../cuda/network.ts) call for call: per layer
 * one product for the input projections of all time steps, then per step one h·U product and a
 * fused cell kernel; backward per step a fused cell kernel and one dPre·Uᵀ product, with the
 * weight gradients as whole-sequence products. A pass of a given shape is recorded once as a Plan
 * and replayed.
 *
 * Everything here is asynchronous (WebGPU reads back with mapAsync). It runs wherever a GPUDevice
 * is: in the Dawn worker thread of the CLI (nodeWorker.ts), or in a webview. The synchronous
 * Network the training loop uses is network.ts, in front of a host.
 */
import { gateCount, hiddenSizeText, layerHiddenSize, layerInputSize, outputInputSize, paramLayout, stateOffsetOfLayer, stateSizePerRow, topHiddenSize, type ModelSpec, type ParamLayout } from '../../model/spec';
import { dropoutKeepScale, dropoutThreshold } from '../dropout';
import { packTimeMajor, sortRowsByToken } from '../timeMajor';
import { OPTIMIZER_DEFAULTS, OPTIMIZER_STATE_ARRAYS, type OptimizerState } from '../../optim/optimizers';
import type { DeviceStepResult, LossResult, PassOptions, UpdateRule } from '../types';
import type { CarriedStateCopy, TokenBatch } from '../../tensor';
import { WebGpuError } from './errors';
import { at, Kernels, MAP_READ, Plan, Usage, view, type View } from './pipelines';
import { Scalar, SCALAR_COUNT } from './kernels';

const ACTIVATION_CODE = { linear: 0, relu: 1, tanh: 2 } as const;
/** Workgroups of the gradient-norm reduction, at most; one per 64 Ki parameters (small models: one workgroup, no idle ones). */
const NORM_PARTS = 256;
const NORM_PART_SIZE = 65536;

const d = OPTIMIZER_DEFAULTS;
/** Each optimizer's constants, in the order of its kernel's parameters (kernels.ts). */
const OPTIMIZER_CONSTANTS: Record<UpdateRule['optimizer'], Record<string, number>> = {
  sgd: {},
  momentum: { momentum: d.momentum.momentum },
  rmsprop: { rho: d.rmsprop.rho, epsilon: d.rmsprop.epsilon },
  adam: { beta1: d.adam.beta1, beta2: d.adam.beta2, epsilon: d.adam.epsilon },
  adagrad: { epsilon: d.adagrad.epsilon },
  adadelta: { rho: d.adadelta.rho, epsilon: d.adadelta.epsilon },
};

interface LayerBuffers {
  input?: GPUBuffer;
  xw: GPUBuffer;
  rec: GPUBuffer;
  h: GPUBuffer;
  c?: GPUBuffer;
  gates?: GPUBuffer;
  aux?: GPUBuffer;
  dPre?: GPUBuffer;
  dPreRec?: GPUBuffer;
  dOut?: GPUBuffer;
  dhNext?: GPUBuffer;
  dcNext?: GPUBuffer;
}

interface Workspace {
  B: number;
  T: number;
  withGradients: boolean;
  xs: GPUBuffer;
  ys: GPUBuffer;
  weights: GPUBuffer;
  tokenStart: GPUBuffer;
  rowsByToken: GPUBuffer;
  layers: LayerBuffers[];
  top?: GPUBuffer;
  dense?: GPUBuffer;
  dDense?: GPUBuffer;
  logits: GPUBuffer;
  rowLoss: GPUBuffer;
  dInput0?: GPUBuffer;
  buffers: GPUBuffer[];
}

export class GpuModel {
  readonly layout: ParamLayout;
  private readonly buffers = new Set<GPUBuffer>();
  private params!: GPUBuffer;
  private grads!: GPUBuffer;
  private scalars!: GPUBuffer;
  /** [loss sum, gradient norm]. */
  private results!: GPUBuffer;
  private normPartial!: GPUBuffer;
  private staging!: GPUBuffer;
  private readonly carryH: GPUBuffer[] = [];
  private readonly carryC: Array<GPUBuffer | undefined> = [];
  private carryCapacity = -1;
  private carriedBatch = -1;
  private ws: Workspace | undefined;
  private readonly plans = new Map<string, Plan>();
  private optimizerState: { name: UpdateRule['optimizer']; arrays: GPUBuffer[]; steps: number } | undefined;
  private readonly hostScalars = new Float32Array(SCALAR_COUNT);
  private readonly hostScalarBits = new Uint32Array(this.hostScalars.buffer);
  private count = 0;
  private disposed = false;

  private constructor(
    private readonly kernels: Kernels,
    readonly spec: ModelSpec,
  ) {
    this.layout = paramLayout(spec);
  }

  static async create(kernels: Kernels, spec: ModelSpec, reserve?: { batchSize: number; steps: number }): Promise<GpuModel> {
    const model = new GpuModel(kernels, spec);
    try {
      await model.allocating('the parameters', () => {
        const P = model.layout.total;
        model.params = model.alloc(P, 'the parameters');
        model.grads = model.alloc(P, 'the gradients');
        model.scalars = model.alloc(SCALAR_COUNT, 'the step scalars');
        model.results = model.alloc(4, 'the step results');
        model.normPartial = model.alloc(NORM_PARTS, 'the gradient norm');
        model.staging = model.track(kernels.device.createBuffer({ size: 16, usage: Usage.MAP_READ | Usage.COPY_DST, label: 'results readback' }));
      });
      if (reserve) await model.workspace(reserve.batchSize, reserve.steps, true);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  }

  private get device(): GPUDevice {
    return this.kernels.device;
  }

  // ---- the calls of the Network interface (network.ts forwards them) --------------------------

  setParams(values: Float32Array): void {
    this.checkAlive();
    if (values.length !== this.layout.total) throw new RangeError(`parameters must hold ${this.layout.total} values (got ${values.length})`);
    this.device.queue.writeBuffer(this.params, 0, values as Float32Array<ArrayBuffer>);
  }

  async getParams(): Promise<Float32Array> {
    return this.read(this.params, this.layout.total);
  }

  async getGrads(): Promise<Float32Array> {
    return this.read(this.grads, this.layout.total);
  }

  async forwardBackward(batch: TokenBatch, options: PassOptions): Promise<LossResult> {
    const train = options.train ?? true;
    const dropoutOn = train && this.spec.dropout > 0;
    const ws = await this.prepare(batch, options, true, train);
    const plan = await this.plan(`fb:${dropoutOn}`, ws, (p) => {
      this.recordForward(p, ws, dropoutOn, true);
      this.recordBackward(p, ws, dropoutOn);
    });
    const [lossSum] = await this.runAndRead(plan);
    this.carriedBatch = batch.batchSize;
    return { lossSum, count: this.count };
  }

  async evaluate(batch: TokenBatch, options: PassOptions): Promise<LossResult> {
    const ws = await this.prepare(batch, options, false, false);
    const plan = await this.plan('eval', ws, (p) => this.recordForward(p, ws, false, false));
    const [lossSum] = await this.runAndRead(plan);
    this.carriedBatch = batch.batchSize;
    return { lossSum, count: this.count };
  }

  async trainStep(batch: TokenBatch, options: PassOptions, rule: UpdateRule): Promise<DeviceStepResult> {
    const dropoutOn = (options.train ?? true) && this.spec.dropout > 0;
    const opt = await this.optimizerFor(rule.optimizer);
    opt.steps++;
    const s = this.hostScalars;
    s[Scalar.LearningRate] = rule.learningRate;
    s[Scalar.AdamC1] = 1 - d.adam.beta1 ** opt.steps;
    s[Scalar.AdamC2] = 1 - d.adam.beta2 ** opt.steps;
    const ws = await this.prepare(batch, options, true, true);
    const plan = await this.plan(`step:${dropoutOn}:${rule.optimizer}:${rule.clipNorm}`, ws, (p) => {
      this.recordForward(p, ws, dropoutOn, true);
      this.recordBackward(p, ws, dropoutOn);
      this.recordUpdate(p, rule);
    });
    const [lossSum, gradNorm] = await this.runAndRead(plan);
    this.carriedBatch = batch.batchSize;
    return { lossSum, count: this.count, gradNorm };
  }

  resetState(): void {
    this.carriedBatch = -1;
  }

  async getCarriedState(): Promise<CarriedStateCopy | undefined> {
    const B = this.carriedBatch;
    if (B < 0) return undefined;
    const row = stateSizePerRow(this.spec);
    const values = new Float32Array(B * row);
    for (let l = 0; l < this.spec.layers; l++) {
      const H = layerHiddenSize(this.spec, l);
      const from = stateOffsetOfLayer(this.spec, l);
      for (const [k, buffer] of [this.carryH[l], this.carryC[l]].entries()) {
        if (!buffer) continue;
        const part = await this.read(buffer, B * H);
        for (let b = 0; b < B; b++) values.set(part.subarray(b * H, (b + 1) * H), b * row + from + k * H);
      }
    }
    return { batchSize: B, values };
  }

  async setCarriedState(state: CarriedStateCopy | undefined): Promise<void> {
    this.checkAlive();
    if (!state) {
      this.carriedBatch = -1;
      return;
    }
    const B = state.batchSize;
    const row = stateSizePerRow(this.spec);
    if (state.values.length !== B * row) throw new RangeError(`carried state must hold ${B * row} values (got ${state.values.length})`);
    await this.allocating('the carried state', () => this.allocateCarry(B));
    for (let l = 0; l < this.spec.layers; l++) {
      const H = layerHiddenSize(this.spec, l);
      const from = stateOffsetOfLayer(this.spec, l);
      const part = new Float32Array(B * H);
      for (const [k, buffer] of [this.carryH[l], this.carryC[l]].entries()) {
        if (!buffer) continue;
        for (let b = 0; b < B; b++) part.set(state.values.subarray(b * row + from + k * H, b * row + from + (k + 1) * H), b * H);
        this.device.queue.writeBuffer(buffer, 0, part);
      }
    }
    this.carriedBatch = B;
  }

  async getOptimizerState(): Promise<OptimizerState | undefined> {
    const opt = this.optimizerState;
    if (!opt) return undefined;
    const buffers: Float64Array[] = [];
    for (const buffer of opt.arrays) buffers.push(Float64Array.from(await this.read(buffer, this.layout.total)));
    return { name: opt.name, steps: opt.steps, buffers };
  }

  async setOptimizerState(state: OptimizerState): Promise<void> {
    this.checkAlive();
    const opt = await this.optimizerFor(state.name);
    const P = this.layout.total;
    if (state.buffers.length !== opt.arrays.length || state.buffers.some((b) => b.length !== P)) {
      throw new RangeError(`optimizer state for ${state.name} (${state.buffers.length} buffers) does not fit this model`);
    }
    state.buffers.forEach((b, k) => this.device.queue.writeBuffer(opt.arrays[k], 0, Float32Array.from(b)));
    opt.steps = state.steps;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.dropPlans();
    for (const buffer of this.buffers) buffer.destroy();
    this.buffers.clear();
  }

  // ---- buffers ----------------------------------------------------------------------------------

  private checkAlive(): void {
    if (this.disposed) throw new Error('this network was disposed');
  }

  private track(buffer: GPUBuffer): GPUBuffer {
    this.buffers.add(buffer);
    return buffer;
  }

  /** A storage buffer of `floats` 4-byte values; a size over the device's limits is a clear error. */
  private alloc(floats: number, what: string): GPUBuffer {
    const bytes = Math.max(16, 4 * floats);
    const limit = this.kernels.maxBufferBytes;
    if (bytes > limit) {
      throw new WebGpuError('limit-exceeded', `${what} of a ${describeSpec(this.spec)} need a ${mib(bytes)} GPU buffer, more than this WebGPU adapter allows in one buffer (${mib(limit)}); use a smaller model, batch or sequence length`);
    }
    return this.track(this.device.createBuffer({ size: bytes, usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST, label: what }));
  }

  private release(buffer: GPUBuffer | undefined): void {
    if (!buffer || !this.buffers.delete(buffer)) return;
    buffer.destroy();
  }

  /** Runs `create` (buffer allocations) and turns a device out-of-memory error into a WebGpuError naming `what`. */
  private async allocating<T>(what: string, create: () => T): Promise<T> {
    this.device.pushErrorScope('out-of-memory');
    let result: T;
    try {
      result = create();
    } finally {
      const error = await this.device.popErrorScope();
      if (error) throw new WebGpuError('out-of-memory', `the GPU has not enough free memory for ${what} of a ${describeSpec(this.spec)}: ${error.message}`);
    }
    return result;
  }

  /** Copies `floats` values of a buffer to the host (waits for the GPU). */
  private async read(buffer: GPUBuffer, floats: number): Promise<Float32Array> {
    this.checkAlive();
    const bytes = Math.max(16, 4 * floats);
    const staging = this.device.createBuffer({ size: bytes, usage: Usage.MAP_READ | Usage.COPY_DST, label: 'readback' });
    try {
      const encoder = this.device.createCommandEncoder();
      encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
      this.device.queue.submit([encoder.finish()]);
      await staging.mapAsync(MAP_READ);
      return new Float32Array(staging.getMappedRange()).slice(0, floats);
    } finally {
      staging.destroy();
    }
  }

  /** Submits a plan and reads back [loss sum, gradient norm]. */
  private async runAndRead(plan: Plan): Promise<[number, number]> {
    const encoder = this.device.createCommandEncoder();
    plan.encode(encoder);
    encoder.copyBufferToBuffer(this.results, 0, this.staging, 0, 16);
    this.device.queue.submit([encoder.finish()]);
    await this.staging.mapAsync(MAP_READ);
    const out = new Float32Array(this.staging.getMappedRange().slice(0, 8));
    this.staging.unmap();
    return [out[0], out[1]];
  }

  private dropPlans(): void {
    for (const plan of this.plans.values()) plan.destroy();
    this.plans.clear();
  }

  private async plan(key: string, ws: Workspace, record: (plan: Plan) => void): Promise<Plan> {
    const full = `${key}:${ws.B}x${ws.T}`;
    let plan = this.plans.get(full);
    if (!plan) {
      plan = new Plan(this.kernels);
      record(plan);
      await plan.finish();
      this.plans.set(full, plan);
    }
    return plan;
  }

  private async optimizerFor(name: UpdateRule['optimizer']) {
    if (this.optimizerState?.name !== name) {
      this.optimizerState?.arrays.forEach((a) => this.release(a));
      const P = this.layout.total;
      const arrays = await this.allocating(`the ${name} optimizer state`, () => Array.from({ length: OPTIMIZER_STATE_ARRAYS[name] }, () => this.alloc(P, `the ${name} optimizer state`)));
      this.optimizerState = { name, arrays, steps: 0 };
      this.dropPlans();
    }
    return this.optimizerState;
  }

  /** Buffers for a (batch, steps) shape; reallocated when the shape (or the need for gradients) changes. */
  private async workspace(B: number, T: number, withGradients: boolean): Promise<Workspace> {
    const old = this.ws;
    if (old && old.B === B && old.T === T && (old.withGradients || !withGradients)) return old;
    if (old) {
      old.buffers.forEach((b) => this.release(b));
      this.ws = undefined;
    }
    this.dropPlans();
    return this.allocating(`the activations of batch ${B}x${T}`, () => this.allocateWorkspace(B, T, withGradients));
  }

  private allocateWorkspace(B: number, T: number, withGradients: boolean): Workspace {
    const { spec } = this;
    const N = B * T;
    const G = gateCount(spec.cell);
    const Htop = topHiddenSize(spec);
    const V = spec.vocabSize;
    const D = spec.hiddenDense;
    const lstm = spec.cell === 'lstm';
    const dropout = spec.dropout > 0;
    const buffers: GPUBuffer[] = [];
    const a = (floats: number, what: string) => {
      const b = this.alloc(floats, what);
      buffers.push(b);
      return b;
    };
    const maybe = (need: boolean, floats: number, what: string) => (need && floats > 0 ? a(floats, what) : undefined);
    const ws: Workspace = {
      B, T, withGradients, buffers,
      xs: a(N, 'the input ids'),
      ys: a(N, 'the target ids'),
      weights: a(N, 'the loss mask'),
      tokenStart: a(V + 1, 'the token index'),
      rowsByToken: a(N, 'the token index'),
      layers: [],
      top: maybe(dropout, N * Htop, 'the output layer input'),
      dense: maybe(D > 0, N * D, 'the Dense layer'),
      dDense: maybe(withGradients && D > 0, N * D, 'the Dense layer gradients'),
      logits: a(N * V, 'the logits'),
      rowLoss: a(N, 'the losses'),
      dInput0: maybe(withGradients && spec.embeddingSize > 0, N * spec.embeddingSize, 'the embedding gradients'),
    };
    for (let l = 0; l < spec.layers; l++) {
      const I = layerInputSize(spec, l);
      const H = layerHiddenSize(spec, l);
      const GH = G * H;
      const what = `layer ${l + 1}`;
      ws.layers.push({
        input: maybe((l > 0 && dropout) || (l === 0 && spec.embeddingSize > 0), N * I, `${what} inputs`),
        xw: a(N * GH, `${what} input projections`),
        rec: a(B * GH, `${what} recurrent products`),
        h: a((T + 1) * B * H, `${what} hidden states`),
        c: maybe(lstm, (T + 1) * B * H, `${what} cell states`),
        gates: maybe(spec.cell !== 'rnn', N * GH, `${what} gates`),
        aux: maybe(spec.cell !== 'rnn', N * H, `${what} saved values`),
        dPre: maybe(withGradients, N * GH, `${what} gradients`),
        dPreRec: maybe(withGradients && spec.cell === 'gru', N * GH, `${what} recurrent gradients`),
        dOut: maybe(withGradients, N * H, `${what} output gradients`),
        dhNext: maybe(withGradients, B * H, `${what} state gradients`),
        dcNext: maybe(withGradients && lstm, B * H, `${what} cell-state gradients`),
      });
    }
    this.ws = ws;
    this.allocateCarry(B);
    return ws;
  }

  /** The state carried between passes, [B, H] per layer (and c for LSTM); a new batch size starts from zeros. */
  private allocateCarry(B: number): void {
    if (this.carryH.length > 0 && this.carryCapacity === B) return;
    [...this.carryH, ...this.carryC].forEach((b) => this.release(b));
    this.carryH.length = 0;
    this.carryC.length = 0;
    for (let l = 0; l < this.spec.layers; l++) {
      const H = layerHiddenSize(this.spec, l);
      this.carryH.push(this.alloc(B * H, 'the carried state'));
      this.carryC.push(this.spec.cell === 'lstm' ? this.alloc(B * H, 'the carried state') : undefined);
    }
    this.carryCapacity = B;
    this.carriedBatch = -1;
    // The plans bind the carry buffers.
    this.dropPlans();
  }

  /** Checks and uploads a batch (time-major), the per-token row index, the scalars and the starting state. */
  private async prepare(batch: TokenBatch, options: PassOptions, withGradients: boolean, train: boolean): Promise<Workspace> {
    this.checkAlive();
    const V = this.spec.vocabSize;
    const N = batch.batchSize * batch.steps;
    const rows = { xs: new Int32Array(N), ys: new Int32Array(N), weights: new Float32Array(N) };
    const count = packTimeMajor(batch, V, rows);
    const { batchSize: B, steps: T } = batch;
    const ws = await this.workspace(B, T, withGradients);
    const { xs, ys, weights } = rows;
    this.count = count;
    const queue = this.device.queue;
    queue.writeBuffer(ws.xs, 0, xs);
    queue.writeBuffer(ws.ys, 0, ys);
    queue.writeBuffer(ws.weights, 0, weights);
    if (withGradients) {
      const tokenStart = new Int32Array(V + 1);
      const rowsByToken = new Int32Array(N);
      sortRowsByToken(xs, V, tokenStart, rowsByToken);
      queue.writeBuffer(ws.tokenStart, 0, tokenStart);
      queue.writeBuffer(ws.rowsByToken, 0, rowsByToken);
    }
    this.hostScalars[Scalar.InvCount] = count > 0 ? 1 / count : 0;
    this.hostScalars[Scalar.ClipScale] = 1;
    this.hostScalarBits[Scalar.Seed] = train ? (options.dropoutSeed ?? 0) >>> 0 : 0;
    queue.writeBuffer(this.scalars, 0, this.hostScalars);
    // Carried state only for the same number of streams; otherwise (or when asked) start from zeros.
    if (!(options.carryState && this.carriedBatch === B)) {
      for (let l = 0; l < this.spec.layers; l++) {
        const zeros = new Float32Array(B * layerHiddenSize(this.spec, l));
        queue.writeBuffer(this.carryH[l], 0, zeros);
        if (this.carryC[l]) queue.writeBuffer(this.carryC[l]!, 0, zeros);
      }
    }
    return ws;
  }

  // ---- recording the passes ---------------------------------------------------------------------

  private slot(name: string, grads = false): View {
    const slot = this.layout.byName.get(name);
    if (!slot) throw new Error(`layout has no slot ${name}`);
    return view(grads ? this.grads : this.params, slot.offset);
  }

  /** A product with the tile size that suits its shape and the device (see chooseTile). */
  private gemm(plan: Plan, g: { M: number; N: number; K: number; A: View; lda: number; B: View; ldb: number; C: View; ldc: number; bias?: View; transA?: boolean; transB?: boolean; accumulate?: boolean }): void {
    const tile = chooseTile(g.M, g.N, this.device.limits);
    const name = `gemm_${tile}_${g.transA ? 't' : 'n'}${g.transB ? 't' : 'n'}`;
    plan.run(name, { A: g.A, Bm: g.B, C: g.C, bias: g.bias }, { M: g.M, N: g.N, K: g.K, lda: g.lda, ldb: g.ldb, ldc: g.ldc, hasBias: g.bias ? 1 : 0, accumulate: g.accumulate ? 1 : 0 }, [Math.ceil(g.M / tile), Math.ceil(g.N / tile)]);
  }

  private copy(plan: Plan, src: View, dst: View, n: number): void {
    plan.linear('copy', n, { src, dst }, { n });
  }

  private fill(plan: Plan, x: View, n: number, value = 0): void {
    plan.linear('fill', n, { x }, { n, value });
  }

  private dropout(plan: Plan, x: View, N: number, B: number, width: number, site: number): void {
    const p = this.spec.dropout;
    plan.linear('dropout', N * width, { x, scalars: view(this.scalars) }, { N, B, width, site, threshold: dropoutThreshold(p), keepScale: dropoutKeepScale(p) });
  }

  /** Every layer, the Dense layer, the output layer and the masked cross-entropy (into results[0]). */
  private recordForward(plan: Plan, ws: Workspace, dropoutOn: boolean, wantGradient: boolean): void {
    const { spec } = this;
    const { B, T } = ws;
    const N = B * T;
    const G = gateCount(spec.cell);
    const V = spec.vocabSize;
    for (let l = 0; l < spec.layers; l++) {
      const lb = ws.layers[l];
      const I = layerInputSize(spec, l);
      const H = layerHiddenSize(spec, l);
      const GH = G * H;
      const W = this.slot(`l${l}.kernel`);
      const U = this.slot(`l${l}.recurrent_kernel`);
      const bias = this.slot(`l${l}.bias`);
      if (l === 0 && spec.embeddingSize > 0) plan.linear('gather_rows', N * I, { ids: view(ws.xs), table: this.slot('embedding'), out: view(lb.input!) }, { N, width: I, hasBias: 0 });
      else if (l > 0 && dropoutOn) {
        this.copy(plan, view(ws.layers[l - 1].h, B * I), view(lb.input!), N * I);
        this.dropout(plan, view(lb.input!), N, B, I, l - 1);
      }
      if (l === 0 && spec.embeddingSize === 0) plan.linear('gather_rows', N * GH, { ids: view(ws.xs), table: W, bias, out: view(lb.xw) }, { N, width: GH, hasBias: 1 });
      else this.gemm(plan, { M: N, N: GH, K: I, A: this.layerInput(ws, l, dropoutOn), lda: I, B: W, ldb: GH, C: view(lb.xw), ldc: GH, bias });
      this.copy(plan, view(this.carryH[l]), view(lb.h), B * H);
      if (lb.c) this.copy(plan, view(this.carryC[l]!), view(lb.c), B * H);
      for (let t = 0; t < T; t++) {
        const hPrev = view(lb.h, t * B * H);
        const xw = view(lb.xw, t * B * GH);
        this.gemm(plan, { M: B, N: GH, K: H, A: hPrev, lda: H, B: U, ldb: GH, C: view(lb.rec), ldc: GH });
        const cell = { B, H, o_hNext: (t + 1) * B * H };
        if (spec.cell === 'lstm') {
          plan.linear('lstm_fwd', B * H, { xw, rec: view(lb.rec), c: view(lb.c!, t * B * H), h: view(lb.h), gates: view(lb.gates!, t * B * GH), aux: view(lb.aux!, t * B * H) }, { ...cell, o_cNext: (t + 1) * B * H });
        } else if (spec.cell === 'gru') {
          plan.linear('gru_fwd', B * H, { xw, rec: view(lb.rec), recBias: at(bias, GH), h: hPrev, gates: view(lb.gates!, t * B * GH), aux: view(lb.aux!, t * B * H) }, cell);
        } else {
          plan.linear('rnn_fwd', B * H, { xw, rec: view(lb.rec), h: view(lb.h, (t + 1) * B * H) }, { B, H });
        }
      }
      this.copy(plan, view(lb.h, T * B * H), view(this.carryH[l]), B * H);
      if (lb.c) this.copy(plan, view(lb.c, T * B * H), view(this.carryC[l]!), B * H);
    }
    const H = topHiddenSize(spec);
    if (dropoutOn) {
      this.copy(plan, view(ws.layers[spec.layers - 1].h, B * H), view(ws.top!), N * H);
      this.dropout(plan, view(ws.top!), N, B, H, spec.layers - 1);
    }
    const top = this.topInput(ws, dropoutOn);
    const D = spec.hiddenDense;
    if (D > 0) {
      this.gemm(plan, { M: N, N: D, K: H, A: top, lda: H, B: this.slot('dense.kernel'), ldb: D, C: view(ws.dense!), ldc: D, bias: this.slot('dense.bias') });
      plan.linear('activate', N * D, { x: view(ws.dense!) }, { n: N * D, act: ACTIVATION_CODE[spec.hiddenActivation] });
    }
    const K = outputInputSize(spec);
    this.gemm(plan, { M: N, N: V, K, A: D > 0 ? view(ws.dense!) : top, lda: K, B: this.slot('output.kernel'), ldb: V, C: view(ws.logits), ldc: V, bias: this.slot('output.bias') });
    plan.run('softmax_xent', { logits: view(ws.logits), targets: view(ws.ys), weights: view(ws.weights), scalars: view(this.scalars), rowLoss: view(ws.rowLoss) }, { N, V, grad: wantGradient ? 1 : 0 }, N);
    plan.run('sum_into', { x: view(ws.rowLoss), out: view(this.results) }, { n: N }, 1);
  }

  /** Gradients of the mean loss into the gradient buffer (after recordForward with wantGradient: the logits hold dLogits). */
  private recordBackward(plan: Plan, ws: Workspace, dropoutOn: boolean): void {
    const { spec } = this;
    const { B, T } = ws;
    const N = B * T;
    const G = gateCount(spec.cell);
    const Htop = topHiddenSize(spec);
    const V = spec.vocabSize;
    const D = spec.hiddenDense;
    const K = outputInputSize(spec);
    const L = spec.layers;
    const g = (name: string) => this.slot(name, true);
    this.fill(plan, view(this.grads), this.layout.total);
    const top = this.topInput(ws, dropoutOn);
    const dLogits = view(ws.logits);
    this.gemm(plan, { M: K, N: V, K: N, A: D > 0 ? view(ws.dense!) : top, lda: K, transA: true, B: dLogits, ldb: V, C: g('output.kernel'), ldc: V, accumulate: true });
    plan.linear('col_sums_add', V, { A: dLogits, out: g('output.bias') }, { rows: N, cols: V });
    const topOut = view(ws.layers[L - 1].dOut!);
    if (D > 0) {
      const dDense = view(ws.dDense!);
      this.gemm(plan, { M: N, N: D, K: V, A: dLogits, lda: V, B: this.slot('output.kernel'), ldb: V, transB: true, C: dDense, ldc: D });
      plan.linear('activate_bwd', N * D, { d: dDense, y: view(ws.dense!) }, { n: N * D, act: ACTIVATION_CODE[spec.hiddenActivation] });
      this.gemm(plan, { M: Htop, N: D, K: N, A: top, lda: Htop, transA: true, B: dDense, ldb: D, C: g('dense.kernel'), ldc: D, accumulate: true });
      plan.linear('col_sums_add', D, { A: dDense, out: g('dense.bias') }, { rows: N, cols: D });
      this.gemm(plan, { M: N, N: Htop, K: D, A: dDense, lda: D, B: this.slot('dense.kernel'), ldb: D, transB: true, C: topOut, ldc: Htop });
    } else {
      this.gemm(plan, { M: N, N: Htop, K: V, A: dLogits, lda: V, B: this.slot('output.kernel'), ldb: V, transB: true, C: topOut, ldc: Htop });
    }
    if (dropoutOn) this.dropout(plan, topOut, N, B, Htop, L - 1);

    for (let l = L - 1; l >= 0; l--) {
      const lb = ws.layers[l];
      const I = layerInputSize(spec, l);
      const H = layerHiddenSize(spec, l);
      const GH = G * H;
      const U = this.slot(`l${l}.recurrent_kernel`);
      const dhNext = view(lb.dhNext!);
      this.fill(plan, dhNext, B * H);
      if (lb.dcNext) this.fill(plan, view(lb.dcNext), B * H);
      const dRec = spec.cell === 'gru' ? lb.dPreRec! : lb.dPre!;
      for (let t = T - 1; t >= 0; t--) {
        const dOut = view(lb.dOut!, t * B * H);
        const dPre = view(lb.dPre!, t * B * GH);
        if (spec.cell === 'lstm') {
          plan.linear('lstm_bwd', B * H, { dOut, dhNext, dcNext: view(lb.dcNext!), gates: view(lb.gates!, t * B * GH), aux: view(lb.aux!, t * B * H), c: view(lb.c!, t * B * H), dPre }, { B, H });
        } else if (spec.cell === 'gru') {
          plan.linear('gru_bwd', B * H, { dOut, dhNext, gates: view(lb.gates!, t * B * GH), aux: view(lb.aux!, t * B * H), h: view(lb.h, t * B * H), dPre, dPreRec: view(lb.dPreRec!, t * B * GH) }, { B, H });
        } else {
          plan.linear('rnn_bwd', B * H, { dOut, dhNext, h: view(lb.h, (t + 1) * B * H), dPre }, { B, H });
        }
        if (t > 0) this.gemm(plan, { M: B, N: H, K: GH, A: view(dRec, t * B * GH), lda: GH, B: U, ldb: GH, transB: true, C: dhNext, ldc: H, accumulate: true });
      }
      // Weight gradients as whole-sequence products: dU = Σ_t h_{t-1}ᵀ·dRec_t, dW = Σ_t x_tᵀ·dPre_t.
      this.gemm(plan, { M: H, N: GH, K: N, A: view(lb.h), lda: H, transA: true, B: view(dRec), ldb: GH, C: g(`l${l}.recurrent_kernel`), ldc: GH, accumulate: true });
      const dBias = g(`l${l}.bias`);
      plan.linear('col_sums_add', GH, { A: view(lb.dPre!), out: dBias }, { rows: N, cols: GH });
      if (spec.cell === 'gru') plan.linear('col_sums_add', GH, { A: view(lb.dPreRec!), out: at(dBias, GH) }, { rows: N, cols: GH });
      if (l === 0 && spec.embeddingSize === 0) {
        plan.linear('scatter_add_rows', V * GH, { tokenStart: view(ws.tokenStart), rowsByToken: view(ws.rowsByToken), src: view(lb.dPre!), table: g('l0.kernel') }, { V, width: GH });
        continue;
      }
      const input = this.layerInput(ws, l, dropoutOn);
      this.gemm(plan, { M: I, N: GH, K: N, A: input, lda: I, transA: true, B: view(lb.dPre!), ldb: GH, C: g(`l${l}.kernel`), ldc: GH, accumulate: true });
      const dInput = view(l > 0 ? ws.layers[l - 1].dOut! : ws.dInput0!);
      this.gemm(plan, { M: N, N: I, K: GH, A: view(lb.dPre!), lda: GH, B: this.slot(`l${l}.kernel`), ldb: GH, transB: true, C: dInput, ldc: I });
      if (l > 0) {
        if (dropoutOn) this.dropout(plan, dInput, N, B, I, l - 1);
      } else {
        plan.linear('scatter_add_rows', V * I, { tokenStart: view(ws.tokenStart), rowsByToken: view(ws.rowsByToken), src: dInput, table: g('embedding') }, { V, width: I });
      }
    }
  }

  /** Global-norm clipping and the optimizer (results[1] = the norm before clipping). */
  private recordUpdate(plan: Plan, rule: UpdateRule): void {
    const P = this.layout.total;
    const parts = Math.min(NORM_PARTS, Math.ceil(P / NORM_PART_SIZE));
    plan.run('sumsq_partial', { x: view(this.grads), partial: view(this.normPartial) }, { n: P }, parts);
    plan.run('clip_finish', { partial: view(this.normPartial), results: view(this.results, 1), scalars: view(this.scalars) }, { parts, clipNorm: rule.clipNorm }, 1);
    const opt = this.optimizerState!;
    const state: Record<string, View> = {};
    opt.arrays.forEach((b, k) => (state[`s${k}`] = view(b)));
    plan.linear(`opt_${rule.optimizer}`, P, { params: view(this.params), grads: view(this.grads), scalars: view(this.scalars), ...state }, { n: P, ...OPTIMIZER_CONSTANTS[rule.optimizer] });
  }

  /** Where layer l reads its input rows: the dropout/embedding buffer, or the layer below's outputs in place. */
  private layerInput(ws: Workspace, l: number, dropoutOn: boolean): View {
    const lb = ws.layers[l];
    if (l === 0) return view(lb.input!);
    return dropoutOn ? view(lb.input!) : view(ws.layers[l - 1].h, ws.B * layerHiddenSize(this.spec, l - 1));
  }

  private topInput(ws: Workspace, dropoutOn: boolean): View {
    return dropoutOn ? view(ws.top!) : view(ws.layers[this.spec.layers - 1].h, ws.B * topHiddenSize(this.spec));
  }
}

export type TileLimits = Pick<GPUSupportedLimits, 'maxComputeWorkgroupStorageSize' | 'maxComputeInvocationsPerWorkgroup'>;

/**
 * The tile of a product: 64x64 where the device's workgroup memory holds it (2·16·65 floats) and
 * the product has enough tiles to keep the GPU busy, else 32x32 (the per-step h·U products of small batches).
 */
export function chooseTile(M: number, N: number, limits: TileLimits): 32 | 64 {
  const fits64 = limits.maxComputeWorkgroupStorageSize >= 2 * 16 * 65 * 4 && limits.maxComputeInvocationsPerWorkgroup >= 256;
  return fits64 && Math.ceil(M / 64) * Math.ceil(N / 64) >= 32 ? 64 : 32;
}

function describeSpec(spec: ModelSpec): string {
  return `${spec.layers}x${hiddenSizeText(spec)} ${spec.cell.toUpperCase()}`;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

