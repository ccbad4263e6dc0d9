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
  /** Symbols never to emit while any other is possible (the unknown and start symbols; an early end). */
  avoid?: number | readonly number[];
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

/** Scratch weights for sampling, reused: this runs once per generated character. */
let scratch = new Float64Array(256);

const NONE: readonly number[] = [];

/** Whether k is one of the avoided symbols a0, a1, a2 or `rest` (-1: no symbol). */
function avoids(k: number, a0: number, a1: number, a2: number, rest: readonly number[]): boolean {
  return k === a0 || k === a1 || k === a2 || (rest.length > 0 && rest.includes(k));
}

/** Draws one symbol id from logits[offset .. offset+V). It runs once per generated character, so it allocates nothing (but with more than three avoided symbols, or top-k). */
export function sampleFromLogits(logits: ArrayLike<number>, offset: number, V: number, options: SampleOptions, rng: Rng): number {
  // Avoided symbols are excluded unless nothing else is left.
  const list = options.avoid === undefined ? NONE : typeof options.avoid === 'number' ? undefined : options.avoid;
  let a0 = -1, a1 = -1, a2 = -1;
  let rest = NONE;
  if (list === undefined) {
    const only = options.avoid as number;
    if (!(only >= 0 && only < V && V === 1)) a0 = only;
  } else if (list.length > 0) {
    let inRange = 0;
    for (const k of list) if (k >= 0 && k < V) inRange++;
    if (inRange < V) {
      a0 = list[0] ?? -1;
      a1 = list[1] ?? -1;
      a2 = list[2] ?? -1;
      if (list.length > 3) rest = list.slice(3);
    }
  }
  if (!(options.temperature > 0)) {
    let best = -1;
    for (let k = 0; k < V; k++) if (!avoids(k, a0, a1, a2, rest) && (best < 0 || logits[offset + k] > logits[offset + best])) best = k;
    return best;
  }
  if (scratch.length < V) scratch = new Float64Array(V);
  const weights = scratch;
  const invT = 1 / options.temperature;
  const anyAvoided = a0 >= 0 || a1 >= 0 || a2 >= 0 || rest.length > 0;
  // The largest logit keeps exp() in range; it must be one that can be drawn, or a dominant
  // avoided symbol would leave every other weight at 0.
  let max = -Infinity;
  let best = 0;
  for (let k = 0; k < V; k++) if (logits[offset + k] > max) { max = logits[offset + k]; best = k; }
  if (anyAvoided && avoids(best, a0, a1, a2, rest)) {
    max = -Infinity;
    for (let k = 0; k < V; k++) if (!avoids(k, a0, a1, a2, rest) && logits[offset + k] > max) max = logits[offset + k];
  }
  // Tight loops (no test per symbol): the weights, then the avoided ones zeroed, then the total.
  for (let k = 0; k < V; k++) weights[k] = Math.exp((logits[offset + k] - max) * invT);
  if (anyAvoided) {
    if (a0 >= 0 && a0 < V) weights[a0] = 0;
    if (a1 >= 0 && a1 < V) weights[a1] = 0;
    if (a2 >= 0 && a2 < V) weights[a2] = 0;
    for (const a of rest) if (a >= 0 && a < V) weights[a] = 0;
  }
  let total = 0;
  for (let k = 0; k < V; k++) total += weights[k];
  const topK = options.topK ?? 0;
  if (topK > 0 && topK < V) {
    const threshold = Array.from(weights.subarray(0, V)).sort((a, b) => b - a)[topK - 1];
    let kept = 0;
    total = 0;
    for (let k = 0; k < V; k++) {
      // Ties at the threshold: keep the first ones only, so exactly k remain.
      if (weights[k] > threshold || (weights[k] === threshold && kept < topK)) {
        kept++;
        total += weights[k];
      } else weights[k] = 0;
    }
  }
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
