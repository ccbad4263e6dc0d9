/**
 * The next-symbol distribution after a prefix read from a zero state, optionally after the start
 * symbol (seed 004's lab question 2: the most probable first characters of a sentence).
 */
import type { Stepper } from '../backends/types';
import type { Tokenizer } from '../data/tokenizer';
import { UserInputError } from '../text/errors';
import { distributionFromLogits, feed, type SymbolProbability } from '../sample/distribution';

export interface NextSymbols {
  /** The `top` most probable next symbols, most probable first. */
  top: SymbolProbability[];
  /** Entropy of the whole distribution, in bits. */
  entropyBits: number;
}

export function nextSymbolsAfter(stepper: Stepper, tokenizer: Tokenizer, prefix: string, options: { start?: boolean; top: number }): NextSymbols {
  if (options.start && tokenizer.startId < 0) throw new UserInputError("this model's vocabulary has no start symbol, so there is nothing to read first; leave out the start symbol.");
  const ids = [...(options.start ? [tokenizer.startId] : []), ...tokenizer.encode(prefix)];
  if (ids.length === 0) throw new UserInputError('the prefix is empty and no start symbol was asked for, so the model has nothing to read.');
  stepper.reset();
  const { probs, entropyBits } = distributionFromLogits(feed(stepper, ids), tokenizer, options.top);
  return { top: probs, entropyBits };
}
