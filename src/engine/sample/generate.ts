/**
 * Text generation and next-symbol distributions through a Stepper (batch of one stream).
 * The model is primed by feeding the prime's tokens one at a time; generation then feeds back
 * each sampled token. Character symbols are whole code points, so a sample never splits one.
 * Models trained on lines start each line from a zero state and the start symbol, so they are
 * primed the same way (start symbol, then the text after the prime's last newline) and each
 * generated sentence ends at the end symbol. Other models start from a newline (or a common symbol)
 * when there is no prime.
 */
import type { Stepper } from '../backends/types';
import type { Tokenizer } from '../data/tokenizer';
import { Rng } from '../random';
import { sampleFromLogits } from './sampler';
import { distributionFromLogits, feed, type NextSymbolDistribution } from './distribution';

/**
 * Contexts longer than this are cut to their end: older characters barely move an RNN's state.
 * It is above the hover's window (2,000 characters from an anchored start, so up to ~2,500), whose
 * start must not slide for the context cache to reuse its states.
 */
export const MAX_CONTEXT_SYMBOLS = 4096;

/** The symbol fed first when there is no context: the start symbol, else a newline, else the first text symbol. */
export function startId(tokenizer: Tokenizer): number {
  if (tokenizer.startId >= 0) return tokenizer.startId;
  const newline = tokenizer.kind === 'char' ? tokenizer.idOf('\n') : tokenizer.unknownId;
  return newline !== tokenizer.unknownId ? newline : tokenizer.unknownId + 1;
}

/** The symbols a context is read as: at most its last MAX_CONTEXT_SYMBOLS (a framed model: its current line after the start symbol). */
export function contextIds(tokenizer: Tokenizer, context: string): Int32Array {
  if (tokenizer.startId >= 0) {
    const line = tokenizer.encode(context.slice(context.lastIndexOf('\n') + 1));
    const ids = new Int32Array(line.length + 1);
    ids[0] = tokenizer.startId;
    ids.set(line, 1);
    return ids.length > MAX_CONTEXT_SYMBOLS ? Int32Array.of(tokenizer.startId, ...ids.subarray(ids.length - MAX_CONTEXT_SYMBOLS + 1)) : ids;
  }
  const ids = tokenizer.encode(context);
  if (ids.length === 0) return Int32Array.of(startId(tokenizer));
  return ids.length > MAX_CONTEXT_SYMBOLS ? ids.subarray(ids.length - MAX_CONTEXT_SYMBOLS) : ids;
}

export interface GenerateOptions {
  prime: string;
  /** Most tokens generated in all. */
  length: number;
  temperature: number;
  seed: number;
  topK?: number;
  /** Framed (lines) models: stop at the end symbol (after `sentences` of them). Default true. */
  stopAtEnd?: boolean;
  /** Framed models: sentences to generate (each from the start symbol and a zero state). Default 1. */
  sentences?: number;
  /** Framed models: the end symbol is not drawn before a sentence has this many tokens. Default 0. */
  minSentenceLength?: number;
  /** Stop after generating this token (a word, or text that the output then ends with); '' = none. */
  stopWord?: string;
  /** Told of every draw with the logits it was drawn from (before it is yielded): what the model thought of it. */
  observe?: (logits: Float32Array, id: number) => void;
}

/**
 * The symbols a sample draws after the prime, one at a time, for as long as the caller takes them.
 * Never the unknown symbol (nor the start symbol) while anything else is possible. A framed model
 * ends by its end symbol (after `sentences` of them, when `stopAtEnd`; that last one is not
 * yielded); an end symbol that does not stop it is yielded, and the next sentence starts as
 * training lines do: a zero state and the start symbol.
 */
export function* drawSymbols(stepper: Stepper, tokenizer: Tokenizer, options: Omit<GenerateOptions, 'length' | 'stopWord'>): Generator<number, void, undefined> {
  if (stepper.batchSize !== 1) throw new RangeError('generation needs a stepper with batch size 1');
  const rng = new Rng(options.seed, 17);
  const V = tokenizer.size;
  const framed = tokenizer.endId >= 0;
  const stopAtEnd = framed && (options.stopAtEnd ?? true);
  const sentences = Math.max(1, options.sentences ?? 1);
  const minLength = options.minSentenceLength ?? 0;
  const avoid = [tokenizer.unknownId, ...(framed ? [tokenizer.startId] : [])];
  const avoidEarlyEnd = [...avoid, tokenizer.endId];
  const context = contextIds(tokenizer, options.prime);
  stepper.reset();
  let logits = feed(stepper, context);
  const token = new Int32Array(1);
  let inSentence = framed ? context.length - 1 : 0;
  let ended = 0;
  for (;;) {
    const early = framed && inSentence < minLength;
    const id = sampleFromLogits(logits, 0, V, { temperature: options.temperature, topK: options.topK, avoid: early ? avoidEarlyEnd : avoid }, rng);
    options.observe?.(logits, id);
    if (framed && id === tokenizer.endId) {
      ended++;
      if (stopAtEnd && ended >= sentences) return;
      yield id;
      inSentence = 0;
      stepper.reset();
      logits = feed(stepper, [tokenizer.startId]);
      continue;
    }
    inSentence++;
    yield id;
    token[0] = id;
    logits = stepper.step(token);
  }
}

/** Generates up to `length` tokens after the prime (the prime itself is not included); see `drawSymbols`. */
export function generate(stepper: Stepper, tokenizer: Tokenizer, options: GenerateOptions): string {
  const stopWord = options.stopWord ?? '';
  const out: number[] = [];
  if (options.length > 0) {
    for (const id of drawSymbols(stepper, tokenizer, options)) {
      out.push(id);
      if (out.length >= options.length) break;
      if (stopWord && id !== tokenizer.endId) {
        if (tokenizer.kind === 'word' ? tokenizer.symbolOf(id) === stopWord : tokenizer.decode(out).endsWith(stopWord)) break;
      }
    }
  }
  // The last end symbol closes the text; it does not add a trailing newline.
  const ids = tokenizer.endId >= 0 && out[out.length - 1] === tokenizer.endId ? out.slice(0, -1) : out;
  return tokenizer.decode(ids);
}

/** The `top` most likely next symbols after `context`, read from a zero state, at temperature 1. */
export function nextSymbolDistribution(stepper: Stepper, tokenizer: Tokenizer, context: string, top: number): NextSymbolDistribution {
  stepper.reset();
  return distributionFromLogits(feed(stepper, contextIds(tokenizer, context)), tokenizer, top);
}
