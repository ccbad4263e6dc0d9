/**
 * The next-symbol distribution after a prefix read from a zero state, optionally after the start
 * symbol (seed 004's lab question 2: the most probable first characters of a sentence).
 */
import type { Stepper } from '../backends/types';
import type { Tokenizer } from '../data/tokenizer';
import { UserInputError } from '../text/errors';
import { softmax } from '../sample/sampler';

export interface NextSymbol {
  symbol: string;
  /** Probability in float64, as computed. */
  p: number;
}

export interface NextSymbols {
  /** The `top` most probable next symbols, most probable first. */
  top: NextSymbol[];
  /** Entropy of the whole distribution, in bits. */
  entropyBits: number;
}

export function nextSymbolsAfter(stepper: Stepper, tokenizer: Tokenizer, prefix: string, options: { start?: boolean; top: number }): NextSymbols {
  if (options.start && tokenizer.startId < 0) throw new UserInputError("this model's vocabulary has no start symbol, so there is nothing to read first; leave out the start symbol.");
  const ids = [...(options.start ? [tokenizer.startId] : []), ...tokenizer.encode(prefix)];
  if (ids.length === 0) throw new UserInputError('the prefix is empty and no start symbol was asked for, so the model has nothing to read.');
  stepper.reset();
  const token = new Int32Array(1);
  let logits: Float32Array = new Float32Array(0);
  for (const id of ids) {
    token[0] = id;
    logits = stepper.step(token);
  }
  const V = tokenizer.size;
  const p = softmax(logits, 0, V, new Float64Array(V));
  let entropyBits = 0;
  for (let k = 0; k < V; k++) if (p[k] > 0) entropyBits -= p[k] * Math.log2(p[k]);
  const order = [...p.keys()].sort((a, b) => p[b] - p[a] || a - b).slice(0, Math.max(0, options.top));
  return { top: order.map((k) => ({ symbol: tokenizer.symbolOf(k), p: p[k] })), entropyBits };
}
