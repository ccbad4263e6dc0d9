/**
 * Whole-network forward and backward passes over a workspace (full BPTT over its T steps).
 * The caller fills `ws.xs`, `ws.ys`, `ws.weights` and every layer's initial state `h[0]`/`c[0]`.
 */
import { applyDropout } from '../dropout';
import type { LossResult } from '../types';
import type { FloatArray } from '../../tensor';
import { backwardStep, forwardStep } from './cells';
import type { Geometry } from './geometry';
import { addColumnSums, matMulAdd, matMulTransAAdd, matMulTransBAdd } from './linalg';
import type { Workspace } from './workspace';

/** Runs every layer and the output layer; returns the masked cross-entropy. Logits stay in `ws.logits`. */
export function forward(g: Geometry, ws: Workspace, params: FloatArray, dropoutRate: number, dropoutSeed: number, wantLoss = true): LossResult {
  const { B, T, N } = ws;
  const { G, V } = g;
  const dropping = dropoutRate > 0;
  ws.dropoutApplied = dropping;
  for (let l = 0; l < g.layers.length; l++) {
    const lg = g.layers[l];
    const lb = ws.layers[l];
    const I = lg.inputSize;
    const GH = G * lg.H;
    // Layer input rows: embedding lookup, or the (dropped-out) outputs of the layer below.
    if (l === 0 && g.embedding >= 0) {
      for (let r = 0; r < N; r++) lb.input.set(params.subarray(g.embedding + ws.xs[r] * I, g.embedding + (ws.xs[r] + 1) * I), r * I);
    } else if (l > 0) {
      const below = ws.layers[l - 1].h;
      lb.input.set(below.subarray(B * I, (T + 1) * B * I));
      if (dropping) applyDropout(lb.input, lb.inputMask, dropoutRate, dropoutSeed, l - 1, B, I);
    }
    // Input projections for all steps at once: xw = x·W + b.
    for (let r = 0; r < N; r++) lb.xw.set(params.subarray(lg.bias, lg.bias + GH), r * GH);
    if (l === 0 && g.embedding < 0) {
      // One-hot input: x·W is row x of W.
      for (let r = 0; r < N; r++) {
        const w = lg.kernel + ws.xs[r] * GH;
        for (let j = 0; j < GH; j++) lb.xw[r * GH + j] += params[w + j];
      }
    } else {
      matMulAdd(N, I, GH, lb.input, 0, params, lg.kernel, lb.xw, 0);
    }
    for (let t = 0; t < T; t++) forwardStep(g, l, lb, params, B, t);
  }
  const H = g.Htop;
  const topH = ws.layers[g.layers.length - 1].h;
  ws.top.set(topH.subarray(B * H, (T + 1) * B * H));
  if (dropping) applyDropout(ws.top, ws.topMask, dropoutRate, dropoutSeed, g.layers.length - 1, B, H);
  if (g.D > 0) denseForward(g, ws, params);
  const K = g.K;
  const outputInput = g.D > 0 ? ws.dense : ws.top;
  for (let r = 0; r < N; r++) ws.logits.set(params.subarray(g.outputBias, g.outputBias + V), r * V);
  matMulAdd(N, K, V, outputInput, 0, params, g.outputKernel, ws.logits, 0);
  return wantLoss ? crossEntropy(ws, V) : { lossSum: 0, count: 0 };
}

/** The Dense hidden layer: dense = act(top · Wd + bd), [N, D]. */
function denseForward(g: Geometry, ws: Workspace, params: FloatArray): void {
  const { N } = ws;
  const { Htop: H, D } = g;
  const out = ws.dense;
  for (let r = 0; r < N; r++) out.set(params.subarray(g.denseBias, g.denseBias + D), r * D);
  matMulAdd(N, H, D, ws.top, 0, params, g.denseKernel, out, 0);
  if (g.denseActivation === 'relu') for (let i = 0; i < out.length; i++) out[i] = out[i] > 0 ? out[i] : 0;
  else if (g.denseActivation === 'tanh') for (let i = 0; i < out.length; i++) out[i] = Math.tanh(out[i]);
}

/** Backward through the Dense layer: `ws.dDense` holds d loss/d dense; adds its weight gradients, writes d loss/d top. */
function denseBackward(g: Geometry, ws: Workspace, params: FloatArray, grads: FloatArray, dTop: FloatArray): void {
  const { N } = ws;
  const { Htop: H, D } = g;
  const d = ws.dDense;
  const y = ws.dense;
  // Derivatives of the activation, written in terms of its output.
  if (g.denseActivation === 'relu') for (let i = 0; i < d.length; i++) d[i] = y[i] > 0 ? d[i] : 0;
  else if (g.denseActivation === 'tanh') for (let i = 0; i < d.length; i++) d[i] *= 1 - y[i] * y[i];
  matMulTransAAdd(N, H, D, ws.top, 0, d, 0, grads, g.denseKernel);
  addColumnSums(N, D, d, 0, grads, g.denseBias);
  matMulTransBAdd(N, D, H, d, 0, params, g.denseKernel, dTop, 0);
}

/** Σ weight · -ln softmax(logits)[target], with a stable log-sum-exp. */
function crossEntropy(ws: Workspace, V: number): LossResult {
  let lossSum = 0;
  let count = 0;
  for (let r = 0; r < ws.N; r++) {
    const w = ws.weights[r];
    if (w === 0) continue;
    const z = r * V;
    let max = -Infinity;
    for (let k = 0; k < V; k++) if (ws.logits[z + k] > max) max = ws.logits[z + k];
    let sum = 0;
    for (let k = 0; k < V; k++) sum += Math.exp(ws.logits[z + k] - max);
    lossSum += w * (max + Math.log(sum) - ws.logits[z + ws.ys[r]]);
    count += w;
  }
  return { lossSum, count };
}

/**
 * Sees d loss/d h_t of layer `layer` at step t (0-based; the cell state held fixed) as two [B, H]
 * parts whose sum it is: `fromOutput` (rows t·B·H … of the layer's dOut: the output or the layer
 * above) and `fromFuture` (what flows back in time from step t + 1).
 */
export type StateGradientObserver = (layer: number, t: number, fromOutput: FloatArray, fromFuture: FloatArray) => void;

/** Backward after `forward`; writes d(lossSum/count)/d(params) into `grads` (overwriting). */
export function backward(g: Geometry, ws: Workspace, params: FloatArray, grads: FloatArray, count: number, observe?: StateGradientObserver): void {
  const { B, T, N } = ws;
  const { G, V } = g;
  grads.fill(0);
  if (count === 0) return;
  // d loss/d logits = weight · (softmax - onehot(target)) / count, computed in place.
  const dLogits = ws.logits;
  for (let r = 0; r < N; r++) {
    const z = r * V;
    const w = ws.weights[r] / count;
    if (w === 0) {
      dLogits.fill(0, z, z + V);
      continue;
    }
    let max = -Infinity;
    for (let k = 0; k < V; k++) if (dLogits[z + k] > max) max = dLogits[z + k];
    let sum = 0;
    for (let k = 0; k < V; k++) {
      dLogits[z + k] = Math.exp(dLogits[z + k] - max);
      sum += dLogits[z + k];
    }
    for (let k = 0; k < V; k++) dLogits[z + k] *= w / sum;
    dLogits[z + ws.ys[r]] -= w;
  }
  const K = g.K;
  matMulTransAAdd(N, K, V, g.D > 0 ? ws.dense : ws.top, 0, dLogits, 0, grads, g.outputKernel);
  addColumnSums(N, V, dLogits, 0, grads, g.outputBias);
  const L = g.layers.length;
  const topOut = ws.layers[L - 1].dOut;
  topOut.fill(0);
  if (g.D > 0) {
    ws.dDense.fill(0);
    matMulTransBAdd(N, V, K, dLogits, 0, params, g.outputKernel, ws.dDense, 0);
    denseBackward(g, ws, params, grads, topOut);
  } else {
    matMulTransBAdd(N, V, g.Htop, dLogits, 0, params, g.outputKernel, topOut, 0);
  }
  if (ws.dropoutApplied) for (let i = 0; i < topOut.length; i++) topOut[i] *= ws.topMask[i];

  for (let l = L - 1; l >= 0; l--) {
    const lg = g.layers[l];
    const lb = ws.layers[l];
    const I = lg.inputSize;
    const H = lg.H;
    const GH = G * H;
    lb.dhNext.fill(0);
    lb.dcNext.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      observe?.(l, t, lb.dOut.subarray(t * B * H, (t + 1) * B * H), lb.dhNext);
      backwardStep(g, l, lb, params, B, t);
    }
    // Weight gradients as whole-sequence products: dU = Σ_t h_{t-1}ᵀ · dPreRec_t, dW = Σ_t x_tᵀ · dPre_t.
    const dRec = g.cell === 'gru' ? lb.dPreRec : lb.dPre;
    matMulTransAAdd(N, H, GH, lb.h, 0, dRec, 0, grads, lg.recurrentKernel);
    if (g.cell === 'gru' && g.spec.gruResetAfter === false) {
      // "Reset before" GRU: U_h reads r⊙h₋ (kept in aux), not h₋: dU_h += Σ (r⊙h₋ - h₋)ᵀ · dĥpre.
      for (let r = 0; r < N; r++) {
        for (let i = 0; i < H; i++) {
          const delta = lb.aux[r * H + i] - lb.h[r * H + i];
          if (delta === 0) continue;
          const to = lg.recurrentKernel + i * GH + 2 * H;
          for (let j = 0; j < H; j++) grads[to + j] += delta * dRec[r * GH + 2 * H + j];
        }
      }
    }
    addColumnSums(N, GH, lb.dPre, 0, grads, lg.bias);
    if (g.cell === 'gru') addColumnSums(N, GH, lb.dPreRec, 0, grads, lg.bias + GH);
    if (l === 0 && g.embedding < 0) {
      for (let r = 0; r < N; r++) {
        const w = lg.kernel + ws.xs[r] * GH;
        for (let j = 0; j < GH; j++) grads[w + j] += lb.dPre[r * GH + j];
      }
      continue;
    }
    matMulTransAAdd(N, I, GH, lb.input, 0, lb.dPre, 0, grads, lg.kernel);
    const dInput = l > 0 ? ws.layers[l - 1].dOut : ws.dInput0;
    dInput.fill(0);
    matMulTransBAdd(N, GH, I, lb.dPre, 0, params, lg.kernel, dInput, 0);
    if (l > 0) {
      if (ws.dropoutApplied) for (let i = 0; i < dInput.length; i++) dInput[i] *= lb.inputMask[i];
    } else {
      for (let r = 0; r < N; r++) {
        const e = g.embedding + ws.xs[r] * I;
        for (let j = 0; j < I; j++) grads[e + j] += dInput[r * I + j];
      }
    }
  }
}
