/**
 * One time step of each recurrent cell, forward and backward, over the B rows of step t.
 * Before `forwardStep`, `lb.xw` holds x·W + input bias for every step and `lb.h[0]` (and `lb.c[0]`)
 * the initial state. Conventions (Keras-compatible, see model/spec.ts):
 *   RNN   h = tanh(x·W + h₋·U + b)
 *   σ is the logistic sigmoid, or Keras' hard_sigmoid when the spec asks for it (models read from Keras files)
 *   LSTM  [i f g o] = [σ σ tanh σ](x·W + h₋·U + b);  c = f⊙c₋ + i⊙g;  h = o⊙tanh(c)
 *   GRU   "reset_after": [xz xr xh] = x·W + b_in, [hz hr hh] = h₋·U + b_rec,
 *         z = σ(xz+hz), r = σ(xr+hr), ĥ = tanh(xh + r⊙hh), h = z⊙h₋ + (1-z)⊙ĥ
 *         (spec.gruResetAfter = false, "reset before": ĥ = tanh(xh + (r⊙h₋)·U_h + b_rec_h), Keras 1's GRU)
 */
import type { FloatArray } from '../../tensor';
import type { Geometry } from './geometry';
import { hardSigmoid, matMulAdd, matMulTransBAdd, sigmoid } from './linalg';

/** d gate / d pre-activation from the gate's value: σ' = y(1-y); hard_sigmoid' = 0.2 inside its ramp, 0 outside. */
function gateSlope(hard: boolean, y: number): number {
  return hard ? (y > 0 && y < 1 ? 0.2 : 0) : y * (1 - y);
}
import type { LayerBuffers } from './workspace';

export function forwardStep(g: Geometry, l: number, lb: LayerBuffers, params: FloatArray, B: number, t: number): void {
  const { G } = g;
  const H = g.layers[l].H;
  const GH = G * H;
  const lg = g.layers[l];
  const rec = lb.rec;
  rec.fill(0);
  matMulAdd(B, H, GH, lb.h, t * B * H, params, lg.recurrentKernel, rec, 0);
  const hPrev = t * B * H;
  const hNext = (t + 1) * B * H;
  const gate = g.spec.recurrentActivation === 'hard_sigmoid' ? hardSigmoid : sigmoid;
  if (g.cell === 'gru' && g.spec.gruResetAfter === false) {
    gruResetBeforeForward(H, lg.recurrentKernel, lg.bias + GH, lb, params, B, t, gate);
    return;
  }
  for (let b = 0; b < B; b++) {
    const row = (t * B + b) * GH;
    const r0 = b * GH;
    const u = b * H;
    for (let j = 0; j < H; j++) {
      if (g.cell === 'lstm') {
        const i = gate(lb.xw[row + j] + rec[r0 + j]);
        const f = gate(lb.xw[row + H + j] + rec[r0 + H + j]);
        const gg = Math.tanh(lb.xw[row + 2 * H + j] + rec[r0 + 2 * H + j]);
        const o = gate(lb.xw[row + 3 * H + j] + rec[r0 + 3 * H + j]);
        const c = f * lb.c[hPrev + u + j] + i * gg;
        const tc = Math.tanh(c);
        lb.c[hNext + u + j] = c;
        lb.h[hNext + u + j] = o * tc;
        lb.gates[row + j] = i;
        lb.gates[row + H + j] = f;
        lb.gates[row + 2 * H + j] = gg;
        lb.gates[row + 3 * H + j] = o;
        lb.aux[(t * B + b) * H + j] = tc;
      } else if (g.cell === 'gru') {
        const recBias = lg.bias + GH;
        const z = gate(lb.xw[row + j] + rec[r0 + j] + params[recBias + j]);
        const r = gate(lb.xw[row + H + j] + rec[r0 + H + j] + params[recBias + H + j]);
        const hh = rec[r0 + 2 * H + j] + params[recBias + 2 * H + j];
        const cand = Math.tanh(lb.xw[row + 2 * H + j] + r * hh);
        lb.h[hNext + u + j] = z * lb.h[hPrev + u + j] + (1 - z) * cand;
        lb.gates[row + j] = z;
        lb.gates[row + H + j] = r;
        lb.gates[row + 2 * H + j] = cand;
        lb.aux[(t * B + b) * H + j] = hh;
      } else {
        lb.h[hNext + u + j] = Math.tanh(lb.xw[row + j] + rec[r0 + j]);
      }
    }
  }
}

/**
 * Backward through step t. Reads d loss/d h_t from `lb.dOut` plus `lb.dhNext` (and `lb.dcNext`)
 * from step t+1; writes the pre-activation gradients of step t into `lb.dPre` / `lb.dPreRec`, and
 * replaces `dhNext` / `dcNext` with the gradients w.r.t. h_{t-1} / c_{t-1}.
 */
export function backwardStep(g: Geometry, l: number, lb: LayerBuffers, params: FloatArray, B: number, t: number): void {
  const { G } = g;
  const H = g.layers[l].H;
  const GH = G * H;
  const hPrev = t * B * H;
  const hNext = (t + 1) * B * H;
  const dRec = g.cell === 'gru' ? lb.dPreRec : lb.dPre;
  const hard = g.spec.recurrentActivation === 'hard_sigmoid';
  if (g.cell === 'gru' && g.spec.gruResetAfter === false) {
    gruResetBeforeBackward(H, g.layers[l].recurrentKernel, lb, params, B, t, hard);
  } else for (let b = 0; b < B; b++) {
    const row = (t * B + b) * GH;
    const u = b * H;
    const out = (t * B + b) * H;
    for (let j = 0; j < H; j++) {
      const dh = lb.dOut[out + j] + lb.dhNext[u + j];
      if (g.cell === 'lstm') {
        const i = lb.gates[row + j];
        const f = lb.gates[row + H + j];
        const gg = lb.gates[row + 2 * H + j];
        const o = lb.gates[row + 3 * H + j];
        const tc = lb.aux[out + j];
        const dc = lb.dcNext[u + j] + dh * o * (1 - tc * tc);
        lb.dPre[row + j] = dc * gg * gateSlope(hard, i);
        lb.dPre[row + H + j] = dc * lb.c[hPrev + u + j] * gateSlope(hard, f);
        lb.dPre[row + 2 * H + j] = dc * i * (1 - gg * gg);
        lb.dPre[row + 3 * H + j] = dh * tc * gateSlope(hard, o);
        lb.dcNext[u + j] = dc * f;
        lb.dhNext[u + j] = 0;
      } else if (g.cell === 'gru') {
        const z = lb.gates[row + j];
        const r = lb.gates[row + H + j];
        const cand = lb.gates[row + 2 * H + j];
        const hh = lb.aux[out + j];
        const dCandPre = dh * (1 - z) * (1 - cand * cand);
        const dz = dh * (lb.h[hPrev + u + j] - cand) * gateSlope(hard, z);
        const dr = dCandPre * hh * gateSlope(hard, r);
        lb.dPre[row + j] = dz;
        lb.dPre[row + H + j] = dr;
        lb.dPre[row + 2 * H + j] = dCandPre;
        lb.dPreRec[row + j] = dz;
        lb.dPreRec[row + H + j] = dr;
        lb.dPreRec[row + 2 * H + j] = dCandPre * r;
        // h₋ also reaches h directly through z⊙h₋; the U path is added below.
        lb.dhNext[u + j] = dh * z;
      } else {
        const h = lb.h[hNext + u + j];
        lb.dPre[row + j] = dh * (1 - h * h);
        lb.dhNext[u + j] = 0;
      }
    }
  }
  if (t > 0) matMulTransBAdd(B, GH, H, dRec, t * B * GH, params, g.layers[l].recurrentKernel, lb.dhNext, 0);
}

/**
 * The "reset before" GRU step (Keras 1; Keras 2 with reset_after=False): z and r from the plain
 * products as usual, then ĥ from (r⊙h₋)·U_h. Keeps r⊙h₋ in `aux` for the backward pass.
 */
function gruResetBeforeForward(H: number, U: number, recBias: number, lb: LayerBuffers, params: FloatArray, B: number, t: number, gate: (x: number) => number): void {
  const GH = 3 * H;
  const hPrev = t * B * H;
  const hNext = (t + 1) * B * H;
  for (let b = 0; b < B; b++) {
    const row = (t * B + b) * GH;
    const r0 = b * GH;
    const u = b * H;
    const rh = (t * B + b) * H;
    for (let j = 0; j < H; j++) {
      lb.gates[row + j] = gate(lb.xw[row + j] + lb.rec[r0 + j] + params[recBias + j]);
      const r = gate(lb.xw[row + H + j] + lb.rec[r0 + H + j] + params[recBias + H + j]);
      lb.gates[row + H + j] = r;
      lb.aux[rh + j] = r * lb.h[hPrev + u + j];
    }
    for (let j = 0; j < H; j++) {
      let pre = lb.xw[row + 2 * H + j] + params[recBias + 2 * H + j];
      for (let i = 0; i < H; i++) pre += lb.aux[rh + i] * params[U + i * GH + 2 * H + j];
      const cand = Math.tanh(pre);
      const z = lb.gates[row + j];
      lb.gates[row + 2 * H + j] = cand;
      lb.h[hNext + u + j] = z * lb.h[hPrev + u + j] + (1 - z) * cand;
    }
  }
}

/**
 * Backward through a "reset before" GRU step. The caller's generic products treat every column of
 * U as if its input were h₋: the h₋ gradient here is set so that, after it adds dRec·Uᵀ, it holds
 * z⊙dh + r⊙(dĥ·U_hᵀ) + [dz dr]·U_zrᵀ; the U_h gradient is corrected in passes.ts.
 */
function gruResetBeforeBackward(H: number, U: number, lb: LayerBuffers, params: FloatArray, B: number, t: number, hard: boolean): void {
  const GH = 3 * H;
  const hPrev = t * B * H;
  for (let b = 0; b < B; b++) {
    const row = (t * B + b) * GH;
    const u = b * H;
    const out = (t * B + b) * H;
    for (let j = 0; j < H; j++) {
      const dh = lb.dOut[out + j] + lb.dhNext[u + j];
      const z = lb.gates[row + j];
      const cand = lb.gates[row + 2 * H + j];
      const dCandPre = dh * (1 - z) * (1 - cand * cand);
      const dz = dh * (lb.h[hPrev + u + j] - cand) * gateSlope(hard, z);
      lb.dPre[row + j] = dz;
      lb.dPre[row + 2 * H + j] = dCandPre;
      lb.dPreRec[row + j] = dz;
      lb.dPreRec[row + 2 * H + j] = dCandPre;
      lb.dhNext[u + j] = dh * z;
    }
    for (let i = 0; i < H; i++) {
      // d(r⊙h₋)_i = Σ_j dĥpre_j U_h[i, j]
      let dRh = 0;
      for (let j = 0; j < H; j++) dRh += lb.dPreRec[row + 2 * H + j] * params[U + i * GH + 2 * H + j];
      const r = lb.gates[row + H + i];
      const dr = dRh * lb.h[hPrev + u + i] * gateSlope(hard, r);
      lb.dPre[row + H + i] = dr;
      lb.dPreRec[row + H + i] = dr;
      // The generic dRec·Uᵀ adds dRh in full; the state only receives r⊙dRh of it.
      lb.dhNext[u + i] += dRh * (r - 1);
    }
  }
}
