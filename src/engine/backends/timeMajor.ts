/**
 * The host-side layout both GPU backends (CUDA, WebGPU) upload a batch in: time-major rows
 * (row r = t·B + b, so each time step's B rows are contiguous for the per-step products), and each
 * input token's rows in increasing order, the fixed order of the backward pass's scatter-add into
 * the input weights' gradient (no atomics, so the sum is the same on every run).
 */
import type { TokenBatch } from '../tensor';

/** Host arrays of B·T entries each, filled by packTimeMajor. */
export interface TimeMajorRows {
  xs: Int32Array;
  ys: Int32Array;
  weights: Float32Array;
}

/**
 * Checks the batch's shape and token ids, writes it time-major into `rows` and returns the number of
 * predictions that count (the sum of the mask, or B·T without one).
 */
export function packTimeMajor(batch: TokenBatch, vocabSize: number, rows: TimeMajorRows): number {
  const { batchSize: B, steps: T, inputs, targets, mask } = batch;
  const V = vocabSize;
  const N = B * T;
  if (!(Number.isInteger(B) && B > 0 && Number.isInteger(T) && T > 0)) throw new RangeError(`bad batch shape ${B}x${T}`);
  if (inputs.length !== N || targets.length !== N || (mask && mask.length !== N)) throw new RangeError(`batch arrays must hold ${B}x${T} entries`);
  let count = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const x = inputs[b * T + t];
      const y = targets[b * T + t];
      if (!(x >= 0 && x < V && y >= 0 && y < V)) throw new RangeError(`token id out of range 0..${V - 1} at row ${b}, step ${t}`);
      const r = t * B + b;
      const w = mask ? mask[b * T + t] : 1;
      rows.xs[r] = x;
      rows.ys[r] = y;
      rows.weights[r] = w;
      count += w;
    }
  }
  return count;
}

/**
 * Lists each input token's rows in increasing order (a counting sort): `tokenStart[v]..tokenStart[v+1]`
 * indexes `rowsByToken` for token v. `tokenStart` holds V + 1 entries, `rowsByToken` the N rows.
 */
export function sortRowsByToken(xs: Int32Array, vocabSize: number, tokenStart: Int32Array, rowsByToken: Int32Array): void {
  const V = vocabSize;
  tokenStart.fill(0);
  for (let r = 0; r < xs.length; r++) tokenStart[xs[r] + 1]++;
  for (let v = 0; v < V; v++) tokenStart[v + 1] += tokenStart[v];
  const next = tokenStart.slice(0, V);
  for (let r = 0; r < xs.length; r++) rowsByToken[next[xs[r]]++] = r;
}
