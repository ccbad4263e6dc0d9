/**
 * One "load weights" call for every consumer (CLI, trainer, extension): an RNN Lab checkpoint, a
 * Keras HDF5 weights file or a PyTorch folder (what `export --pytorch` and its train.py write) becomes a spec, canonical parameters and a tokenizer, so a model from
 * Keras is used exactly like a checkpoint.
 *
 * A Keras model numbers its symbols its own way (seed 004: characters by first appearance, then S
 * and E), while our character tokenizer reserves the low ids (⟨unk⟩ 0, ⟨s⟩ 1, ⟨/s⟩ 2). The loader
 * renumbers the model instead of the tokenizer: it permutes the rows of the input weights and the
 * columns of the output layer, which computes exactly the same function. A Keras vocabulary has no
 * unknown symbol, so one is added with a zero input row and an output that is never predicted
 * (its bias is -1e4, so its probability is exp(-1e4) = 0): characters outside the vocabulary then
 * read as "nothing" instead of failing.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { FloatArray } from '../../tensor';
import { CharTokenizer, END_SYMBOL, START_SYMBOL, UNKNOWN_SYMBOL } from '../../data/charTokenizer';
import { tokenizerFromJSON, type Tokenizer } from '../../data/tokenizer';
import { UserInputError, unreadableFile } from '../../text/errors';
import { assertReadableFile } from '../../text/file';
import { loadCheckpoint, usableParams, type Checkpoint } from './checkpoint';
import { defaultTrainConfig } from '../../config/settings';
import { paramLayout, type HiddenActivation, type ModelSpec } from '../spec';
import { looksLikeHdf5, readHdf5 } from './hdf5';
import { kerasModelFromTree, type GateActivation, type KerasLayoutName } from './keras';
import { isFolder, loadPytorchFolder } from './pytorch';

export interface LoadOptions {
  /** A vocabulary file: a JSON list of symbols in id order (or RNN Lab's vocabulary JSON). */
  vocab?: string;
  /** Build the vocabulary as seed 004 does: characters of this text file by first appearance, then S and E. */
  vocabText?: string;
  hiddenActivation?: HiddenActivation;
  gruResetAfter?: boolean;
  recurrentActivation?: GateActivation;
}

export interface LoadedModel {
  kind: 'checkpoint' | 'keras' | 'pytorch';
  path: string;
  spec: ModelSpec;
  /** Canonical layout (model/spec.ts). */
  params: FloatArray;
  tokenizer: Tokenizer;
  /** Assumptions the loader made (Keras files that do not record everything), for the user. */
  notes: string[];
  /** The checkpoint, when the file is one (training settings, history). */
  checkpoint?: Checkpoint;
  kerasLayout?: KerasLayoutName;
  /** Where the vocabulary came from (a file path, the text file, or "the weights file"). */
  vocabSource?: string;
}

/** A Keras file that carries no vocabulary, and none was given: the caller should ask for one. */
export class VocabularyNeededError extends UserInputError {
  readonly needsVocabulary = true;
  constructor(path: string) {
    super(`${path} carries no vocabulary: give one with --vocab FILE (a JSON list of the symbols in id order) or --vocab-text FILE (the training text, read as seed 004 builds its vocabulary).`);
  }
}

/** Where `rnn-lab export` puts the vocabulary of `out.h5`: `out.vocab.json`. */
export function vocabPathBeside(weightsPath: string): string {
  return join(dirname(weightsPath), `${basename(weightsPath, extname(weightsPath))}.vocab.json`);
}

/** What a weights file is, from its first bytes. */
export type WeightsFormat = 'hdf5' | 'checkpoint' | 'zip' | 'other';

/** Reads 64 bytes, so any size is fine here: each format's reader applies its own limit. */
export async function weightsFormatOf(path: string): Promise<WeightsFormat> {
  await assertReadableFile(path, '', Infinity);
  const { open } = await import('node:fs/promises');
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw unreadableFile(path, error);
  }
  try {
    const head = new Uint8Array(64);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (looksLikeHdf5(head)) return 'hdf5';
    // A .keras file is a zip archive ("PK\x03\x04").
    if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip';
    // A checkpoint: format 3 is safetensors (an 8-byte header length, then the JSON header), 1 and 2 are JSON.
    if (bytesRead > 8 && head[8] === 0x7b) return 'checkpoint';
    const text = new TextDecoder().decode(head.subarray(0, bytesRead)).replace(/^\uFEFF/, '').trimStart();
    return text.startsWith('{') ? 'checkpoint' : 'other';
  } finally {
    await handle.close();
  }
}

/** The message for a file that is neither of the formats read, saying what it is when that is known. */
export function unreadableWeights(path: string, format: WeightsFormat, expected: 'any' | 'hdf5'): UserInputError {
  if (format === 'zip') {
    return new UserInputError(`${path} is a zip archive (a Keras 3 .keras file?), not an HDF5 weights file: save the weights as HDF5 with tf.keras 2 (model.save_weights("weights.h5")) and give that file.`);
  }
  return new UserInputError(expected === 'hdf5'
    ? `${path} is not an HDF5 file (Keras weights start with the HDF5 signature).`
    : `${path} is neither an RNN Lab checkpoint nor an HDF5 file (Keras weights).`);
}

/** A vocabulary lists at most a few hundred thousand symbols. */
const MAX_VOCABULARY_BYTES = 64 * 1024 * 1024;
/** The longest text read whole into one string (V8 strings stop at about 512 MiB). */
const MAX_TEXT_BYTES_AS_STRING = 256 * 1024 * 1024;

/** Loads a checkpoint or a Keras weights file (told apart by content, not by name), or a PyTorch folder (pytorch.ts). */
export async function loadWeights(path: string, options: LoadOptions = {}): Promise<LoadedModel> {
  if (await isFolder(path)) return loadPytorchFolder(path);
  const format = await weightsFormatOf(path);
  if (format === 'zip' || format === 'other') throw unreadableWeights(path, format, 'any');
  if (format === 'checkpoint') {
    // The best weights of the run when the checkpoint has them, and nothing else: no optimizer state.
    const checkpoint = await loadCheckpoint(path, { weightsOnly: true });
    return { kind: 'checkpoint', path, spec: checkpoint.spec, params: usableParams(checkpoint), tokenizer: checkpoint.tokenizer, notes: [], checkpoint };
  }
  const tree = await readHdf5(path);
  const model = kerasModelFromTree(path, tree, options);
  if (model.tokenizer !== undefined && !options.vocab && !options.vocabText) {
    // RNN Lab's export of a word-level model: the tokenizer travels in the file, in the model's own id order.
    const tokenizer = tokenizerFromJSON(model.tokenizer);
    if (tokenizer.size !== model.spec.vocabSize) {
      throw new UserInputError(`the tokenizer stored in ${path} has ${tokenizer.size} symbols but the model has ${model.spec.vocabSize} outputs: the file is inconsistent.`);
    }
    return { kind: 'keras', path, spec: model.spec, params: Float64Array.from(model.params), tokenizer, notes: model.notes, kerasLayout: model.layout, vocabSource: `${path} (its rnn_lab_tokenizer attribute)` };
  }
  let vocab: KerasVocabulary;
  let vocabSource: string;
  if (options.vocab) {
    vocab = vocabularyFromList(await readJson(options.vocab), options.vocab);
    vocabSource = options.vocab;
  } else if (options.vocabText) {
    vocab = await seed004Vocabulary(options.vocabText);
    vocabSource = options.vocabText;
  } else if (model.vocabulary) {
    vocabSource = `${path} (its rnn_lab_vocabulary attribute)`;
    vocab = vocabularyFromList(model.vocabulary, vocabSource);
  } else {
    const beside = vocabPathBeside(path);
    const found = await readJson(beside).catch(() => undefined);
    if (found === undefined) throw new VocabularyNeededError(path);
    vocab = vocabularyFromList(found, beside);
    vocabSource = beside;
  }
  if (vocab.symbols.length !== model.spec.vocabSize) {
    throw new UserInputError(`the vocabulary from ${vocabSource} has ${vocab.symbols.length} symbols but ${path} has ${model.spec.vocabSize} outputs (and inputs): it is not this model's vocabulary.`);
  }
  const renumbered = renumber(model.spec, model.params, vocab);
  return { kind: 'keras', path, spec: renumbered.spec, params: renumbered.params, tokenizer: renumbered.tokenizer, notes: model.notes, kerasLayout: model.layout, vocabSource };
}

/** A vocabulary in the model's own id order: one character per id, and which ids are special. */
export interface KerasVocabulary {
  symbols: string[];
  unknown: number;
  start: number;
  end: number;
}

/**
 * The model with our ids: ⟨unk⟩ (added when the vocabulary has none), then ⟨s⟩ and ⟨/s⟩ when it
 * has them, then its characters in its order. Input rows and output columns move with their symbols.
 */
export function renumber(spec: ModelSpec, params: FloatArray, vocab: KerasVocabulary): { spec: ModelSpec; params: Float64Array; tokenizer: Tokenizer } {
  const framed = vocab.start >= 0 && vocab.end >= 0;
  const special = new Set([vocab.unknown, vocab.start, vocab.end]);
  /** theirs[ourId] = the model's id, or -1 for the added ⟨unk⟩. */
  const theirs = [vocab.unknown, ...(framed ? [vocab.start, vocab.end] : [])];
  for (let id = 0; id < vocab.symbols.length; id++) if (!special.has(id)) theirs.push(id);
  const ourSymbols = [UNKNOWN_SYMBOL, ...(framed ? [START_SYMBOL, END_SYMBOL] : []), ...theirs.slice(framed ? 3 : 1).map((id) => vocab.symbols[id])];
  const tokenizer = CharTokenizer.fromJSON({ format: 'rnn-lab-tokenizer/1', kind: 'char', symbols: ourSymbols, framed, lowercase: false });
  const V = ourSymbols.length;
  const ourSpec: ModelSpec = { ...spec, vocabSize: V };
  const from = paramLayout(spec);
  const to = paramLayout(ourSpec);
  const out = new Float64Array(to.total);
  for (const slot of to.slots) {
    const src = from.byName.get(slot.name)!;
    const rowsBySymbol = slot.name === 'embedding' || (slot.name === 'l0.kernel' && spec.embeddingSize === 0);
    if (rowsBySymbol) {
      const width = slot.shape[1];
      theirs.forEach((t, ours) => {
        if (t >= 0) out.set(params.subarray(src.offset + t * width, src.offset + (t + 1) * width), slot.offset + ours * width);
      });
    } else if (slot.name === 'output.kernel') {
      const rows = slot.shape[0];
      const oldV = spec.vocabSize;
      for (let r = 0; r < rows; r++) theirs.forEach((t, ours) => (out[slot.offset + r * V + ours] = t >= 0 ? params[src.offset + r * oldV + t] : 0));
    } else if (slot.name === 'output.bias') {
      // The added ⟨unk⟩ is never predicted: exp(-1e4) is 0 even in float64.
      theirs.forEach((t, ours) => (out[slot.offset + ours] = t >= 0 ? params[src.offset + t] : -1e4));
    } else {
      out.set(params.subarray(src.offset, src.offset + src.size), slot.offset);
    }
  }
  return { spec: ourSpec, params: out, tokenizer };
}

/**
 * The model as a checkpoint, for every consumer that takes one (an opened model, the Lab): a Keras
 * model gets the default settings with its own architecture, no history, and step 0.
 */
export function asCheckpoint(model: LoadedModel): Checkpoint {
  if (model.checkpoint) return model.checkpoint;
  const { spec } = model;
  const framed = model.tokenizer.startId >= 0;
  return {
    // No training state: such a model can be sampled or trained from (--init-from), not resumed.
    version: 1,
    sourceName: basename(model.path),
    step: 0,
    bestValLoss: Infinity,
    createdAt: '',
    spec,
    config: {
      ...defaultTrainConfig,
      cell: spec.cell, hiddenSize: spec.hiddenSize, layers: spec.layers, embeddingSize: spec.embeddingSize, dropout: 0,
      hiddenDense: spec.hiddenDense, hiddenActivation: spec.hiddenActivation, tokens: model.tokenizer.kind, mode: framed ? 'lines' : 'stream',
      maxVocab: Math.max(defaultTrainConfig.maxVocab, model.tokenizer.size),
    },
    tokenizer: model.tokenizer,
    params: Float32Array.from(model.params),
    trainHistory: [],
    valHistory: [],
  };
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  await assertReadableFile(path, 'the vocabulary', MAX_VOCABULARY_BYTES);
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw unreadableFile(path, error, 'the vocabulary');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UserInputError(`the vocabulary ${path} is not JSON (expected a list of symbols in id order).`);
  }
}

/**
 * A JSON list of symbols in id order (or RNN Lab's `{ symbols: [...] }`). ⟨unk⟩, ⟨s⟩ and ⟨/s⟩
 * are the reserved symbols; a list that ends with "S", "E" and has neither earlier follows seed
 * 004, whose last two ids are its start and end symbols.
 */
export function vocabularyFromList(json: unknown, source: string): KerasVocabulary {
  const list = Array.isArray(json) ? json : Array.isArray((json as { symbols?: unknown } | null)?.symbols) ? (json as { symbols: unknown[] }).symbols : undefined;
  if (!list || !list.every((s) => typeof s === 'string')) throw new UserInputError(`the vocabulary ${source} must be a JSON list of strings (the symbols in id order).`);
  const symbols = list as string[];
  const idOf = (s: string) => symbols.indexOf(s);
  const vocab: KerasVocabulary = { symbols, unknown: idOf(UNKNOWN_SYMBOL), start: idOf(START_SYMBOL), end: idOf(END_SYMBOL) };
  const n = symbols.length;
  if (vocab.start < 0 && vocab.end < 0 && n >= 2 && symbols[n - 2] === 'S' && symbols[n - 1] === 'E' && idOf('S') === n - 2 && idOf('E') === n - 1) {
    vocab.start = n - 2;
    vocab.end = n - 1;
  }
  if ((vocab.start >= 0) !== (vocab.end >= 0)) throw new UserInputError(`the vocabulary ${source} has a ${vocab.start >= 0 ? 'start' : 'end'} symbol but no ${vocab.start >= 0 ? 'end' : 'start'} symbol.`);
  const reserved = new Set([vocab.unknown, vocab.start, vocab.end]);
  const seen = new Set<string>();
  symbols.forEach((s, id) => {
    if (reserved.has(id)) return;
    if ([...s].length !== 1) throw new UserInputError(`the vocabulary ${source} has a symbol at id ${id} that is not one character (${JSON.stringify(s)}); RNN Lab reads character-level Keras models.`);
    if (seen.has(s)) throw new UserInputError(`the vocabulary ${source} lists ${JSON.stringify(s)} twice (again at id ${id}).`);
    seen.add(s);
  });
  return vocab;
}

/** Seed 004's vocabulary: each line's characters by first appearance (lines stripped), then S and E. */
export function seed004Symbols(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    for (const ch of line.trim()) {
      if (!seen.has(ch)) {
        seen.add(ch);
        out.push(ch);
      }
    }
  }
  return out;
}

async function seed004Vocabulary(textPath: string): Promise<KerasVocabulary> {
  let text: string;
  await assertReadableFile(textPath, '', MAX_TEXT_BYTES_AS_STRING);
  try {
    text = await readFile(textPath, 'utf8');
  } catch (error) {
    throw unreadableFile(textPath, error);
  }
  const chars = seed004Symbols(text);
  if (chars.length === 0) throw new UserInputError(`${textPath} has no characters to build a vocabulary from.`);
  return { symbols: [...chars, 'S', 'E'], unknown: -1, start: chars.length, end: chars.length + 1 };
}
