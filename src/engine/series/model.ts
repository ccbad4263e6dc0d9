/**
 * The regression RNN of the time-series lab: D real inputs per step (one per series column), one
 * recurrent layer (plain RNN, GRU or LSTM) of H units, a linear output of D values that predicts the
 * next step, and optionally direct input→output connections. Everything is float64, one sequence at
 * a time (the series is small), with full backpropagation through time.
 *
 * Cells follow the engine's conventions (gate order LSTM i,f,g,o; GRU z,r,h "reset_after"), with the
 * squashing non-linearity (tanh by default) selectable:
 *   RNN   h = act(x·W + h₋·U + b)
 *   LSTM  [i f g o] = [σ σ act σ](x·W + h₋·U + b);  c = f⊙c₋ + i⊙g;  h = o⊙act(c)
 *   GRU   z = σ(xz + hz), r = σ(xr + hr), ĥ = act(xh + r⊙hh), h = z⊙h₋ + (1-z)⊙ĥ
 *   out   y = h·V + c_out (+ x·D when direct connections are on)
 *
 * Flat parameter layout (row-major, no padding):
 *   kernel [D, G·H], recurrent_kernel [H, G·H], bias [G·H] (GRU [2, 3H]: input then recurrent),
 *   output.kernel [H, D], output.bias [D], direct.kernel [D, D] (only with direct connections).
 */
import { Rng } from '../random';
import { gateCount, layoutOf, type ParamLayout } from '../model/spec';

// The choices are declared with the lab's settings (series/settings.ts).
export { activations, initSchemes, seriesCells, type Activation, type InitScheme, type SeriesCell } from './settings';
import { activations, seriesCells, type Activation, type InitScheme, type SeriesCell } from './settings';

export interface SeriesModelSpec {
  cell: SeriesCell;
  /** Values per time step (the number of series columns); the output predicts as many. */
  inputSize: number;
  hiddenSize: number;
  activation: Activation;
  /** Direct input→output connections (a linear autoregressive term beside the recurrent one). */
  direct: boolean;
}


export function seriesLayout(spec: SeriesModelSpec): ParamLayout {
  const { inputSize: D, hiddenSize: H } = spec;
  if (!(seriesCells as readonly string[]).includes(spec.cell)) throw new RangeError(`unknown cell "${spec.cell}"`);
  if (!(activations as readonly string[]).includes(spec.activation)) throw new RangeError(`unknown non-linearity "${spec.activation}"`);
  if (!Number.isInteger(D) || D < 1) throw new RangeError(`input size must be a positive integer (got ${D})`);
  if (!Number.isInteger(H) || H < 1) throw new RangeError(`hidden size must be a positive integer (got ${H})`);
  const GH = gateCount(spec.cell) * H;
  return layoutOf((add) => {
    add('kernel', [D, GH]);
    add('recurrent_kernel', [H, GH]);
    add('bias', spec.cell === 'gru' ? [2, GH] : [GH]);
    add('output.kernel', [H, D]);
    add('output.bias', [D]);
    if (spec.direct) add('direct.kernel', [D, D]);
  });
}

export interface InitOptions {
  scheme: InitScheme;
  /** Multiplies every initial weight (a "thing to try": the initial weight values). */
  scale?: number;
}

/**
 * Seeded initial weights. `seed` is the tutorial's: gaussian sd 0.01 for input, output and direct
 * weights, sd 0.02 for recurrent weights, zero biases. `uniform` is the engine's usual ±1/sqrt(H).
 */
export function initSeriesParams(spec: SeriesModelSpec, seed: number, init: InitOptions = { scheme: 'seed' }): Float64Array {
  const layout = seriesLayout(spec);
  const params = new Float64Array(layout.total);
  const rng = new Rng(seed, 202);
  const scale = init.scale ?? 1;
  const bound = 1 / Math.sqrt(spec.hiddenSize);
  for (const slot of layout.slots) {
    if (!slot.name.endsWith('kernel')) continue;
    const sd = slot.name === 'recurrent_kernel' ? 0.02 : 0.01;
    for (let i = slot.offset; i < slot.offset + slot.size; i++) {
      params[i] = scale * (init.scheme === 'seed' ? sd * rng.normal() : rng.uniform(-bound, bound));
    }
  }
  return params;
}

/** The non-linearity and its derivative written in terms of its output (all three allow that). */
function act(kind: Activation, x: number): number {
  if (kind === 'tanh') return Math.tanh(x);
  if (kind === 'sigmoid') return 1 / (1 + Math.exp(-x));
  return x > 0 ? x : 0;
}
function actGradFromOutput(kind: Activation, y: number): number {
  if (kind === 'tanh') return 1 - y * y;
  if (kind === 'sigmoid') return y * (1 - y);
  return y > 0 ? 1 : 0;
}
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Offsets of each tensor, read once. */
interface Offsets {
  W: number; U: number; b: number; bRec: number; V: number; c: number; Dk: number;
}

/** Buffers of one pass over T steps, kept for the backward pass. */
interface Trace {
  T: number;
  h: Float64Array; // [(T+1)·H], slot 0 the initial state
  c: Float64Array; // LSTM cell states, same shape
  gates: Float64Array; // [T·G·H] activated gates
  aux: Float64Array; // [T·H]: LSTM act(c), GRU h₋·U_h + b_rec_h
  y: Float64Array; // [T·D] predictions
}

export class SeriesModel {
  readonly layout: ParamLayout;
  readonly size: number;
  private readonly o: Offsets;
  private readonly G: number;
  private trace: Trace | undefined;
  private scratch: Float64Array;

  constructor(readonly spec: SeriesModelSpec) {
    this.layout = seriesLayout(spec);
    this.size = this.layout.total;
    this.G = gateCount(spec.cell);
    const at = (name: string) => this.layout.byName.get(name)?.offset ?? -1;
    const GH = this.G * spec.hiddenSize;
    this.o = { W: at('kernel'), U: at('recurrent_kernel'), b: at('bias'), bRec: at('bias') + GH, V: at('output.kernel'), c: at('output.bias'), Dk: at('direct.kernel') };
    this.scratch = new Float64Array(2 * GH);
  }

  /** Floats of recurrent state (LSTM: h then c). */
  get stateSize(): number {
    return this.spec.cell === 'lstm' ? 2 * this.spec.hiddenSize : this.spec.hiddenSize;
  }

  /**
   * One step: reads x (D values at `xAt`) and the previous state, writes the new h (and c) and the
   * prediction y (D values). `gates`/`aux` (at row t) keep what the backward pass needs.
   */
  private step(
    p: Float64Array, x: ArrayLike<number>, xAt: number,
    h: Float64Array, hPrev: number, hNext: number, c: Float64Array,
    gates: Float64Array, aux: Float64Array, t: number, y: Float64Array, yAt: number,
  ): void {
    const { inputSize: D, hiddenSize: H, cell, activation } = this.spec;
    const { o, G } = this;
    const GH = G * H;
    const pre = this.scratch; // [0, GH): input side x·W + b (+ h·U except GRU); [GH, 2GH): GRU recurrent side
    for (let j = 0; j < GH; j++) pre[j] = p[o.b + j];
    for (let d = 0; d < D; d++) {
      const xd = x[xAt + d];
      const w = o.W + d * GH;
      for (let j = 0; j < GH; j++) pre[j] += xd * p[w + j];
    }
    const rec = cell === 'gru' ? GH : 0;
    if (cell === 'gru') for (let j = 0; j < GH; j++) pre[GH + j] = p[o.bRec + j];
    for (let k = 0; k < H; k++) {
      const hk = h[hPrev + k];
      if (hk === 0) continue;
      const u = o.U + k * GH;
      for (let j = 0; j < GH; j++) pre[rec + j] += hk * p[u + j];
    }
    const g0 = t * GH;
    const a0 = t * H;
    for (let j = 0; j < H; j++) {
      if (cell === 'rnn') {
        h[hNext + j] = act(activation, pre[j]);
      } else if (cell === 'lstm') {
        const i = sigmoid(pre[j]);
        const f = sigmoid(pre[H + j]);
        const g = act(activation, pre[2 * H + j]);
        const og = sigmoid(pre[3 * H + j]);
        const cs = f * c[hPrev + j] + i * g;
        const tc = act(activation, cs);
        c[hNext + j] = cs;
        h[hNext + j] = og * tc;
        gates[g0 + j] = i; gates[g0 + H + j] = f; gates[g0 + 2 * H + j] = g; gates[g0 + 3 * H + j] = og;
        aux[a0 + j] = tc;
      } else {
        const z = sigmoid(pre[j] + pre[GH + j]);
        const r = sigmoid(pre[H + j] + pre[GH + H + j]);
        const hh = pre[GH + 2 * H + j];
        const cand = act(activation, pre[2 * H + j] + r * hh);
        h[hNext + j] = z * h[hPrev + j] + (1 - z) * cand;
        gates[g0 + j] = z; gates[g0 + H + j] = r; gates[g0 + 2 * H + j] = cand;
        aux[a0 + j] = hh;
      }
    }
    for (let d = 0; d < D; d++) {
      let s = p[o.c + d];
      for (let k = 0; k < H; k++) s += h[hNext + k] * p[o.V + k * D + d];
      if (o.Dk >= 0) for (let e = 0; e < D; e++) s += x[xAt + e] * p[o.Dk + e * D + d];
      y[yAt + d] = s;
    }
  }

  private traceFor(T: number): Trace {
    if (this.trace && this.trace.T === T) return this.trace;
    const H = this.spec.hiddenSize;
    this.trace = {
      T,
      h: new Float64Array((T + 1) * H),
      c: new Float64Array(this.spec.cell === 'lstm' ? (T + 1) * H : 0),
      gates: new Float64Array(this.spec.cell === 'rnn' ? 0 : T * this.G * H),
      aux: new Float64Array(this.spec.cell === 'rnn' ? 0 : T * H),
      y: new Float64Array(T * this.spec.inputSize),
    };
    return this.trace;
  }

  /**
   * Runs the network over a series (T steps of D values, row-major) from the zero state and returns
   * its predictions: row t predicts row t+1. The returned array is reused by the next call.
   */
  predict(p: Float64Array, series: Float64Array): Float64Array {
    const tr = this.forward(p, series);
    return tr.y;
  }

  /** Mean squared error of the one-step-ahead predictions, over rows 1..T-1 and every column. */
  mse(p: Float64Array, series: Float64Array): number {
    const tr = this.forward(p, series);
    return meanSquaredError(tr.y, series, this.spec.inputSize);
  }

  /** The MSE and its gradient (written into `grad`, overwriting it). */
  mseAndGradient(p: Float64Array, series: Float64Array, grad: Float64Array): number {
    const tr = this.forward(p, series);
    const mse = meanSquaredError(tr.y, series, this.spec.inputSize);
    this.backward(p, series, tr, grad);
    return mse;
  }

  private forward(p: Float64Array, series: Float64Array): Trace {
    const D = this.spec.inputSize;
    const H = this.spec.hiddenSize;
    if (p.length !== this.size) throw new RangeError(`expected ${this.size} parameters, got ${p.length}`);
    if (series.length % D !== 0) throw new RangeError(`a series of ${D} columns must hold a multiple of ${D} values`);
    const T = series.length / D;
    const tr = this.traceFor(T);
    tr.h.fill(0, 0, H);
    tr.c.fill(0, 0, H);
    for (let t = 0; t < T; t++) this.step(p, series, t * D, tr.h, t * H, (t + 1) * H, tr.c, tr.gates, tr.aux, t, tr.y, t * D);
    return tr;
  }

  private backward(p: Float64Array, series: Float64Array, tr: Trace, grad: Float64Array): void {
    const { inputSize: D, hiddenSize: H, cell, activation } = this.spec;
    const { o, G } = this;
    const GH = G * H;
    const T = tr.T;
    grad.fill(0);
    if (T < 2) return;
    const scale = 2 / ((T - 1) * D);
    const dh = new Float64Array(H);
    const dhNext = new Float64Array(H);
    const dcNext = new Float64Array(H);
    const dPre = new Float64Array(GH);
    const dPreRec = new Float64Array(GH);
    const dy = new Float64Array(D);
    for (let t = T - 1; t >= 0; t--) {
      const hAt = (t + 1) * H;
      const hPrev = t * H;
      const xAt = t * D;
      // Output layer: the last step predicts nothing that is known, so its error is zero.
      for (let d = 0; d < D; d++) dy[d] = t < T - 1 ? scale * (tr.y[t * D + d] - series[(t + 1) * D + d]) : 0;
      for (let d = 0; d < D; d++) {
        const e = dy[d];
        if (e === 0) continue;
        grad[o.c + d] += e;
        for (let k = 0; k < H; k++) grad[o.V + k * D + d] += tr.h[hAt + k] * e;
        if (o.Dk >= 0) for (let i = 0; i < D; i++) grad[o.Dk + i * D + d] += series[xAt + i] * e;
      }
      for (let k = 0; k < H; k++) {
        let s = dhNext[k];
        for (let d = 0; d < D; d++) s += dy[d] * p[o.V + k * D + d];
        dh[k] = s;
      }
      // Through the cell: pre-activation gradients of this step, and what flows into h₋ (and c₋).
      const g0 = t * GH;
      const a0 = t * H;
      for (let j = 0; j < H; j++) {
        if (cell === 'rnn') {
          dPre[j] = dh[j] * actGradFromOutput(activation, tr.h[hAt + j]);
        } else if (cell === 'lstm') {
          const i = tr.gates[g0 + j], f = tr.gates[g0 + H + j], g = tr.gates[g0 + 2 * H + j], og = tr.gates[g0 + 3 * H + j];
          const tc = tr.aux[a0 + j];
          const dc = dcNext[j] + dh[j] * og * actGradFromOutput(activation, tc);
          dPre[j] = dc * g * i * (1 - i);
          dPre[H + j] = dc * tr.c[hPrev + j] * f * (1 - f);
          dPre[2 * H + j] = dc * i * actGradFromOutput(activation, g);
          dPre[3 * H + j] = dh[j] * tc * og * (1 - og);
          dcNext[j] = dc * f;
        } else {
          const z = tr.gates[g0 + j], r = tr.gates[g0 + H + j], cand = tr.gates[g0 + 2 * H + j];
          const hh = tr.aux[a0 + j];
          const dCand = dh[j] * (1 - z) * actGradFromOutput(activation, cand);
          const dz = dh[j] * (tr.h[hPrev + j] - cand) * z * (1 - z);
          const dr = dCand * hh * r * (1 - r);
          dPre[j] = dz; dPre[H + j] = dr; dPre[2 * H + j] = dCand;
          dPreRec[j] = dz; dPreRec[H + j] = dr; dPreRec[2 * H + j] = dCand * r;
        }
      }
      const dRec = cell === 'gru' ? dPreRec : dPre;
      for (let j = 0; j < GH; j++) grad[o.b + j] += dPre[j];
      if (cell === 'gru') for (let j = 0; j < GH; j++) grad[o.bRec + j] += dPreRec[j];
      for (let d = 0; d < D; d++) {
        const xd = series[xAt + d];
        const w = o.W + d * GH;
        for (let j = 0; j < GH; j++) grad[w + j] += xd * dPre[j];
      }
      for (let k = 0; k < H; k++) {
        const hk = tr.h[hPrev + k];
        const u = o.U + k * GH;
        let s = 0;
        for (let j = 0; j < GH; j++) {
          grad[u + j] += hk * dRec[j];
          s += dRec[j] * p[u + j];
        }
        // GRU: h₋ also reaches h directly through z⊙h₋.
        dhNext[k] = cell === 'gru' ? s + dh[k] * tr.gates[g0 + k] : s;
      }
    }
  }

  /** The state after reading `series` from zero (for generation), and the last prediction. */
  readSeries(p: Float64Array, series: Float64Array): { state: Float64Array; prediction: Float64Array } {
    const tr = this.forward(p, series);
    const { hiddenSize: H, inputSize: D } = this.spec;
    const T = tr.T;
    const state = new Float64Array(this.stateSize);
    state.set(tr.h.subarray(T * H, (T + 1) * H));
    if (this.spec.cell === 'lstm') state.set(tr.c.subarray(T * H, (T + 1) * H), H);
    return { state, prediction: tr.y.slice((T - 1) * D, T * D) };
  }

  /**
   * One step from `state` (updated in place) on input `x`: returns the prediction of the next value.
   * This is the network's single-step function, the one free-running generation feeds back into.
   */
  stepOnce(p: Float64Array, state: Float64Array, x: ArrayLike<number>): Float64Array {
    const { hiddenSize: H, inputSize: D } = this.spec;
    const h = new Float64Array(2 * H);
    h.set(state.subarray(0, H));
    const c = new Float64Array(this.spec.cell === 'lstm' ? 2 * H : 0);
    if (c.length > 0) c.set(state.subarray(H, 2 * H));
    const gates = new Float64Array(this.G * H);
    const aux = new Float64Array(H);
    const y = new Float64Array(D);
    this.step(p, x, 0, h, 0, H, c, gates, aux, 0, y, 0);
    state.set(h.subarray(H, 2 * H));
    if (c.length > 0) state.set(c.subarray(H, 2 * H), H);
    return y;
  }
}

/** Σ (y_t - x_{t+1})² / ((T-1)·D) over t = 0..T-2. */
export function meanSquaredError(predictions: Float64Array, series: Float64Array, D: number): number {
  const T = series.length / D;
  if (T < 2) return NaN;
  let sum = 0;
  for (let i = 0; i < (T - 1) * D; i++) {
    const e = predictions[i] - series[i + D];
    sum += e * e;
  }
  return sum / ((T - 1) * D);
}
