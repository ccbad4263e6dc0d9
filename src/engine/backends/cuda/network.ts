/**
 * A Network whose parameters, gradients, optimizer state and activations live on the GPU.
 * The passes mirror the reference backend (../reference/passes.ts) step for step, with the same
 * time-major rows; the dropout masks are the other backends' counter-based hash.
 *
 * A training step (`trainStep`) runs forward, backward, global-norm clipping and the optimizer
 * on the device and reads back 16 bytes: the loss and the gradient norm. After the first step of a
 * given shape it is recorded as a CUDA graph and replayed, so the hundreds of small launches of a
 * step cost one launch. The host copies of `params` / `grads` are refreshed only when read.
 * Sampling and the hover run on a CPU network holding a copy of the weights, refreshed whenever a
 * stepper is created (at each evaluation), since batch-1 stepping is latency-bound.
 */
import { gateCount, hiddenSizeText, layerHiddenSize, layerInputSize, outputInputSize, paramLayout, stateOffsetOfLayer, stateSizePerRow, topHiddenSize, type ModelSpec, type ParamLayout } from '../../model/spec';
import { dropoutKeepScale, dropoutThreshold } from '../dropout';
import { packTimeMajor, sortRowsByToken } from '../timeMajor';
import { OPTIMIZER_DEFAULTS, OPTIMIZER_STATE_ARRAYS, type OptimizerState } from '../../optim/optimizers';
import type { DeviceStepResult, LossResult, Network, PassOptions, Stepper, UpdateRule } from '../types';
import type { CarriedStateCopy, TokenBatch } from '../../tensor';
import type { DevicePtr, Handle } from './driver';
import { at, f, p, Scalar, SCALAR_COUNT, type KernelName } from './kernelTable';
import type { CudaRuntime } from './runtime';

const ACTIVATION_CODE = { linear: 0, relu: 1, tanh: 2 } as const;
/** Blocks of the gradient-norm reduction (each sums a grid-stride share in double). */
const NORM_PARTS = 256;

/** Each optimizer's kernel and its constants (optim/optimizers.ts declares them). */
const d = OPTIMIZER_DEFAULTS;
const OPTIMIZER_KERNELS: Record<UpdateRule['optimizer'], { kernel: KernelName & `opt_${string}`; constants: number[] }> = {
  sgd: { kernel: 'opt_sgd', constants: [] },
  momentum: { kernel: 'opt_momentum', constants: [d.momentum.momentum] },
  rmsprop: { kernel: 'opt_rmsprop', constants: [d.rmsprop.rho, d.rmsprop.epsilon] },
  adam: { kernel: 'opt_adam', constants: [d.adam.beta1, d.adam.beta2, d.adam.epsilon] },
  adagrad: { kernel: 'opt_adagrad', constants: [d.adagrad.epsilon] },
  adadelta: { kernel: 'opt_adadelta', constants: [d.adadelta.rho, d.adadelta.epsilon] },
};

interface LayerBuffers {
  /** Input rows after dropout (layers above 0) or the embedding rows (layer 0); 0n when the input is read in place. */
  input: DevicePtr;
  xw: DevicePtr;
  rec: DevicePtr;
  h: DevicePtr;
  c: DevicePtr;
  gates: DevicePtr;
  aux: DevicePtr;
  dPre: DevicePtr;
  dPreRec: DevicePtr;
  dOut: DevicePtr;
  dhNext: DevicePtr;
  dcNext: DevicePtr;
}

interface Workspace {
  B: number;
  T: number;
  withGradients: boolean;
  xs: DevicePtr;
  ys: DevicePtr;
  weights: DevicePtr;
  tokenStart: DevicePtr;
  rowsByToken: DevicePtr;
  layers: LayerBuffers[];
  /** Dropped-out top hidden states [N, H] (0n without dropout: the top layer's h is read in place). */
  top: DevicePtr;
  dense: DevicePtr;
  dDense: DevicePtr;
  logits: DevicePtr;
  rowLoss: DevicePtr;
  dInput0: DevicePtr;
  scratch: DevicePtr;
  scratchFloats: number;
  /** Host staging for one batch. */
  hostXs: Int32Array;
  hostYs: Int32Array;
  hostWeights: Float32Array;
  hostTokenStart: Int32Array;
  hostRowsByToken: Int32Array;
}

interface Graph {
  key: string;
  graph: Handle;
  exec: Handle;
}

/** Creates the CPU network that sampling and the hover step on (a copy of the weights). */
export type CpuNetworkFactory = (spec: ModelSpec) => Network;

export class CudaNetwork implements Network {
  readonly layout: ParamLayout;
  /** Use CUDA graphs for training steps (false: launch every kernel each step; tests compare both). */
  useGraphs = true;
  private readonly hostParams: Float32Array;
  private readonly hostGrads: Float32Array;
  private paramsOnHostStale = false;
  private gradsOnHostStale = false;
  private readonly allocations = new Set<DevicePtr>();
  private readonly dParams: DevicePtr;
  private readonly dGrads: DevicePtr;
  private readonly scalars: DevicePtr;
  /** [loss sum, gradient norm] as doubles. */
  private readonly results: DevicePtr;
  private readonly normPartial: DevicePtr;
  private readonly carryH: DevicePtr[] = [];
  private readonly carryC: DevicePtr[] = [];
  private carriedBatch = -1;
  private ws: Workspace | undefined;
  private graph: Graph | undefined;
  private optimizerState: { name: UpdateRule['optimizer']; arrays: DevicePtr[]; steps: number } | undefined;
  private cpuMirror: Network | undefined;
  private readonly hostScalars = new Float32Array(SCALAR_COUNT);
  private readonly hostScalarBits = new Uint32Array(this.hostScalars.buffer);
  private readonly hostResults = new Float64Array(2);
  private disposed = false;

  constructor(private readonly rt: CudaRuntime, readonly spec: ModelSpec, private readonly cpuNetwork: CpuNetworkFactory, reserve?: { batchSize: number; steps: number }) {
    this.layout = paramLayout(spec);
    const P = this.layout.total;
    this.hostParams = new Float32Array(P);
    this.hostGrads = new Float32Array(P);
    try {
      this.dParams = this.alloc(P, 'the parameters');
      this.dGrads = this.alloc(P, 'the gradients');
      this.scalars = this.alloc(SCALAR_COUNT, 'the step scalars');
      this.results = this.alloc(4, 'the step results');
      this.normPartial = this.alloc(2 * NORM_PARTS, 'the gradient norm');
      rt.driver.fill32(this.dParams, 0, P, rt.kernels.stream);
      if (reserve) this.workspace(reserve.batchSize, reserve.steps, true);
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  get params(): Float32Array {
    if (this.paramsOnHostStale) {
      this.rt.driver.download(this.hostParams, this.dParams, this.rt.kernels.stream);
      this.paramsOnHostStale = false;
    }
    return this.hostParams;
  }

  get grads(): Float32Array {
    if (this.gradsOnHostStale) {
      this.rt.driver.download(this.hostGrads, this.dGrads, this.rt.kernels.stream);
      this.gradsOnHostStale = false;
    }
    return this.hostGrads;
  }

  paramsChanged(): void {
    this.checkAlive();
    // `params` was read (and so is current) before anyone could write into it.
    this.paramsOnHostStale = false;
    this.rt.driver.upload(this.dParams, this.hostParams, this.rt.kernels.stream);
  }

  forwardBackward(batch: TokenBatch, options: PassOptions): LossResult {
    const train = options.train ?? true;
    const ws = this.prepare(batch, options, true, train);
    this.forward(ws, train && this.spec.dropout > 0, true);
    this.backward(ws, train && this.spec.dropout > 0);
    this.rt.driver.download(this.hostResults, this.results, this.rt.kernels.stream, 8);
    this.gradsOnHostStale = true;
    this.carriedBatch = batch.batchSize;
    return { lossSum: this.hostResults[0], count: this.count };
  }

  evaluate(batch: TokenBatch, options: PassOptions): LossResult {
    const ws = this.prepare(batch, options, false, false);
    this.forward(ws, false, false);
    this.rt.driver.download(this.hostResults, this.results, this.rt.kernels.stream, 8);
    this.carriedBatch = batch.batchSize;
    return { lossSum: this.hostResults[0], count: this.count };
  }

  /** Forward, backward, clipping and the optimizer update, all on the GPU; reads back the loss and the norm. */
  trainStep(batch: TokenBatch, options: PassOptions, rule: UpdateRule): DeviceStepResult {
    const dropoutOn = (options.train ?? true) && this.spec.dropout > 0;
    const opt = this.optimizerFor(rule.optimizer);
    opt.steps++;
    const s = this.hostScalars;
    s[Scalar.LearningRate] = rule.learningRate;
    s[Scalar.AdamC1] = 1 - d.adam.beta1 ** opt.steps;
    s[Scalar.AdamC2] = 1 - d.adam.beta2 ** opt.steps;
    // prepare() uploads the scalars with the batch.
    const ws = this.prepare(batch, options, true, true);
    const record = () => {
      this.forward(ws, dropoutOn, true);
      this.backward(ws, dropoutOn);
      this.update(rule);
    };
    if (this.useGraphs) {
      const key = `${ws.B}x${ws.T}:${dropoutOn}:${rule.optimizer}:${rule.clipNorm}`;
      if (this.graph?.key !== key) {
        this.dropGraph();
        const { driver, kernels } = this.rt;
        driver.beginCapture(kernels.stream);
        try {
          record();
        } catch (error) {
          try {
            driver.endCapture(kernels.stream);
          } catch {
            // The capture is already invalid; the first error is the one to report.
          }
          throw error;
        }
        const [graph, exec] = driver.endCapture(kernels.stream);
        this.graph = { key, graph, exec };
      }
      this.rt.driver.launchGraph(this.graph.exec, this.rt.kernels.stream);
    } else {
      record();
    }
    this.rt.driver.download(this.hostResults, this.results, this.rt.kernels.stream);
    this.paramsOnHostStale = true;
    this.gradsOnHostStale = true;
    this.carriedBatch = batch.batchSize;
    return { lossSum: this.hostResults[0], count: this.count, gradNorm: this.hostResults[1] };
  }

  resetState(): void {
    this.carriedBatch = -1;
  }

  /** Per row, per layer, `stateSizePerLayer(spec, l)` floats (LSTM: h then c), as every backend lays it out. */
  getCarriedState(): CarriedStateCopy | undefined {
    const B = this.carriedBatch;
    if (B < 0) return undefined;
    const { layers: L } = this.spec;
    const row = stateSizePerRow(this.spec);
    const values = new Float32Array(B * row);
    for (let l = 0; l < L; l++) {
      const H = layerHiddenSize(this.spec, l);
      const from = stateOffsetOfLayer(this.spec, l);
      const part = new Float32Array(B * H);
      for (const [k, ptr] of [this.carryH[l], this.carryC[l]].entries()) {
        if (ptr === 0n) continue;
        this.rt.driver.download(part, ptr, this.rt.kernels.stream);
        for (let b = 0; b < B; b++) values.set(part.subarray(b * H, (b + 1) * H), b * row + from + k * H);
      }
    }
    return { batchSize: B, values };
  }

  setCarriedState(state: CarriedStateCopy | undefined): void {
    this.checkAlive();
    if (!state) {
      this.carriedBatch = -1;
      return;
    }
    const B = state.batchSize;
    const { layers: L } = this.spec;
    const row = stateSizePerRow(this.spec);
    if (state.values.length !== B * row) throw new RangeError(`carried state must hold ${B * row} values (got ${state.values.length})`);
    this.allocateCarry(B);
    for (let l = 0; l < L; l++) {
      const H = layerHiddenSize(this.spec, l);
      const from = stateOffsetOfLayer(this.spec, l);
      const part = new Float32Array(B * H);
      for (const [k, ptr] of [this.carryH[l], this.carryC[l]].entries()) {
        if (ptr === 0n) continue;
        for (let b = 0; b < B; b++) part.set(state.values.subarray(b * row + from + k * H, b * row + from + (k + 1) * H), b * H);
        this.rt.driver.upload(ptr, part, this.rt.kernels.stream);
      }
    }
    this.rt.driver.synchronize(this.rt.kernels.stream);
    this.carriedBatch = B;
  }

  /** The optimizer state on the device, copied to the host (for checkpoints); undefined before the first step. */
  getOptimizerState(): OptimizerState | undefined {
    const opt = this.optimizerState;
    if (!opt) return undefined;
    const P = this.layout.total;
    const part = new Float32Array(P);
    const buffers = opt.arrays.map((ptr) => {
      this.rt.driver.download(part, ptr, this.rt.kernels.stream);
      return Float64Array.from(part);
    });
    return { name: opt.name, steps: opt.steps, buffers };
  }

  setOptimizerState(state: OptimizerState): void {
    this.checkAlive();
    const opt = this.optimizerFor(state.name);
    const P = this.layout.total;
    if (state.buffers.length !== opt.arrays.length || state.buffers.some((b) => b.length !== P)) {
      throw new RangeError(`optimizer state for ${state.name} (${state.buffers.length} buffers) does not fit this model`);
    }
    state.buffers.forEach((b, k) => this.rt.driver.upload(opt.arrays[k], Float32Array.from(b), this.rt.kernels.stream));
    this.rt.driver.synchronize(this.rt.kernels.stream);
    opt.steps = state.steps;
  }

  /** A stepper on the CPU engine over a copy of the current weights (refreshed at each call). */
  createStepper(batchSize: number): Stepper {
    this.checkAlive();
    this.cpuMirror ??= this.cpuNetwork(this.spec);
    this.cpuMirror.params.set(this.params);
    this.cpuMirror.paramsChanged();
    return this.cpuMirror.createStepper(batchSize);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cpuMirror?.dispose();
    try {
      this.dropGraph();
      this.rt.driver.synchronize(this.rt.kernels.stream);
    } catch {
      // Freeing below still matters.
    }
    for (const ptr of this.allocations) {
      try {
        this.rt.driver.free(ptr);
      } catch {
        // A failing free (lost context) must not hide the error that led here.
      }
    }
    this.allocations.clear();
  }

  // ---- internals ----------------------------------------------------------------------------

  private count = 0;

  private checkAlive(): void {
    if (this.disposed) throw new Error('this network was disposed');
  }

  private alloc(floats: number, what: string): DevicePtr {
    const ptr = this.rt.driver.alloc(4 * floats, `${what} of a ${describeSpec(this.spec)}`);
    this.allocations.add(ptr);
    return ptr;
  }

  private release(ptr: DevicePtr): void {
    if (ptr === 0n || !this.allocations.delete(ptr)) return;
    this.rt.driver.free(ptr);
  }

  private dropGraph(): void {
    if (!this.graph) return;
    this.rt.driver.destroyGraph(this.graph.graph, this.graph.exec);
    this.graph = undefined;
  }

  private optimizerFor(name: UpdateRule['optimizer']) {
    if (this.optimizerState?.name !== name) {
      this.optimizerState?.arrays.forEach((a) => this.release(a));
      const P = this.layout.total;
      const arrays: DevicePtr[] = [];
      for (let k = 0; k < OPTIMIZER_STATE_ARRAYS[name]; k++) {
        const ptr = this.alloc(P, `the ${name} optimizer state`);
        this.rt.driver.fill32(ptr, 0, P, this.rt.kernels.stream);
        arrays.push(ptr);
      }
      this.optimizerState = { name, arrays, steps: 0 };
      this.dropGraph();
    }
    return this.optimizerState;
  }

  /** Device buffers for a (batch, steps) shape; reallocated when the shape (or the need for gradients) grows. */
  private workspace(B: number, T: number, withGradients: boolean): Workspace {
    const old = this.ws;
    if (old && old.B === B && old.T === T && (old.withGradients || !withGradients)) return old;
    if (old) this.freeWorkspace(old);
    this.dropGraph();
    const { spec } = this;
    const N = B * T;
    const G = gateCount(spec.cell);
    const Htop = topHiddenSize(spec);
    const V = spec.vocabSize;
    const D = spec.hiddenDense;
    const lstm = spec.cell === 'lstm';
    const gru = spec.cell === 'gru';
    const dropout = spec.dropout > 0;
    const grad = (floats: number, what: string) => (withGradients && floats > 0 ? this.alloc(floats, what) : 0n);
    const maybe = (floats: number, what: string) => (floats > 0 ? this.alloc(floats, what) : 0n);
    const ws: Workspace = {
      B, T, withGradients,
      xs: this.alloc(N, 'the input ids'),
      ys: this.alloc(N, 'the target ids'),
      weights: this.alloc(N, 'the loss mask'),
      tokenStart: this.alloc(V + 1, 'the token index'),
      rowsByToken: this.alloc(N, 'the token index'),
      layers: [],
      top: dropout ? this.alloc(N * Htop, 'the output layer input') : 0n,
      dense: maybe(D > 0 ? N * D : 0, 'the Dense layer'),
      dDense: grad(D > 0 ? N * D : 0, 'the Dense layer gradients'),
      logits: this.alloc(N * V, 'the logits'),
      rowLoss: this.alloc(N, 'the losses'),
      dInput0: grad(spec.embeddingSize > 0 ? N * spec.embeddingSize : 0, 'the embedding gradients'),
      scratch: 0n,
      scratchFloats: 0,
      hostXs: new Int32Array(N),
      hostYs: new Int32Array(N),
      hostWeights: new Float32Array(N),
      hostTokenStart: new Int32Array(V + 1),
      hostRowsByToken: new Int32Array(N),
    };
    this.ws = ws;
    let largestWeight = V * Math.max(Htop, D);
    if (D > 0) largestWeight = Math.max(largestWeight, Htop * D);
    for (let l = 0; l < spec.layers; l++) {
      const I = layerInputSize(spec, l);
      const H = layerHiddenSize(spec, l);
      const GH = G * H;
      largestWeight = Math.max(largestWeight, I * GH, H * GH);
      const what = `layer ${l + 1}`;
      ws.layers.push({
        input: (l > 0 && dropout) || (l === 0 && spec.embeddingSize > 0) ? this.alloc(N * I, `${what} inputs`) : 0n,
        xw: this.alloc(N * GH, `${what} input projections`),
        rec: this.alloc(B * GH, `${what} recurrent products`),
        h: this.alloc((T + 1) * B * H, `${what} hidden states`),
        c: lstm ? this.alloc((T + 1) * B * H, `${what} cell states`) : 0n,
        gates: spec.cell === 'rnn' ? 0n : this.alloc(N * GH, `${what} gates`),
        aux: spec.cell === 'rnn' ? 0n : this.alloc(N * H, `${what} saved values`),
        dPre: grad(N * GH, `${what} gradients`),
        dPreRec: grad(gru ? N * GH : 0, `${what} recurrent gradients`),
        dOut: grad(N * H, `${what} output gradients`),
        dhNext: grad(B * H, `${what} state gradients`),
        dcNext: grad(lstm ? B * H : 0, `${what} cell-state gradients`),
      });
    }
    if (withGradients) {
      // Split-K partial sums for the weight gradients (and column sums), up to 4 copies of the largest matrix.
      ws.scratchFloats = Math.max(65536, 4 * largestWeight);
      ws.scratch = this.alloc(ws.scratchFloats, 'the gradient partial sums');
    }
    this.allocateCarry(B);
    return ws;
  }

  private carriedBatchCapacity = -1;

  /** The state carried between passes, [B, H] per layer (and c for LSTM); a new batch size starts from zeros. */
  private allocateCarry(B: number): void {
    if (this.carryH.length > 0 && this.carriedBatchCapacity === B) return;
    const { spec } = this;
    [...this.carryH, ...this.carryC].forEach((p) => this.release(p));
    this.carryH.length = 0;
    this.carryC.length = 0;
    for (let l = 0; l < spec.layers; l++) {
      const H = layerHiddenSize(spec, l);
      this.carryH.push(this.alloc(B * H, 'the carried state'));
      this.carryC.push(spec.cell === 'lstm' ? this.alloc(B * H, 'the carried state') : 0n);
    }
    this.carriedBatchCapacity = B;
    this.carriedBatch = -1;
  }

  private freeWorkspace(ws: Workspace): void {
    const ptrs: DevicePtr[] = [ws.xs, ws.ys, ws.weights, ws.tokenStart, ws.rowsByToken, ws.top, ws.dense, ws.dDense, ws.logits, ws.rowLoss, ws.dInput0, ws.scratch];
    for (const lb of ws.layers) ptrs.push(...Object.values(lb));
    this.rt.driver.synchronize(this.rt.kernels.stream);
    ptrs.forEach((p) => this.release(p));
    this.ws = undefined;
  }

  /** Checks and uploads a batch (time-major), the per-token row index, and the starting state. */
  private prepare(batch: TokenBatch, options: PassOptions, withGradients: boolean, train: boolean): Workspace {
    this.checkAlive();
    const { batchSize: B, steps: T } = batch;
    const V = this.spec.vocabSize;
    const ws = this.workspace(B, T, withGradients);
    const count = packTimeMajor(batch, V, { xs: ws.hostXs, ys: ws.hostYs, weights: ws.hostWeights });
    this.count = count;
    const { driver, kernels } = this.rt;
    const stream = kernels.stream;
    driver.upload(ws.xs, ws.hostXs, stream);
    driver.upload(ws.ys, ws.hostYs, stream);
    driver.upload(ws.weights, ws.hostWeights, stream);
    if (withGradients) {
      sortRowsByToken(ws.hostXs, V, ws.hostTokenStart, ws.hostRowsByToken);
      driver.upload(ws.tokenStart, ws.hostTokenStart, stream);
      driver.upload(ws.rowsByToken, ws.hostRowsByToken, stream);
    }
    this.hostScalars[Scalar.InvCount] = count > 0 ? 1 / count : 0;
    this.hostScalarBits[Scalar.Seed] = train ? (options.dropoutSeed ?? 0) >>> 0 : 0;
    driver.upload(this.scalars, this.hostScalars, stream);
    // Carried state only for the same number of streams; otherwise (or when asked) start from zeros.
    if (!(options.carryState && this.carriedBatch === B)) {
      for (let l = 0; l < this.spec.layers; l++) {
        const H = layerHiddenSize(this.spec, l);
        driver.fill32(this.carryH[l], 0, B * H, stream);
        if (this.carryC[l] !== 0n) driver.fill32(this.carryC[l], 0, B * H, stream);
      }
    }
    return ws;
  }

  private offset(name: string): DevicePtr {
    const slot = this.layout.byName.get(name);
    if (!slot) throw new Error(`layout has no slot ${name}`);
    return at(this.dParams, slot.offset);
  }

  private gradOffset(name: string): DevicePtr {
    return at(this.dGrads, this.layout.byName.get(name)!.offset);
  }

  /** Every layer, the Dense layer, the output layer and the masked cross-entropy (into results[0]). */
  private forward(ws: Workspace, dropoutOn: boolean, wantGradient: boolean): void {
    const { driver, kernels: k } = this.rt;
    const stream = k.stream;
    const { spec } = this;
    const { B, T } = ws;
    const N = B * T;
    const G = gateCount(spec.cell);
    const V = spec.vocabSize;
    const drop = this.dropoutParams();
    for (let l = 0; l < spec.layers; l++) {
      const lb = ws.layers[l];
      const I = layerInputSize(spec, l);
      const H = layerHiddenSize(spec, l);
      const GH = G * H;
      const W = this.offset(`l${l}.kernel`);
      const U = this.offset(`l${l}.recurrent_kernel`);
      const bias = this.offset(`l${l}.bias`);
      const input = this.layerInput(ws, l, dropoutOn);
      if (l === 0 && spec.embeddingSize > 0) k.gatherRows(N, I, ws.xs, this.offset('embedding'), 0n, lb.input);
      else if (l > 0 && dropoutOn) k.dropout(N, B, I, at(ws.layers[l - 1].h, B * I), lb.input, this.scalars, l - 1, drop.threshold, drop.keepScale);
      if (l === 0 && spec.embeddingSize === 0) k.gatherRows(N, GH, ws.xs, W, bias, lb.xw);
      else k.gemm({ M: N, N: GH, K: I, A: input, lda: I, B: W, ldb: GH, C: lb.xw, ldc: GH, bias });
      driver.copyDevice(lb.h, this.carryH[l], 4 * B * H, stream);
      if (lb.c !== 0n) driver.copyDevice(lb.c, this.carryC[l], 4 * B * H, stream);
      for (let t = 0; t < T; t++) {
        const hPrev = at(lb.h, t * B * H), hNext = at(lb.h, (t + 1) * B * H);
        const xw = at(lb.xw, t * B * GH);
        k.gemm({ M: B, N: GH, K: H, A: hPrev, lda: H, B: U, ldb: GH, C: lb.rec, ldc: GH });
        if (spec.cell === 'lstm') k.lstmForward(B, H, xw, lb.rec, at(lb.c, t * B * H), hNext, at(lb.c, (t + 1) * B * H), at(lb.gates, t * B * GH), at(lb.aux, t * B * H));
        else if (spec.cell === 'gru') k.gruForward(B, H, xw, lb.rec, at(bias, GH), hPrev, hNext, at(lb.gates, t * B * GH), at(lb.aux, t * B * H));
        else k.rnnForward(B, H, xw, lb.rec, hNext);
      }
      driver.copyDevice(this.carryH[l], at(lb.h, T * B * H), 4 * B * H, stream);
      if (lb.c !== 0n) driver.copyDevice(this.carryC[l], at(lb.c, T * B * H), 4 * B * H, stream);
    }
    const top = this.topInput(ws, dropoutOn);
    const H = topHiddenSize(spec);
    if (dropoutOn) k.dropout(N, B, H, at(ws.layers[spec.layers - 1].h, B * H), ws.top, this.scalars, spec.layers - 1, drop.threshold, drop.keepScale);
    const D = spec.hiddenDense;
    if (D > 0) {
      k.gemm({ M: N, N: D, K: H, A: top, lda: H, B: this.offset('dense.kernel'), ldb: D, C: ws.dense, ldc: D, bias: this.offset('dense.bias') });
      k.activate(N * D, ws.dense, ACTIVATION_CODE[spec.hiddenActivation]);
    }
    const K = outputInputSize(spec);
    k.gemm({ M: N, N: V, K, A: D > 0 ? ws.dense : top, lda: K, B: this.offset('output.kernel'), ldb: V, C: ws.logits, ldc: V, bias: this.offset('output.bias') });
    k.softmaxXent(N, V, ws.logits, ws.ys, ws.weights, this.scalars, ws.rowLoss, wantGradient);
    k.sumToDouble(N, ws.rowLoss, this.results);
  }

  /** Gradients of the mean loss into dGrads (after `forward` with wantGradient; logits then hold dLogits). */
  private backward(ws: Workspace, dropoutOn: boolean): void {
    const { driver, kernels: k } = this.rt;
    const stream = k.stream;
    const { spec } = this;
    const { B, T, scratch, scratchFloats } = ws;
    const N = B * T;
    const G = gateCount(spec.cell);
    const Htop = topHiddenSize(spec);
    const V = spec.vocabSize;
    const D = spec.hiddenDense;
    const K = outputInputSize(spec);
    const L = spec.layers;
    const drop = this.dropoutParams();
    const sk = { scratch, scratchFloats };
    driver.fill32(this.dGrads, 0, this.layout.total, stream);
    const top = this.topInput(ws, dropoutOn);
    const dLogits = ws.logits;
    k.gemm({ M: K, N: V, K: N, A: D > 0 ? ws.dense : top, lda: K, transA: true, B: dLogits, ldb: V, C: this.gradOffset('output.kernel'), ldc: V, accumulate: true, ...sk });
    k.columnSumsAdd(N, V, dLogits, this.gradOffset('output.bias'), scratch, scratchFloats);
    const topOut = ws.layers[L - 1].dOut;
    if (D > 0) {
      k.gemm({ M: N, N: D, K: V, A: dLogits, lda: V, B: this.offset('output.kernel'), ldb: V, transB: true, C: ws.dDense, ldc: D });
      k.activateBackward(N * D, ws.dDense, ws.dense, ACTIVATION_CODE[spec.hiddenActivation]);
      k.gemm({ M: Htop, N: D, K: N, A: top, lda: Htop, transA: true, B: ws.dDense, ldb: D, C: this.gradOffset('dense.kernel'), ldc: D, accumulate: true, ...sk });
      k.columnSumsAdd(N, D, ws.dDense, this.gradOffset('dense.bias'), scratch, scratchFloats);
      k.gemm({ M: N, N: Htop, K: D, A: ws.dDense, lda: D, B: this.offset('dense.kernel'), ldb: D, transB: true, C: topOut, ldc: Htop });
    } else {
      k.gemm({ M: N, N: Htop, K: V, A: dLogits, lda: V, B: this.offset('output.kernel'), ldb: V, transB: true, C: topOut, ldc: Htop });
    }
    if (dropoutOn) k.dropout(N, B, Htop, topOut, topOut, this.scalars, L - 1, drop.threshold, drop.keepScale);

    for (let l = L - 1; l >= 0; l--) {
      const lb = ws.layers[l];
      const I = layerInputSize(spec, l);
      const H = layerHiddenSize(spec, l);
      const GH = G * H;
      const U = this.offset(`l${l}.recurrent_kernel`);
      driver.fill32(lb.dhNext, 0, B * H, stream);
      if (lb.dcNext !== 0n) driver.fill32(lb.dcNext, 0, B * H, stream);
      const dRec = spec.cell === 'gru' ? lb.dPreRec : lb.dPre;
      for (let t = T - 1; t >= 0; t--) {
        const dOut = at(lb.dOut, t * B * H);
        const gates = at(lb.gates, t * B * GH);
        const aux = at(lb.aux, t * B * H);
        const dPre = at(lb.dPre, t * B * GH);
        if (spec.cell === 'lstm') k.lstmBackward(B, H, dOut, lb.dhNext, lb.dcNext, gates, aux, at(lb.c, t * B * H), dPre);
        else if (spec.cell === 'gru') k.gruBackward(B, H, dOut, lb.dhNext, gates, aux, at(lb.h, t * B * H), dPre, at(lb.dPreRec, t * B * GH));
        else k.rnnBackward(B, H, dOut, lb.dhNext, at(lb.h, (t + 1) * B * H), dPre);
        if (t > 0) k.gemm({ M: B, N: H, K: GH, A: at(dRec, t * B * GH), lda: GH, B: U, ldb: GH, transB: true, C: lb.dhNext, ldc: H, accumulate: true });
      }
      // Weight gradients as whole-sequence products: dU = Σ_t h_{t-1}ᵀ·dRec_t, dW = Σ_t x_tᵀ·dPre_t.
      k.gemm({ M: H, N: GH, K: N, A: lb.h, lda: H, transA: true, B: dRec, ldb: GH, C: this.gradOffset(`l${l}.recurrent_kernel`), ldc: GH, accumulate: true, ...sk });
      const dBias = this.gradOffset(`l${l}.bias`);
      k.columnSumsAdd(N, GH, lb.dPre, dBias, scratch, scratchFloats);
      if (spec.cell === 'gru') k.columnSumsAdd(N, GH, lb.dPreRec, at(dBias, GH), scratch, scratchFloats);
      if (l === 0 && spec.embeddingSize === 0) {
        k.scatterAddRows(V, GH, ws.tokenStart, ws.rowsByToken, lb.dPre, this.gradOffset('l0.kernel'));
        continue;
      }
      const input = this.layerInput(ws, l, dropoutOn);
      k.gemm({ M: I, N: GH, K: N, A: input, lda: I, transA: true, B: lb.dPre, ldb: GH, C: this.gradOffset(`l${l}.kernel`), ldc: GH, accumulate: true, ...sk });
      const dInput = l > 0 ? ws.layers[l - 1].dOut : ws.dInput0;
      k.gemm({ M: N, N: I, K: GH, A: lb.dPre, lda: GH, B: this.offset(`l${l}.kernel`), ldb: GH, transB: true, C: dInput, ldc: I });
      if (l > 0) {
        if (dropoutOn) k.dropout(N, B, I, dInput, dInput, this.scalars, l - 1, drop.threshold, drop.keepScale);
      } else {
        k.scatterAddRows(V, I, ws.tokenStart, ws.rowsByToken, ws.dInput0, this.gradOffset('embedding'));
      }
    }
  }

  /** Global-norm clipping and the optimizer, on the device (results[1] = the norm before clipping). */
  private update(rule: UpdateRule): void {
    const k = this.rt.kernels;
    const P = this.layout.total;
    k.clipNorm(P, this.dGrads, this.normPartial, NORM_PARTS, rule.clipNorm, at(this.results, 2), this.scalars);
    const opt = this.optimizerState!;
    const { kernel, constants } = OPTIMIZER_KERNELS[rule.optimizer];
    k.optimizer(kernel, P, this.dParams, this.dGrads, this.scalars, [...opt.arrays.map(p), ...constants.map(f)]);
  }

  /** Where layer l reads its input rows: the dropout/embedding buffer, or the layer below's outputs in place. */
  private layerInput(ws: Workspace, l: number, dropoutOn: boolean): DevicePtr {
    const lb = ws.layers[l];
    if (l === 0) return lb.input; // embedding rows (one-hot layer 0 has no input rows)
    return dropoutOn ? lb.input : at(ws.layers[l - 1].h, ws.B * layerHiddenSize(this.spec, l - 1));
  }

  private topInput(ws: Workspace, dropoutOn: boolean): DevicePtr {
    return dropoutOn ? ws.top : at(ws.layers[this.spec.layers - 1].h, ws.B * topHiddenSize(this.spec));
  }

  private dropoutParams(): { threshold: number; keepScale: number } {
    const p = this.spec.dropout;
    return { threshold: dropoutThreshold(p), keepScale: dropoutKeepScale(p) };
  }
}

function describeSpec(spec: ModelSpec): string {
  return `${spec.layers}x${hiddenSizeText(spec)} ${spec.cell.toUpperCase()}`;
}
