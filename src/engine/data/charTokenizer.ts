/**
 * Character tokens. A symbol is one Unicode code point (so an emoji is one symbol and a sample
 * can never split a character). Id 0 is the unknown symbol ⟨unk⟩, which stands for every
 * character outside the capped vocabulary; a framed vocabulary (lines mode) has the start ⟨s⟩
 * and end ⟨/s⟩ symbols at ids 1 and 2. The characters follow, by frequency (ties by code point)
 * or in order of first appearance.
 */
import type { TrainConfig } from '../config/settings';
import { UserInputError } from '../text/errors';
import { allocateIds, END_ID, START_ID, UNKNOWN_ID, type IdArray, type Tokenizer, type TokenizerJSON } from './tokenizer';

export const UNKNOWN_SYMBOL = '⟨unk⟩';
export const START_SYMBOL = '⟨s⟩';
export const END_SYMBOL = '⟨/s⟩';
const TOKENIZER_FORMAT = 'rnn-lab-tokenizer/1';
/** The format of character vocabularies saved before tokenizers had kinds (read, never written). */
const OLD_VOCAB_FORMAT = 'rnn-lab-vocab/1';

/** Counts code points (BMP characters in a flat array, astral ones in a map) and when each first appeared. */
export class SymbolCounter {
  readonly bmp = new Float64Array(0x10000);
  readonly astral = new Map<number, number>();
  /** Position of the first appearance + 1 (0 = not seen), for vocabularies in order of appearance. */
  private readonly firstBmp = new Float64Array(0x10000);
  private readonly firstAstral = new Map<number, number>();
  total = 0;

  add(text: string): void {
    const bmp = this.bmp;
    let n = this.total;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      n++;
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
        const cp = text.codePointAt(i)!;
        if (cp > 0xffff) {
          this.astral.set(cp, (this.astral.get(cp) ?? 0) + 1);
          if (!this.firstAstral.has(cp)) this.firstAstral.set(cp, n);
          i++;
          continue;
        }
      }
      if (bmp[code]++ === 0) this.firstBmp[code] = n;
    }
    this.total = n;
  }

  /** [code point, count] for every symbol seen. */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let cp = 0; cp < this.bmp.length; cp++) if (this.bmp[cp] > 0) out.push([cp, this.bmp[cp]]);
    for (const entry of this.astral) out.push(entry);
    return out;
  }

  firstSeen(cp: number): number {
    return cp > 0xffff ? this.firstAstral.get(cp) ?? Infinity : this.firstBmp[cp] || Infinity;
  }
}

export interface VocabularyOptions {
  /** Add the start and end symbols (lines mode). */
  framed?: boolean;
  order?: TrainConfig['vocabOrder'];
  lowercase?: boolean;
}

/** Our vocabularies: ⟨unk⟩ at 0, and ⟨s⟩, ⟨/s⟩ at 1, 2 when framed. */
function standardSpecials(framed: boolean): SpecialIds {
  return framed ? { unknown: UNKNOWN_ID, start: START_ID, end: END_ID } : { unknown: UNKNOWN_ID, start: -1, end: -1 };
}

/** Ids taken by special symbols: unknown, and start + end when framed. */
export function specialCount(framed: boolean): number {
  return framed ? 3 : 1;
}

/** The cap on a vocabulary must leave room for one text symbol after the special ones. */
export function assertVocabularyCap(maxVocab: number, framed: boolean): void {
  const specials = specialCount(framed);
  if (!Number.isInteger(maxVocab) || maxVocab <= specials || maxVocab > 0xffff) {
    throw new UserInputError(
      `a vocabulary cap ({setting}) of ${maxVocab} leaves no room for the text's symbols: ${specials} id${specials > 1 ? 's are' : ' is'} reserved ` +
      `(${framed ? 'unknown, start and end' : 'unknown'}); try {suggestion} or more.`,
      { key: 'maxVocab', suggestion: specials + 1 },
    );
  }
}

/** Ids of the reserved symbols; -1 where a vocabulary has none (a model trained elsewhere may lack ⟨unk⟩). */
export interface SpecialIds {
  unknown: number;
  start: number;
  end: number;
}

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly unknownId: number;
  readonly startId: number;
  readonly endId: number;
  private readonly bmpIds: Int32Array;
  private readonly astralIds = new Map<number, number>();

  /** `symbols` are display names by id: the reserved ids show ⟨unk⟩, ⟨s⟩, ⟨/s⟩, every other id one character. */
  private constructor(readonly symbols: readonly string[], readonly specials: SpecialIds, readonly lowercase: boolean) {
    this.unknownId = specials.unknown;
    this.startId = specials.start;
    this.endId = specials.end;
    const reserved = new Set([specials.unknown, specials.start, specials.end]);
    this.bmpIds = new Int32Array(0x10000).fill(specials.unknown);
    for (let id = 0; id < symbols.length; id++) {
      if (reserved.has(id)) continue; // Reserved symbols are never read from text.
      const cp = symbols[id].codePointAt(0)!;
      if (cp > 0xffff) this.astralIds.set(cp, id);
      else this.bmpIds[cp] = id;
    }
  }

  get framed(): boolean {
    return this.startId >= 0 && this.endId >= 0;
  }

  /** At most `maxVocab` ids: the special symbols, then the most frequent (or first seen) characters. */
  static fromCounts(counter: SymbolCounter, maxVocab: number, options: VocabularyOptions = {}): CharTokenizer {
    const framed = options.framed ?? false;
    assertVocabularyCap(maxVocab, framed);
    const order = options.order ?? 'frequency';
    const kept = counter.entries()
      .sort(order === 'first' ? (a, b) => counter.firstSeen(a[0]) - counter.firstSeen(b[0]) : (a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, maxVocab - specialCount(framed))
      .map(([cp]) => String.fromCodePoint(cp));
    const names = framed ? [UNKNOWN_SYMBOL, START_SYMBOL, END_SYMBOL] : [UNKNOWN_SYMBOL];
    return new CharTokenizer([...names, ...kept], standardSpecials(framed), options.lowercase ?? false);
  }

  static fromText(text: string, maxVocab: number, options: VocabularyOptions = {}): CharTokenizer {
    const counter = new SymbolCounter();
    counter.add(options.lowercase ? text.toLowerCase() : text);
    return CharTokenizer.fromCounts(counter, maxVocab, options);
  }

  /**
   * A vocabulary in a given id order (a model trained elsewhere): one character per id, except the
   * reserved ids, which are shown as ⟨unk⟩ / ⟨s⟩ / ⟨/s⟩. Without an unknown id, a character
   * outside the vocabulary encodes as -1.
   */
  static fromSymbols(symbols: readonly string[], specials: Partial<SpecialIds>, what = 'the vocabulary', lowercase = false): CharTokenizer {
    const ids: SpecialIds = { unknown: specials.unknown ?? -1, start: specials.start ?? -1, end: specials.end ?? -1 };
    const names: Array<[number, string]> = [[ids.unknown, UNKNOWN_SYMBOL], [ids.start, START_SYMBOL], [ids.end, END_SYMBOL]];
    const shown = [...symbols];
    for (const [id, name] of names) if (id >= 0) shown[id] = name;
    const seen = new Set<string>();
    shown.forEach((s, id) => {
      if (names.some(([r]) => r === id)) return;
      if (typeof s !== 'string' || [...s].length !== 1) throw new UserInputError(`${what} has a symbol at id ${id} that is not one character (${JSON.stringify(s)}).`);
      if (seen.has(s)) throw new UserInputError(`${what} lists ${JSON.stringify(s)} twice (again at id ${id}).`);
      seen.add(s);
    });
    if (shown.length < 2) throw new UserInputError(`${what} has fewer than two symbols.`);
    return new CharTokenizer(shown, ids, lowercase);
  }

  static fromJSON(json: unknown): CharTokenizer {
    const j = json as Partial<TokenizerJSON> | null;
    if (!j || (j.format !== TOKENIZER_FORMAT && j.format !== OLD_VOCAB_FORMAT) || !Array.isArray(j.symbols)) {
      throw new UserInputError('the vocabulary in this checkpoint is missing or malformed.');
    }
    const specials = j.specials ?? standardSpecials(j.framed === true);
    return CharTokenizer.fromSymbols(j.symbols as string[], specials, 'the vocabulary in this checkpoint', j.lowercase === true);
  }

  toJSON(): TokenizerJSON {
    return { format: TOKENIZER_FORMAT, kind: 'char', symbols: [...this.symbols], specials: { ...this.specials }, lowercase: this.lowercase };
  }

  get size(): number {
    return this.symbols.length;
  }

  idOfCodePoint(cp: number): number {
    return cp > 0xffff ? this.astralIds.get(cp) ?? this.unknownId : this.bmpIds[cp];
  }

  idOf(token: string): number {
    const t = this.lowercase ? token.toLowerCase() : token;
    const cp = t.codePointAt(0);
    return cp === undefined || [...t].length !== 1 ? this.unknownId : this.idOfCodePoint(cp);
  }

  /** Allocates the id array for `length` symbols: one byte each when the vocabulary allows. */
  allocateIds(length: number): IdArray {
    return allocateIds(this.size, length);
  }

  /** Writes the ids of `text` into `out` from `offset`; returns the offset after the last one. */
  encodeInto(text: string, out: IdArray | Int32Array, offset: number): number {
    // Lowercasing an already lowercase text changes nothing, so `encode` may do it first.
    if (this.lowercase) text = text.toLowerCase();
    let o = offset;
    for (let i = 0; i < text.length; i++) {
      let cp = text.charCodeAt(i);
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
        const full = text.codePointAt(i)!;
        if (full > 0xffff) {
          cp = full;
          i++;
        }
      }
      out[o++] = this.idOfCodePoint(cp);
    }
    return o;
  }

  encode(text: string): Int32Array {
    if (this.lowercase) text = text.toLowerCase();
    const out = new Int32Array(text.length);
    return out.subarray(0, this.encodeInto(text, out, 0));
  }

  symbolOf(id: number): string {
    return this.symbols[id];
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === this.startId) continue;
      s += id === this.endId ? '\n' : this.symbols[id];
    }
    return s;
  }
}

/** Number of code points in a string (an emoji counts once). */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}
