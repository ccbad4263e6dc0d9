/** The reference Network: float64 (or float32) plain loops; the source of truth for every backend. */
import { layerHiddenSize, paramLayout, stateOffsetOfLayer, stateSizePerRow, type ModelSpec, type ParamLayout } from '../../model/spec';
import type { LossResult, Network, PassOptions, Stepper } from '../types';
import type { CarriedStateCopy, FloatArray, TokenBatch } from '../../tensor';
import { geometryOf, type Geometry } from './geometry';
import { backward, forward, type StateGradientObserver } from './passes';
import { ReferenceStepper } from './stepper';
import { createWorkspace, type FloatArrayConstructor, type Workspace } from './workspace';

/** Recurrent state carried between passes: per layer h (and c for LSTM), [B, H] each. */
export interface CarriedState {
  batchSize: number;
  h: FloatArray[];
  c: FloatArray[];
}

export class ReferenceNetwork implements Network {
  readonly layout: ParamLayout;
  readonly params: FloatArray;
  readonly grads: FloatArray;
  private readonly geometry: Geometry;
  private workspace: Workspace | undefined;
  private carried: CarriedState | undefined;

  constructor(readonly spec: ModelSpec, private readonly Float: FloatArrayConstructor) {
    this.layout = paramLayout(spec);
    this.geometry = geometryOf(spec);
    this.params = new Float(this.layout.total);
    this.grads = new Float(this.layout.total);
  }

  paramsChanged(): void {
    // Parameters are read straight from `params`; nothing to upload.
  }

  /** `observe` sees the gradient of the loss w.r.t. every layer's hidden state at every step (see StateGradientObserver). */
  forwardBackward(batch: TokenBatch, options: PassOptions, observe?: StateGradientObserver): LossResult {
    const train = options.train ?? true;
    const ws = this.prepare(batch, options.carryState);
    const result = forward(this.geometry, ws, this.params, train ? this.spec.dropout : 0, options.dropoutSeed ?? 0);
    backward(this.geometry, ws, this.params, this.grads, result.count, observe);
    this.keepFinalState(ws);
    return result;
  }

  evaluate(batch: TokenBatch, options: PassOptions): LossResult {
    const ws = this.prepare(batch, options.carryState);
    const result = forward(this.geometry, ws, this.params, 0, 0);
    this.keepFinalState(ws);
    return result;
  }

  resetState(): void {
    this.carried = undefined;
  }

  /** A copy of the carried state (tests use it to hold the state fixed across repeated passes). */
  snapshotState(): CarriedState | undefined {
    const s = this.carried;
    return s && { batchSize: s.batchSize, h: s.h.map((a) => a.slice()), c: s.c.map((a) => a.slice()) };
  }

  restoreState(state: CarriedState | undefined): void {
    this.carried = state && { batchSize: state.batchSize, h: state.h.map((a) => a.slice()), c: state.c.map((a) => a.slice()) };
  }

  getCarriedState(): CarriedStateCopy | undefined {
    const s = this.carried;
    if (!s) return undefined;
    const L = this.spec.layers;
    const row = stateSizePerRow(this.spec);
    const values = new this.Float(s.batchSize * row);
    for (let b = 0; b < s.batchSize; b++) {
      for (let l = 0; l < L; l++) {
        const H = layerHiddenSize(this.spec, l);
        const o = b * row + stateOffsetOfLayer(this.spec, l);
        values.set(s.h[l].subarray(b * H, (b + 1) * H), o);
        if (this.spec.cell === 'lstm') values.set(s.c[l].subarray(b * H, (b + 1) * H), o + H);
      }
    }
    return { batchSize: s.batchSize, values };
  }

  setCarriedState(state: CarriedStateCopy | undefined): void {
    if (!state) {
      this.carried = undefined;
      return;
    }
    const L = this.spec.layers;
    const row = stateSizePerRow(this.spec);
    const lstm = this.spec.cell === 'lstm';
    const B = state.batchSize;
    if (state.values.length !== B * row) throw new RangeError(`carried state must hold ${B * row} values`);
    const h = Array.from({ length: L }, (_, l) => new this.Float(B * layerHiddenSize(this.spec, l)));
    const c = Array.from({ length: L }, (_, l) => new this.Float(lstm ? B * layerHiddenSize(this.spec, l) : 0));
    for (let b = 0; b < B; b++) {
      for (let l = 0; l < L; l++) {
        const H = layerHiddenSize(this.spec, l);
        const o = b * row + stateOffsetOfLayer(this.spec, l);
        h[l].set(state.values.subarray(o, o + H), b * H);
        if (lstm) c[l].set(state.values.subarray(o + H, o + 2 * H), b * H);
      }
    }
    this.carried = { batchSize: B, h, c };
  }

  createStepper(batchSize: number): Stepper {
    return new ReferenceStepper(this.geometry, this.params, batchSize, this.Float);
  }

  dispose(): void {
    this.workspace = undefined;
    this.carried = undefined;
  }

  /** Copies the batch in time-major order and sets each layer's initial state (carried or zeros). */
  private prepare(batch: TokenBatch, carryState: boolean): Workspace {
    const { batchSize: B, steps: T } = batch;
    const V = this.spec.vocabSize;
    if (batch.inputs.length !== B * T || batch.targets.length !== B * T) throw new RangeError(`batch arrays must hold ${B}x${T} ids`);
    let ws = this.workspace;
    if (!ws || ws.B !== B || ws.T !== T) {
      ws = this.workspace = createWorkspace(this.geometry, B, T, this.Float, true, this.spec.dropout > 0);
    }
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const x = batch.inputs[b * T + t];
        const y = batch.targets[b * T + t];
        if (!(x >= 0 && x < V && y >= 0 && y < V)) throw new RangeError(`token id out of range 0..${V - 1} at row ${b}, step ${t}`);
        ws.xs[t * B + b] = x;
        ws.ys[t * B + b] = y;
        ws.weights[t * B + b] = batch.mask ? batch.mask[b * T + t] : 1;
      }
    }
    // Carried state only makes sense for the same number of streams; otherwise start from zeros.
    const carried = carryState && this.carried?.batchSize === B ? this.carried : undefined;
    ws.layers.forEach((lb, l) => {
      const n = B * layerHiddenSize(this.spec, l);
      if (carried) {
        lb.h.set(carried.h[l]);
        if (lb.c.length > 0) lb.c.set(carried.c[l]);
      } else {
        lb.h.fill(0, 0, n);
        lb.c.fill(0, 0, n);
      }
    });
    return ws;
  }

  private keepFinalState(ws: Workspace): void {
    const size = (l: number) => ws.B * layerHiddenSize(this.spec, l);
    const final = (a: FloatArray, l: number) => a.slice(ws.T * size(l), (ws.T + 1) * size(l));
    this.carried = {
      batchSize: ws.B,
      h: ws.layers.map((lb, l) => final(lb.h, l)),
      c: ws.layers.map((lb, l) => (lb.c.length > 0 ? final(lb.c, l) : lb.c.slice(0, 0))),
    };
  }
}

