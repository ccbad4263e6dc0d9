/**
 * Character vocabulary. A symbol is one Unicode code point (so an emoji is one symbol and a
 * sample can never split a character). Id 0 is the unknown symbol ⟨unk⟩, which stands for every
 * character rarer than the `maxVocab - 1` most frequent ones; the rest are sorted by frequency.
 */
import { UserInputError } from './errors';

export const UNKNOWN_SYMBOL = '⟨unk⟩';
export const UNKNOWN_ID = 0;
const VOCAB_FORMAT = 'rnn-lab-vocab/1';

export type IdArray = Uint8Array | Uint16Array;

export interface VocabJSON {
  format: string;
  /** Index = id; index 0 is the unknown symbol's display name. */
  symbols: string[];
}

/** Counts code points; BMP characters in a flat array (fast), astral ones in a map. */
export class SymbolCounter {
  readonly bmp = new Float64Array(0x10000);
  readonly astral = new Map<number, number>();
  total = 0;

  add(text: string): void {
    const bmp = this.bmp;
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
        const cp = text.codePointAt(i)!;
        if (cp > 0xffff) {
          this.astral.set(cp, (this.astral.get(cp) ?? 0) + 1);
          i++;
          n++;
          continue;
        }
      }
      bmp[code]++;
      n++;
    }
    this.total += n;
  }

  /** [code point, count] for every symbol seen. */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let cp = 0; cp < this.bmp.length; cp++) if (this.bmp[cp] > 0) out.push([cp, this.bmp[cp]]);
    for (const entry of this.astral) out.push(entry);
    return out;
  }
}

export class Vocabulary {
  private readonly bmpIds: Int32Array;
  private readonly astralIds = new Map<number, number>();

  private constructor(readonly symbols: readonly string[]) {
    this.bmpIds = new Int32Array(0x10000).fill(UNKNOWN_ID);
    for (let id = 1; id < symbols.length; id++) {
      const cp = symbols[id].codePointAt(0)!;
      if (cp > 0xffff) this.astralIds.set(cp, id);
      else this.bmpIds[cp] = id;
    }
  }

  /** The `maxVocab - 1` most frequent symbols (ties by code point), after ⟨unk⟩. */
  static fromCounts(counter: SymbolCounter, maxVocab: number): Vocabulary {
    if (!Number.isInteger(maxVocab) || maxVocab < 2 || maxVocab > 0xffff) throw new RangeError(`maxVocab must be an integer in 2..65535 (got ${maxVocab})`);
    const kept = counter.entries()
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, maxVocab - 1)
      .map(([cp]) => String.fromCodePoint(cp));
    return new Vocabulary([UNKNOWN_SYMBOL, ...kept]);
  }

  static fromText(text: string, maxVocab: number): Vocabulary {
    const counter = new SymbolCounter();
    counter.add(text);
    return Vocabulary.fromCounts(counter, maxVocab);
  }

  static fromJSON(json: unknown): Vocabulary {
    const j = json as Partial<VocabJSON> | null;
    if (!j || j.format !== VOCAB_FORMAT || !Array.isArray(j.symbols) || j.symbols.length < 2 || j.symbols[0] !== UNKNOWN_SYMBOL) {
      throw new UserInputError('the vocabulary in this checkpoint is missing or malformed.');
    }
    const seen = new Set<string>();
    for (let id = 1; id < j.symbols.length; id++) {
      const s = j.symbols[id];
      if (typeof s !== 'string' || s.length === 0 || [...s].length !== 1 || seen.has(s)) {
        throw new UserInputError(`the vocabulary in this checkpoint has a bad symbol at id ${id}.`);
      }
      seen.add(s);
    }
    return new Vocabulary(j.symbols);
  }

  toJSON(): VocabJSON {
    return { format: VOCAB_FORMAT, symbols: [...this.symbols] };
  }

  get size(): number {
    return this.symbols.length;
  }

  idOfCodePoint(cp: number): number {
    return cp > 0xffff ? this.astralIds.get(cp) ?? UNKNOWN_ID : this.bmpIds[cp];
  }

  /** Allocates the id array for `length` symbols: one byte each when the vocabulary allows. */
  allocateIds(length: number): IdArray {
    return this.size <= 256 ? new Uint8Array(length) : new Uint16Array(length);
  }

  /** Writes the ids of `text` into `out` from `offset`; returns the offset after the last one. */
  encodeInto(text: string, out: IdArray | Int32Array, offset: number): number {
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
    const out = new Int32Array(text.length);
    return out.subarray(0, this.encodeInto(text, out, 0));
  }

  symbolOf(id: number): string {
    return this.symbols[id];
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.symbols[ids[i]];
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
