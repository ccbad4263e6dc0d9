/**
 * Where a sentence starts and ends for the lab answers, on whatever model is loaded: the reserved
 * start and end symbols when the model has them (lines mode), else a newline on both sides (a
 * model trained on a stream of text learns lines between newlines), else no end at all.
 */
import type { Tokenizer } from '../data/tokenizer';

/** The part of a tokenizer the labs use (characters or words alike). */
export type LabVocab = Pick<Tokenizer, 'kind' | 'size' | 'symbols' | 'unknownId' | 'startId' | 'endId' | 'encode' | 'symbolOf' | 'decode'>;

export interface Boundaries {
  /** Fed before the first symbol of a sentence. */
  startId: number;
  /** Ends a sentence when sampled; undefined = only the length limit ends it. */
  endId: number | undefined;
  /** True when the model has a reserved start symbol (it was trained on sentences). */
  hasStartSymbol: boolean;
  hasEndSymbol: boolean;
  /** How a person reads the start: "⟨s⟩" or "a newline". */
  startLabel: string;
  endLabel: string;
}

export function boundariesOf(vocab: LabVocab): Boundaries {
  const start = vocab.startId >= 0 ? vocab.startId : undefined;
  const end = vocab.endId >= 0 ? vocab.endId : undefined;
  const newline = vocab.symbols.indexOf('\n');
  const fallback = newline > 0 ? newline : Math.min(1, vocab.size - 1);
  return {
    startId: start ?? fallback,
    endId: end ?? (newline > 0 ? newline : undefined),
    hasStartSymbol: start !== undefined,
    hasEndSymbol: end !== undefined,
    startLabel: start !== undefined ? vocab.symbols[start] : newline > 0 ? 'a newline' : `“${vocab.symbols[fallback]}”`,
    endLabel: end !== undefined ? vocab.symbols[end] : newline > 0 ? 'a newline' : 'the length limit',
  };
}

/** The characters of `text` the vocabulary does not have (each once, in order of appearance). */
export function unknownSymbols(vocab: LabVocab, text: string): string[] {
  const ids = vocab.encode(text);
  const chars = [...text];
  const unknown: string[] = [];
  if (vocab.kind !== 'char' || ids.length !== chars.length) return unknown; // words: no per-character answer
  ids.forEach((id, i) => { if (id === vocab.unknownId && !unknown.includes(chars[i])) unknown.push(chars[i]); });
  return unknown;
}
