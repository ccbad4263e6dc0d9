/**
 * Tokenizers turn text into symbol ids and back. Two kinds: characters (charTokenizer.ts) and
 * words (wordTokenizer.ts). Both reserve the low ids for special symbols that never stand for
 * text: id 0 is the unknown symbol (everything outside the capped vocabulary); when the data is
 * framed into lines, ids 1 and 2 are the start and end symbols. Text symbols follow.
 */
import type { TrainConfig } from '../config/settings';
import { UserInputError } from '../text/errors';
import { CharTokenizer } from './charTokenizer';
import { WordTokenizer } from './wordTokenizer';

export type TokenKind = TrainConfig['tokens'];
export type IdArray = Uint8Array | Uint16Array;

export const UNKNOWN_ID = 0;
/** Ids of the start and end symbols in a framed (lines-mode) vocabulary. */
export const START_ID = 1;
export const END_ID = 2;

export interface Tokenizer {
  readonly kind: TokenKind;
  /** Number of ids, special symbols included. */
  readonly size: number;
  /** Display name of every id (⟨unk⟩, ⟨s⟩, ⟨/s⟩ or UNKNOWN_TOKEN, SENTENCE_START, SENTENCE_END, then the text's symbols). */
  readonly symbols: readonly string[];
  readonly unknownId: number;
  /** Start / end symbol ids, or -1 when this vocabulary has none (not framed). */
  readonly startId: number;
  readonly endId: number;
  /** Text is lowercased before it is looked up. */
  readonly lowercase: boolean;
  /** The ids of the text's tokens (no start or end symbols added). */
  encode(text: string): Int32Array;
  /** The id of one token's text (a character or a word), or the unknown id. */
  idOf(token: string): number;
  symbolOf(id: number): string;
  /**
   * Generated ids as text: the start symbol writes nothing, the end symbol a newline; words are
   * joined with spaces (each word preceded by one) and no space before punctuation.
   */
  decode(ids: ArrayLike<number>): string;
  toJSON(): TokenizerJSON;
}

export interface TokenizerJSON {
  format: string;
  kind?: TokenKind;
  /** Display names of every id, as `Tokenizer.symbols`. */
  symbols: string[];
  /** Word vocabularies: start/end symbols at ids 1 and 2. */
  framed?: boolean;
  /** Character vocabularies: ids of the reserved symbols (-1 = none). */
  specials?: { unknown: number; start: number; end: number };
  lowercase?: boolean;
}

/** Reads a tokenizer saved by `toJSON` (or a character vocabulary saved before tokenizers had kinds). */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  const j = json as Partial<TokenizerJSON> | null;
  if (j && j.kind === 'word') return WordTokenizer.fromJSON(j);
  if (j && (j.kind === 'char' || j.kind === undefined)) return CharTokenizer.fromJSON(j);
  throw new UserInputError('the tokenizer in this checkpoint is missing or of an unknown kind.');
}

/** Allocates the id array for `length` tokens: one byte each when the vocabulary allows. */
export function allocateIds(size: number, length: number): IdArray {
  return size <= 256 ? new Uint8Array(length) : new Uint16Array(length);
}
