/**
 * A corpus: the whole text as one id per character (one byte per character for vocabularies of
 * up to 256 symbols), built by two streaming passes over a file: count symbols, then encode.
 * The decoded text is never held as a whole; peak memory is about the id array plus one chunk.
 */
import { basename } from 'node:path';
import { normaliseText, readTextChunks } from './read';
import { SymbolCounter, Vocabulary, type IdArray } from './vocab';
import { UserInputError } from './errors';

export interface Corpus {
  vocab: Vocabulary;
  ids: IdArray;
  name: string;
  /** Characters (code points) in the text. */
  charCount: number;
  /** Things the reader changed that the user should know about (CRLF, invalid bytes, rare chars). */
  notes: string[];
}

export interface CorpusOptions {
  maxVocab: number;
  name?: string;
}

function notesFor(crlf: number, replaced: number, counter: SymbolCounter, vocab: Vocabulary): string[] {
  const notes: string[] = [];
  if (crlf > 0) notes.push(`normalised ${crlf} CRLF line ends to LF`);
  if (replaced > 0) notes.push(`${replaced} invalid UTF-8 byte sequences were replaced with U+FFFD`);
  const distinct = counter.entries().length;
  if (distinct > vocab.size - 1) notes.push(`${distinct - (vocab.size - 1)} rare characters map to the unknown symbol (vocabulary capped at ${vocab.size})`);
  return notes;
}

function assertHasText(counter: SymbolCounter, name: string): void {
  if (counter.total === 0) throw new UserInputError(`${name} is empty; give a text file with some content.`);
  const visible = counter.entries().some(([cp]) => !/\s/u.test(String.fromCodePoint(cp)));
  if (!visible) throw new UserInputError(`${name} contains only whitespace; give a text file with some content.`);
}

export async function readCorpusFromFile(path: string, options: CorpusOptions): Promise<Corpus> {
  const name = options.name ?? basename(path);
  const counter = new SymbolCounter();
  const first = await readTextChunks(path, (chunk) => counter.add(chunk));
  assertHasText(counter, name);
  const vocab = Vocabulary.fromCounts(counter, options.maxVocab);
  const ids = vocab.allocateIds(counter.total);
  let offset = 0;
  await readTextChunks(path, (chunk) => {
    // Writes past the end of a typed array are dropped, so a file that grew in between cannot overflow it.
    offset = vocab.encodeInto(chunk, ids, offset);
  });
  if (offset !== ids.length) throw new UserInputError(`${name} changed while it was being read; try again.`);
  return { vocab, ids, name, charCount: ids.length, notes: notesFor(first.crlfNormalised, first.replacementChars, counter, vocab) };
}

export function corpusFromText(text: string, options: CorpusOptions): Corpus {
  const name = options.name ?? 'text';
  const normalised = normaliseText(text);
  const counter = new SymbolCounter();
  counter.add(normalised.text);
  assertHasText(counter, name);
  const vocab = Vocabulary.fromCounts(counter, options.maxVocab);
  const ids = vocab.allocateIds(counter.total);
  vocab.encodeInto(normalised.text, ids, 0);
  return { vocab, ids, name, charCount: ids.length, notes: notesFor(normalised.crlfNormalised, 0, counter, vocab) };
}
