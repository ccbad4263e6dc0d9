/**
 * Lab question 2: the most probable first symbols of a sentence, after the start symbol (or after
 * a prefix typed in), with a fresh state, as the tutorial's inference model does after
 * `reset_states()`.
 */
import type { Stepper } from '../backends/types';
import type { Tokenizer } from '../data/tokenizer';
import { nextSymbolsAfter } from './nextSymbols';
import type { SymbolProbability } from '../sample/distribution';
import { boundariesOf, unknownSymbols } from './symbols';

export interface FirstSymbolsAnswer {
  /** What was fed, as a person reads it: "⟨s⟩" or "⟨s⟩ + “The”". */
  context: string;
  probs: SymbolProbability[];
  /** Entropy of the whole distribution, bits. */
  entropyBits: number;
  /** Symbols the model knows: a uniform guess over them has log2(vocabSize) bits of entropy. */
  vocabSize: number;
  /** Characters of the prefix the model has never seen (read as ⟨unk⟩). */
  unknown: string[];
  /** Calm remarks: no start symbol in this model, unknown characters. */
  notes: string[];
}

export function topFirstSymbols(stepper: Stepper, vocab: Tokenizer, prefix: string, top = 10): FirstSymbolsAnswer {
  const b = boundariesOf(vocab);
  const notes: string[] = [];
  if (!b.hasStartSymbol) {
    notes.push(`This model has no start symbol (it was trained on a stream of text, not on sentences), so ${b.startLabel} stands in for it: what the model expects at the start of a line.`);
  }
  const unknown = unknownSymbols(vocab, prefix);
  if (unknown.length > 0) {
    notes.push(`The model has never seen ${unknown.map((c) => `“${c}”`).join(', ')}; it reads ${unknown.length === 1 ? 'it' : 'them'} as the unknown symbol, so this answer says little.`);
  }
  // The same reading as `rnn-lab probs --start`: from a zero state, the start symbol (or what stands in for it), then the prefix.
  const answer = b.hasStartSymbol
    ? nextSymbolsAfter(stepper, vocab, prefix, { start: true, top })
    : nextSymbolsAfter(stepper, vocab, vocab.symbolOf(b.startId) + prefix, { top });
  return {
    context: prefix === '' ? b.startLabel : `${b.startLabel} + “${prefix}”`,
    probs: answer.top,
    entropyBits: answer.entropyBits,
    vocabSize: vocab.size,
    unknown,
    notes,
  };
}
