/**
 * Sampling from a model's logits: temperature, greedy (temperature 0 = argmax), top-k, and a rule
 * that the unknown symbol is never emitted while any other symbol is possible (the tutorials
 * resample unknowns; zeroing its probability is the same distribution without the loop).
 */
import { Rng } from '../random';

export interface SampleOptions {
  /** 0 = greedy. */
  temperature: number;
  /** Keep only the k most likely symbols (0 = all). */
  topK?: number;
  /** A symbol never to emit if any other is possible (the unknown symbol). */
  avoid?: number;
}

/** Softmax of logits[offset .. offset+V) at temperature 1, into `out`. */
export function softmax(logits: ArrayLike<number>, offset: number, V: number, out: Float64Array): Float64Array {
  let max = -Infinity;
  for (let k = 0; k < V; k++) if (logits[offset + k] > max) max = logits[offset + k];
  let sum = 0;
  for (let k = 0; k < V; k++) {
    out[k] = Math.exp(logits[offset + k] - max);
    sum += out[k];
  }
  for (let k = 0; k < V; k++) out[k] /= sum;
  return out;
}

/** Draws one symbol id from logits[offset .. offset+V). */
export function sampleFromLogits(logits: ArrayLike<number>, offset: number, V: number, options: SampleOptions, rng: Rng): number {
  const allowed = (k: number) => k !== options.avoid || V === 1;
  if (!(options.temperature > 0)) {
    let best = -1;
    for (let k = 0; k < V; k++) if (allowed(k) && (best < 0 || logits[offset + k] > logits[offset + best])) best = k;
    return best;
  }
  const weights = new Float64Array(V);
  let max = -Infinity;
  for (let k = 0; k < V; k++) if (allowed(k) && logits[offset + k] > max) max = logits[offset + k];
  for (let k = 0; k < V; k++) weights[k] = allowed(k) ? Math.exp((logits[offset + k] - max) / options.temperature) : 0;
  const topK = options.topK ?? 0;
  if (topK > 0 && topK < V) {
    const threshold = [...weights].sort((a, b) => b - a)[topK - 1];
    let kept = 0;
    for (let k = 0; k < V; k++) {
      // Ties at the threshold: keep the first ones only, so exactly k remain.
      if (weights[k] > threshold || (weights[k] === threshold && kept < topK)) kept++;
      else weights[k] = 0;
    }
  }
  let total = 0;
  for (let k = 0; k < V; k++) total += weights[k];
  let u = rng.next() * total;
  let last = -1;
  for (let k = 0; k < V; k++) {
    if (weights[k] === 0) continue;
    last = k;
    u -= weights[k];
    if (u < 0) return k;
  }
  return last;
}
