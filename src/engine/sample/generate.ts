/**
 * Text generation and next-symbol distributions through a Stepper (batch of one stream).
 * The model is primed by feeding the prime text one symbol at a time; generation then feeds back
 * each sampled symbol. Symbols are whole code points, so a sample never splits a character.
 * With no prime the model starts from a newline (or its most frequent symbol): a neutral start.
 */
import type { Stepper } from '../backends/types';
import { Rng } from '../random';
import { UNKNOWN_ID, type Vocabulary } from '../text/vocab';
import { sampleFromLogits, softmax } from './sampler';

/**
 * Contexts longer than this are cut to their end: older characters barely move an RNN's state.
 * It is above the hover's window (2,000 characters from an anchored start, so up to ~2,500), whose
 * start must not slide for the context cache to reuse its states.
 */
export const MAX_CONTEXT_SYMBOLS = 4096;

/** The symbol fed first when there is no context: a newline, or the most frequent symbol. */
export function startId(vocab: Vocabulary): number {
  const newline = vocab.idOfCodePoint(10);
  return newline !== UNKNOWN_ID ? newline : 1;
}

/** The symbols a context is read as: at most its last MAX_CONTEXT_SYMBOLS, or the start symbol when empty. */
export function contextIds(vocab: Vocabulary, context: string): Int32Array {
  const ids = vocab.encode(context);
  if (ids.length === 0) return Int32Array.of(startId(vocab));
  return ids.length > MAX_CONTEXT_SYMBOLS ? ids.subarray(ids.length - MAX_CONTEXT_SYMBOLS) : ids;
}

/** Resets the stepper, feeds the context and returns the logits after its last symbol. */
function feedContext(stepper: Stepper, vocab: Vocabulary, context: string): Float32Array {
  stepper.reset();
  const ids = contextIds(vocab, context);
  const token = new Int32Array(1);
  let logits: Float32Array = new Float32Array(0);
  for (const id of ids) {
    token[0] = id;
    logits = stepper.step(token);
  }
  return logits;
}

export interface GenerateOptions {
  prime: string;
  length: number;
  temperature: number;
  seed: number;
  topK?: number;
}

/** Generates `length` symbols after the prime (the prime itself is not included). */
export function generate(stepper: Stepper, vocab: Vocabulary, options: GenerateOptions): string {
  if (stepper.batchSize !== 1) throw new RangeError('generation needs a stepper with batch size 1');
  const rng = new Rng(options.seed, 17);
  const V = vocab.size;
  let logits: Float32Array = feedContext(stepper, vocab, options.prime);
  const token = new Int32Array(1);
  let text = '';
  for (let i = 0; i < options.length; i++) {
    const id = sampleFromLogits(logits, 0, V, { temperature: options.temperature, topK: options.topK, avoid: UNKNOWN_ID }, rng);
    text += vocab.symbolOf(id);
    token[0] = id;
    if (i + 1 < options.length) logits = stepper.step(token);
  }
  return text;
}

export interface SymbolProbability {
  symbol: string;
  p: number;
}

export interface NextSymbolDistribution {
  probs: SymbolProbability[];
  /** Entropy of the whole next-symbol distribution, in bits. */
  entropyBits: number;
}

/** The `top` most likely next symbols after `context`, at temperature 1. */
export function nextSymbolDistribution(stepper: Stepper, vocab: Vocabulary, context: string, top: number): NextSymbolDistribution {
  return distributionFromLogits(feedContext(stepper, vocab, context), vocab, top);
}

/** The `top` most likely symbols of one row of logits, with the entropy of the whole distribution. */
export function distributionFromLogits(logits: Float32Array, vocab: Vocabulary, top: number): NextSymbolDistribution {
  const p = softmax(logits, 0, vocab.size, new Float64Array(vocab.size));
  let entropy = 0;
  for (let k = 0; k < p.length; k++) if (p[k] > 0) entropy -= p[k] * Math.log2(p[k]);
  const order = [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, Math.max(0, top));
  return { probs: order.map((k) => ({ symbol: vocab.symbolOf(k), p: p[k] })), entropyBits: entropy };
}
