/**
 * A corpus: the text as token ids (one byte per token for vocabularies of up to 256 symbols) and,
 * in lines mode, where each line starts. Character streams are built by two streaming passes over
 * a file (count symbols, then encode), so the decoded text is never held as a whole; words and
 * lines need the text's structure and read it whole (up to MAX_STRUCTURED_TEXT_BYTES).
 */
import { basename } from 'node:path';
import type { TrainConfig } from '../config/settings';
import { UserInputError } from '../text/errors';
import { normaliseText, readTextChunks } from '../text/read';
import { CharTokenizer, codePointLength, SymbolCounter, type VocabularyOptions } from './charTokenizer';
import { allocateIds, type IdArray, type Tokenizer, type TokenKind } from './tokenizer';
import { formatWordReport, splitWords, WordCounter, WordTokenizer, type WordReport } from './wordTokenizer';

export interface Corpus {
  tokenizer: Tokenizer;
  /** Every token of the text; in lines mode the kept lines' tokens back to back (no start / end symbols). */
  ids: IdArray;
  /** Lines mode only: line k is ids[lineStarts[k], lineStarts[k + 1]). */
  lineStarts?: Int32Array;
  name: string;
  /** Characters (code points) in the text. */
  charCount: number;
  /** Things the reader changed or decided that the user should know about (CRLF, rare symbols, skipped lines). */
  notes: string[];
  /** Word tokens: seed 003's report on the vocabulary. */
  wordReport?: WordReport;
  /**
   * Where the validation text begins (a token index; in lines mode the start of a line) when it is a
   * separate file appended to the training text (see validationFile.ts); absent: the split is by valFraction.
   */
  validationFrom?: number;
}

export interface CorpusOptions {
  maxVocab: number;
  name?: string;
  tokens?: TokenKind;
  lowercase?: boolean;
  vocabOrder?: TrainConfig['vocabOrder'];
  mode?: TrainConfig['mode'];
  /** Lines mode: keep at most this many lines (0 = all). */
  maxLines?: number;
  /** Lines mode: skip lines of more tokens than this (0 = no cap). */
  maxLineLength?: number;
  /** Encode with this tokenizer (a checkpoint's) instead of building a vocabulary from the text. */
  tokenizer?: Tokenizer;
}

/** Word and lines corpora hold the text in memory while they are built. */
export const MAX_STRUCTURED_TEXT_BYTES = 256 * 1024 * 1024;
/**
 * Lines mode pads every batch to its longest line, so one enormous line (a file with no line
 * structure and no sentence ends) would make every step huge. Without a cap, longer lines are refused.
 */
export const LONGEST_UNCAPPED_LINE = 5000;

function vocabularyOptions(options: CorpusOptions): VocabularyOptions {
  return { framed: options.mode === 'lines', order: options.vocabOrder ?? 'frequency', lowercase: options.lowercase ?? false };
}

function charNotes(crlf: number, replaced: number, counter: SymbolCounter, tokenizer: CharTokenizer): string[] {
  const notes: string[] = [];
  if (crlf > 0) notes.push(`normalised ${crlf} CRLF line ends to LF`);
  if (replaced > 0) notes.push(`${replaced} invalid UTF-8 byte sequences were replaced with U+FFFD`);
  const distinct = counter.entries().length;
  const textSymbols = tokenizer.size - (tokenizer.framed ? 3 : 1);
  if (distinct > textSymbols) notes.push(`${distinct - textSymbols} rare characters map to the unknown symbol (vocabulary capped at ${tokenizer.size})`);
  return notes;
}

function assertHasText(text: string | SymbolCounter, name: string): void {
  const empty = typeof text === 'string' ? text.length === 0 : text.total === 0;
  if (empty) throw new UserInputError(`${name} is empty; give a text file with some content.`);
  const visible = typeof text === 'string' ? /\S/u.test(text) : text.entries().some(([cp]) => !/\s/u.test(String.fromCodePoint(cp)));
  if (!visible) throw new UserInputError(`${name} contains only whitespace; give a text file with some content.`);
}

export async function readCorpusFromFile(path: string, options: CorpusOptions): Promise<Corpus> {
  const name = options.name ?? basename(path);
  // An empty file is named by the path as given, like a missing or unreadable one.
  const subject = options.name ?? path;
  if ((options.tokens ?? 'char') !== 'char' || options.mode === 'lines' || (options.tokenizer && options.tokenizer.kind !== 'char')) {
    let text = '';
    let crlf = 0;
    const report = await readTextChunks(path, (chunk) => {
      if (text.length + chunk.length > MAX_STRUCTURED_TEXT_BYTES) {
        throw new UserInputError(`${name} is too large for word tokens or lines mode (over ${MAX_STRUCTURED_TEXT_BYTES / 2 ** 20} MiB of text); train on a part of it, or use characters in stream mode.`);
      }
      text += chunk;
    });
    crlf = report.crlfNormalised;
    assertHasText(text, subject);
    const corpus = corpusFromText(text, { ...options, name });
    if (crlf > 0) corpus.notes.unshift(`normalised ${crlf} CRLF line ends to LF`);
    return corpus;
  }
  const counter = new SymbolCounter();
  const lower = options.lowercase ?? false;
  const first = await readTextChunks(path, (chunk) => counter.add(lower ? chunk.toLowerCase() : chunk));
  assertHasText(counter, subject);
  const tokenizer = (options.tokenizer as CharTokenizer | undefined) ?? CharTokenizer.fromCounts(counter, options.maxVocab, vocabularyOptions(options));
  const ids = tokenizer.allocateIds(counter.total);
  let offset = 0;
  await readTextChunks(path, (chunk) => {
    // Writes past the end of a typed array are dropped, so a file that grew in between cannot overflow it.
    offset = tokenizer.encodeInto(chunk, ids, offset);
  });
  if (offset !== ids.length) throw new UserInputError(`${name} changed while it was being read; try again.`);
  return { tokenizer, ids, name, charCount: ids.length, notes: charNotes(first.crlfNormalised, first.replacementChars, counter, tokenizer) };
}

export function corpusFromText(rawText: string, options: CorpusOptions): Corpus {
  const name = options.name ?? 'text';
  const normalised = normaliseText(rawText);
  assertHasText(normalised.text, name);
  const text = options.lowercase ? normalised.text.toLowerCase() : normalised.text;
  const crlfNotes = normalised.crlfNormalised > 0 ? [`normalised ${normalised.crlfNormalised} CRLF line ends to LF`] : [];
  const charCount = codePointLength(normalised.text);
  if (options.mode === 'lines') return linesCorpus(text, charCount, name, options, crlfNotes);
  if ((options.tokenizer?.kind ?? options.tokens ?? 'char') === 'word') {
    const counter = new WordCounter(options.lowercase ?? false);
    if (!options.tokenizer) counter.add(text);
    const tokenizer = options.tokenizer ?? wordTokenizer(counter, options, 0, name);
    const encoded = tokenizer.encode(text);
    const ids = allocateIds(tokenizer.size, encoded.length);
    ids.set(encoded);
    const wordReport = (tokenizer as WordTokenizer).report;
    return { tokenizer, ids, name, charCount, notes: [...crlfNotes, ...(wordReport ? [formatWordReport(wordReport)] : [])], wordReport };
  }
  const counter = new SymbolCounter();
  counter.add(text);
  const tokenizer = (options.tokenizer as CharTokenizer | undefined) ?? CharTokenizer.fromCounts(counter, options.maxVocab, vocabularyOptions(options));
  const ids = tokenizer.allocateIds(counter.total);
  tokenizer.encodeInto(text, ids, 0);
  return { tokenizer, ids, name, charCount, notes: [...crlfNotes, ...charNotes(0, 0, counter, tokenizer)] };
}

function wordTokenizer(counter: WordCounter, options: CorpusOptions, sentences: number, name: string): WordTokenizer {
  if (counter.counts.size === 0) throw new UserInputError(`${name} has no words to learn (word tokens need letters, digits or punctuation).`);
  const tokenizer = WordTokenizer.fromCounts(counter, options.maxVocab, vocabularyOptions(options), sentences);
  return tokenizer;
}

/**
 * The text's units for lines mode: its lines when it has line structure (most lines end a
 * sentence, or sentence ends rarely fall inside a line: captions, one sentence per line), else its
 * sentences (prose wrapped at a fixed width, or one long line), split after . ! or ?.
 */
export function splitUnits(text: string): { units: string[]; by: 'line' | 'sentence' } {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const sentenceEnd = /[.!?]["'”’)\]]*$/u;
  const midLineEnds = lines.reduce((n, l) => n + (l.match(/[.!?]["'”’)\]]*\s+\S/gu)?.length ?? 0), 0);
  const endingLines = lines.filter((l) => sentenceEnd.test(l)).length;
  if (lines.length >= 2 && (endingLines >= lines.length / 2 || midLineEnds < lines.length / 10)) return { units: lines, by: 'line' };
  const units = text.replace(/\s+/gu, ' ').split(/(?<=[.!?]["'”’)\]]*)\s+/u).map((s) => s.trim()).filter((s) => s.length > 0);
  return { units, by: 'sentence' };
}

function linesCorpus(text: string, charCount: number, name: string, options: CorpusOptions, notes: string[]): Corpus {
  const word = (options.tokenizer?.kind ?? options.tokens ?? 'char') === 'word';
  const { units, by } = splitUnits(text);
  const tokenLength = (u: string) => (word ? splitWords(u).length : codePointLength(u));
  const cap = options.maxLineLength ?? 0;
  let kept = units.filter((u) => tokenLength(u) > 0);
  const unit = by === 'line' ? 'line' : 'sentence';
  const symbol = word ? 'words' : 'characters';
  if (cap > 0) {
    const before = kept.length;
    kept = kept.filter((u) => tokenLength(u) <= cap);
    if (kept.length < before) notes.push(`skipped ${before - kept.length} of ${before} ${unit}s longer than ${cap} ${symbol} (maxLineLength)`);
    if (kept.length === 0) {
      throw new UserInputError(
        `every ${unit} of ${name} is longer than the line length cap ({setting}) of ${cap} ${symbol}; raise the cap or use stream mode.`,
        { key: 'maxLineLength' },
      );
    }
  } else {
    const longest = kept.reduce((m, u, i) => (tokenLength(u) > m.n ? { n: tokenLength(u), i } : m), { n: 0, i: -1 });
    if (longest.n > LONGEST_UNCAPPED_LINE) {
      throw new UserInputError(
        `${name} has a ${unit} of ${longest.n.toLocaleString('en-US')} ${symbol} (${unit} ${longest.i + 1}); lines mode pads every batch to its longest ${unit}, ` +
        `so cap the line length ({setting}), try {suggestion}, to skip longer ones, or use stream mode.`,
        { key: 'maxLineLength', suggestion: 500 },
      );
    }
  }
  const maxLines = options.maxLines ?? 0;
  if (maxLines > 0 && kept.length > maxLines) {
    notes.push(`kept the first ${maxLines} of ${kept.length} ${unit}s (maxLines)`);
    kept = kept.slice(0, maxLines);
  }
  notes.unshift(`lines mode: ${kept.length} ${unit}s (${by === 'line' ? 'one per line' : 'the text has no line structure, so one per sentence'})`);
  let tokenizer: Tokenizer;
  let wordReport: WordReport | undefined;
  if (options.tokenizer) {
    tokenizer = options.tokenizer;
  } else if (word) {
    const counter = new WordCounter(options.lowercase ?? false);
    for (const u of kept) counter.add(u);
    const t = wordTokenizer(counter, options, kept.length, name);
    wordReport = t.report;
    notes.push(formatWordReport(t.report!));
    tokenizer = t;
  } else {
    const counter = new SymbolCounter();
    for (const u of kept) counter.add(u);
    const t = CharTokenizer.fromCounts(counter, options.maxVocab, vocabularyOptions(options));
    notes.push(...charNotes(0, 0, counter, t));
    tokenizer = t;
  }
  const encoded = kept.map((u) => tokenizer.encode(u));
  const total = encoded.reduce((n, e) => n + e.length, 0);
  const ids = allocateIds(tokenizer.size, total);
  const lineStarts = new Int32Array(encoded.length + 1);
  let offset = 0;
  encoded.forEach((e, k) => {
    ids.set(e, offset);
    offset += e.length;
    lineStarts[k + 1] = offset;
  });
  return { tokenizer, ids, lineStarts, name, charCount, notes, wordReport };
}
