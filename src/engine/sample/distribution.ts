/**
 * Reading a model's next-symbol distribution through a Stepper (batch of one stream): feeding
 * symbols, the float64 softmax, its entropy and its most probable symbols, one symbol's surprisal.
 * Sampling, the hover and the lab answers all read distributions through these.
 */
import type { Stepper } from '../backends/types';
import type { Tokenizer } from '../data/tokenizer';
import { softmax } from './sampler';
import { WindowStepper } from './windowStepper';

export interface SymbolProbability {
  symbol: string;
  p: number;
}

export interface NextSymbolDistribution {
  probs: SymbolProbability[];
  /** Entropy of the whole next-symbol distribution, in bits. */
  entropyBits: number;
}

/** Feeds `ids` one at a time from the stepper's current state; returns the logits after the last. */
export function feed(stepper: Stepper, ids: ArrayLike<number>): Float32Array {
  // A window reader reads only the last window: feeding symbol by symbol would re-read it at each one.
  if (stepper instanceof WindowStepper) return stepper.feed(ids);
  const token = new Int32Array(1);
  let logits: Float32Array = new Float32Array(0);
  for (let i = 0; i < ids.length; i++) {
    token[0] = ids[i];
    logits = stepper.step(token);
  }
  return logits;
}

/** Softmax of a stepper's logits (batch of one) in float64. */
export function probabilities(logits: Float32Array, size: number): Float64Array {
  return softmax(logits, 0, size, new Float64Array(size));
}

export function entropyBits(p: ArrayLike<number>): number {
  let h = 0;
  for (let k = 0; k < p.length; k++) if (p[k] > 0) h -= p[k] * Math.log2(p[k]);
  return h;
}

/** The `top` most probable symbols, most probable first (ties: lower id first). */
export function topSymbols(p: ArrayLike<number>, vocab: Pick<Tokenizer, 'symbolOf'>, top: number): SymbolProbability[] {
  const order = Array.from({ length: p.length }, (_, k) => k).sort((a, b) => p[b] - p[a] || a - b).slice(0, Math.max(0, top));
  return order.map((k) => ({ symbol: vocab.symbolOf(k), p: p[k] }));
}

/** The `top` most likely symbols of one row of logits, with the entropy of the whole distribution. */
export function distributionFromLogits(logits: Float32Array, tokenizer: Pick<Tokenizer, 'size' | 'symbolOf'>, top: number): NextSymbolDistribution {
  const p = probabilities(logits, tokenizer.size);
  return { probs: topSymbols(p, tokenizer, top), entropyBits: entropyBits(p) };
}

/** -log2 softmax(logits)[id], without building the whole distribution. */
export function negLog2Softmax(logits: ArrayLike<number>, size: number, id: number): number {
  let max = -Infinity;
  for (let k = 0; k < size; k++) if (logits[k] > max) max = logits[k];
  let sum = 0;
  for (let k = 0; k < size; k++) sum += Math.exp(logits[k] - max);
  return (Math.log(sum) - (logits[id] - max)) / Math.LN2;
}

/** The character that actually follows a context: its probability and surprisal under `logits`. */
export function actualNext(logits: ArrayLike<number>, vocab: Pick<Tokenizer, 'encode' | 'unknownId' | 'size'>, next: string): ActualNext {
  const symbol = [...next][0] ?? '';
  const id = vocab.encode(symbol)[0] ?? vocab.unknownId;
  const bits = negLog2Softmax(logits, vocab.size, id);
  return { symbol, p: 2 ** -bits, bits, known: id !== vocab.unknownId };
}

export interface ActualNext {
  symbol: string;
  p: number;
  bits: number;
  /** False when the vocabulary lacks it (it reads as the unknown symbol). */
  known: boolean;
}
