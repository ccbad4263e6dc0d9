/**
 * Word tokens, as seed 003 prepares reddit comments: the text is split on whitespace and
 * punctuation, each punctuation mark is a token of its own, and a contraction's tail keeps its
 * apostrophe ("i'm" -> "i", "'m"); optionally lowercased. The vocabulary keeps the most frequent
 * words (ties: first appearance) up to the cap; every other word is UNKNOWN_TOKEN (id 0). Framed
 * vocabularies (lines mode) add SENTENCE_START and SENTENCE_END at ids 1 and 2.
 * Decoding joins words with spaces and closes the space before punctuation.
 */
import { UserInputError } from '../text/errors';
import { assertVocabularyCap, specialCount, type VocabularyOptions } from './charTokenizer';
import { END_ID, START_ID, UNKNOWN_ID, type Tokenizer, type TokenizerJSON } from './tokenizer';

export const UNKNOWN_TOKEN = 'UNKNOWN_TOKEN';
export const SENTENCE_START = 'SENTENCE_START';
export const SENTENCE_END = 'SENTENCE_END';
const TOKENIZER_FORMAT = 'rnn-lab-tokenizer/1';

/** A contraction's tail ('m, 're, 's), a run of letters and digits, or any other single non-space character. */
const TOKEN_PATTERN = /'[\p{L}\p{N}]+|[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;

export function splitWords(text: string): string[] {
  return text.match(TOKEN_PATTERN) ?? [];
}

/** Tokens written without a space before them: closing punctuation and contraction tails. */
const NO_SPACE_BEFORE = /^(?:[.,!?;:%)\]}]|'[\p{L}\p{N}]+|n't)$/u;
/** Tokens after which no space is written: opening brackets. */
const NO_SPACE_AFTER = /^[([{]$/;

/** What seed 003 prints about its vocabulary. */
export interface WordReport {
  /** Lines or sentences read (lines mode), else 0. */
  sentences: number;
  uniqueTokens: number;
  vocabularySize: number;
  leastFrequentWord: string;
  leastFrequentCount: number;
}

export function formatWordReport(r: WordReport): string {
  return (r.sentences > 0 ? `Parsed ${r.sentences} sentences. ` : '') +
    `Found ${r.uniqueTokens} unique word tokens. Using vocabulary size ${r.vocabularySize}. ` +
    `Least frequent word in vocabulary: '${r.leastFrequentWord}', which appeared ${r.leastFrequentCount} times.`;
}

/** Counts words and remembers their first appearance. */
export class WordCounter {
  readonly counts = new Map<string, number>();
  constructor(readonly lowercase: boolean) {}

  add(text: string): void {
    for (const w of splitWords(this.lowercase ? text.toLowerCase() : text)) this.counts.set(w, (this.counts.get(w) ?? 0) + 1);
  }
}

export class WordTokenizer implements Tokenizer {
  readonly kind = 'word' as const;
  readonly unknownId = UNKNOWN_ID;
  readonly startId: number;
  readonly endId: number;
  private readonly ids = new Map<string, number>();

  private constructor(readonly symbols: readonly string[], readonly framed: boolean, readonly lowercase: boolean, readonly report?: WordReport) {
    this.startId = framed ? START_ID : -1;
    this.endId = framed ? END_ID : -1;
    for (let id = specialCount(framed); id < symbols.length; id++) this.ids.set(symbols[id], id);
  }

  /** The specials, then the `maxVocab - specials` most frequent words (ties: first appearance, or all by first appearance). */
  static fromCounts(counter: WordCounter, maxVocab: number, options: VocabularyOptions = {}, sentences = 0): WordTokenizer {
    const framed = options.framed ?? false;
    assertVocabularyCap(maxVocab, framed);
    // Map iteration follows insertion, i.e. first appearance; the sort is stable.
    const entries = [...counter.counts];
    if ((options.order ?? 'frequency') === 'frequency') entries.sort((a, b) => b[1] - a[1]);
    const kept = entries.slice(0, maxVocab - specialCount(framed));
    if (kept.length === 0) throw new UserInputError('the text has no words to learn.');
    const least = kept.reduce((min, e) => (e[1] <= min[1] ? e : min), kept[0]);
    const specials = framed ? [UNKNOWN_TOKEN, SENTENCE_START, SENTENCE_END] : [UNKNOWN_TOKEN];
    const symbols = [...specials, ...kept.map(([w]) => w)];
    const report: WordReport = {
      sentences, uniqueTokens: entries.length, vocabularySize: symbols.length, leastFrequentWord: least[0], leastFrequentCount: least[1],
    };
    return new WordTokenizer(symbols, framed, counter.lowercase, report);
  }

  static fromText(text: string, maxVocab: number, options: VocabularyOptions = {}): WordTokenizer {
    const counter = new WordCounter(options.lowercase ?? false);
    counter.add(text);
    return WordTokenizer.fromCounts(counter, maxVocab, options);
  }

  static fromJSON(json: unknown): WordTokenizer {
    const j = json as Partial<TokenizerJSON> | null;
    const framed = j?.framed === true;
    const specials = framed ? [UNKNOWN_TOKEN, SENTENCE_START, SENTENCE_END] : [UNKNOWN_TOKEN];
    if (!j || j.format !== TOKENIZER_FORMAT || !Array.isArray(j.symbols) || j.symbols.length <= specials.length ||
        specials.some((s, i) => j.symbols![i] !== s)) {
      throw new UserInputError('the word vocabulary in this checkpoint is missing or malformed.');
    }
    const seen = new Set<string>();
    for (let id = specials.length; id < j.symbols.length; id++) {
      const s = j.symbols[id];
      if (typeof s !== 'string' || s.length === 0 || /\s/.test(s) || seen.has(s)) throw new UserInputError(`the word vocabulary in this checkpoint has a bad word at id ${id}.`);
      seen.add(s);
    }
    return new WordTokenizer(j.symbols, framed, j.lowercase === true);
  }

  toJSON(): TokenizerJSON {
    return { format: TOKENIZER_FORMAT, kind: 'word', symbols: [...this.symbols], framed: this.framed, lowercase: this.lowercase };
  }

  get size(): number {
    return this.symbols.length;
  }

  idOf(token: string): number {
    return this.ids.get(this.lowercase ? token.toLowerCase() : token) ?? UNKNOWN_ID;
  }

  encode(text: string): Int32Array {
    const words = splitWords(this.lowercase ? text.toLowerCase() : text);
    const out = new Int32Array(words.length);
    for (let i = 0; i < words.length; i++) out[i] = this.ids.get(words[i]) ?? UNKNOWN_ID;
    return out;
  }

  symbolOf(id: number): string {
    return this.symbols[id];
  }

  /** "word word, word." -- words joined by spaces except before closing punctuation; a sentence end starts a new line. */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    let noSpace = true; // at the start, after a newline or an opening bracket
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === this.startId) continue;
      if (id === this.endId) {
        s += '\n';
        noSpace = true;
        continue;
      }
      const word = this.symbols[id];
      if (!noSpace && !NO_SPACE_BEFORE.test(word)) s += ' ';
      s += word;
      noSpace = NO_SPACE_AFTER.test(word);
    }
    return s;
  }
}

/** A generated continuation appended to the text it continues (words need a space between them). */
export function appendContinuation(tokenizer: Tokenizer, prime: string, continuation: string): string {
  if (tokenizer.kind !== 'word' || prime === '' || continuation === '' || /\s$/.test(prime) || /^\s/.test(continuation)) return prime + continuation;
  const first = splitWords(continuation)[0] ?? '';
  return NO_SPACE_BEFORE.test(first) ? prime + continuation : `${prime} ${continuation}`;
}
