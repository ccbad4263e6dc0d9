/**
 * Seeded initialisation of a flat parameter array in the canonical layout (see spec.ts).
 *   glorot      every kernel Glorot (Xavier) uniform, ±sqrt(6 / (fan_in + fan_out));
 *   orthogonal  the same, but each recurrent kernel [H, G·H] with orthonormal rows (Keras' defaults
 *               for LSTM/GRU/SimpleRNN: glorot_uniform kernels, orthogonal recurrent kernels);
 *   uniform     every kernel uniform in ±1/sqrt(n), n = its fan-in (seed 003);
 *   gaussian    every kernel normal with sd `scale` (seed 000: 0.005).
 * Biases start at zero, except the LSTM forget gate's, which starts at `forgetBias` (1 lets early
 * gradients flow through the cell state; Keras' unit_forget_bias). The embedding, when present,
 * is uniform in ±0.05 (Keras) or, for gaussian, normal with sd `scale`.
 */
import { Rng } from '../random';
import { layerHiddenSize, paramLayout, type ModelSpec } from './spec';
import type { FloatArray } from '../tensor';
import type { TrainConfig } from '../config/settings';

export type InitKind = TrainConfig['init'];

export interface InitOptions {
  kind: InitKind;
  /** Standard deviation of the gaussian scheme. */
  scale: number;
  forgetBias: number;
}

/** The setting defaults: Keras' scheme with a forget-gate bias of 1. */
const DEFAULT_OPTIONS: InitOptions = { kind: 'orthogonal', scale: 0.01, forgetBias: 1 };

export function initParams(spec: ModelSpec, params: FloatArray, seed: number, options: Partial<InitOptions> = {}): void {
  const { kind, scale, forgetBias } = { ...DEFAULT_OPTIONS, ...options };
  const layout = paramLayout(spec);
  if (params.length !== layout.total) throw new RangeError(`expected ${layout.total} parameters, got ${params.length}`);
  const rng = new Rng(seed, 101);
  for (const slot of layout.slots) {
    const view = params.subarray(slot.offset, slot.offset + slot.size);
    const [fanIn, fanOut] = slot.shape.length === 2 ? slot.shape : [slot.size, slot.size];
    if (slot.name === 'embedding') {
      for (let i = 0; i < view.length; i++) view[i] = kind === 'gaussian' ? scale * rng.normal() : rng.uniform(-0.05, 0.05);
    } else if (slot.name.endsWith('kernel')) {
      if (kind === 'orthogonal' && slot.name.endsWith('recurrent_kernel')) {
        orthogonalRows(view, fanIn, fanOut, rng);
      } else if (kind === 'gaussian') {
        for (let i = 0; i < view.length; i++) view[i] = scale * rng.normal();
      } else {
        const limit = kind === 'uniform' ? 1 / Math.sqrt(fanIn) : Math.sqrt(6 / (fanIn + fanOut));
        for (let i = 0; i < view.length; i++) view[i] = rng.uniform(-limit, limit);
      }
    } else {
      view.fill(0);
      // LSTM gate order i,f,c,o: the forget gate is the second block of H (recurrent layers only).
      const layer = /^l(\d+)\.bias$/.exec(slot.name);
      if (spec.cell === 'lstm' && layer) {
        const H = layerHiddenSize(spec, Number(layer[1]));
        view.fill(forgetBias, H, 2 * H);
      }
    }
  }
}

/**
 * A rows x cols matrix (rows <= cols) with orthonormal rows, from a gaussian one by Gram-Schmidt
 * (as Keras' Orthogonal: the QR factor of a normal matrix, which is uniformly distributed).
 * With rows > cols the columns are orthonormal instead.
 */
export function orthogonalRows(out: FloatArray, rows: number, cols: number, rng: Rng): void {
  const tall = rows > cols;
  const n = tall ? cols : rows; // vectors to orthonormalise
  const m = tall ? rows : cols; // their length
  const v = Array.from({ length: n }, () => Float64Array.from({ length: m }, () => rng.normal()));
  for (let i = 0; i < n; i++) {
    // Twice, for numerical orthogonality ("twice is enough").
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        let dot = 0;
        for (let k = 0; k < m; k++) dot += v[i][k] * v[j][k];
        for (let k = 0; k < m; k++) v[i][k] -= dot * v[j][k];
      }
    }
    let norm = 0;
    for (let k = 0; k < m; k++) norm += v[i][k] * v[i][k];
    norm = Math.sqrt(norm);
    for (let k = 0; k < m; k++) v[i][k] /= norm;
  }
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = tall ? v[c][r] : v[r][c];
}

export function initOptionsFromConfig(config: Pick<TrainConfig, 'init' | 'initScale' | 'forgetBias'>): InitOptions {
  return { kind: config.init, scale: config.initScale, forgetBias: config.forgetBias };
}
