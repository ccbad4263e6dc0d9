/**
 * A separate validation file (`--val-file`, `rnnLab.valFile`), as seed 000 validates on its own
 * valdata.txt: the file is read with the training tokenizer (characters or words it never saw
 * become the unknown symbol, as everywhere else) and appended to the training corpus, which records
 * where it begins (`validationFrom`); the data plans then train on everything before that point
 * and validate on everything after it, instead of holding out the end of the training text.
 */
import { basename, isAbsolute, resolve } from 'node:path';
import type { TrainConfig } from '../config/settings';
import { isUserInputError, UserInputError } from '../text/errors';
import { corpusOptions } from '../train/options';
import { readCorpusFromFile, type Corpus } from './corpus';
import { allocateIds } from './tokenizer';

/** The training corpus with the validation file appended, or the corpus itself when no file is set. `baseDir` resolves a relative path. */
export async function withValidationFile(train: Corpus, config: TrainConfig, baseDir: string): Promise<Corpus> {
  if (!config.valFile) return train;
  const path = isAbsolute(config.valFile) ? config.valFile : resolve(baseDir, config.valFile);
  let val: Corpus;
  try {
    val = await readCorpusFromFile(path, { ...corpusOptions(config), name: basename(path), tokenizer: train.tokenizer });
  } catch (error) {
    if (!isUserInputError(error)) throw error;
    throw new UserInputError(`the validation file ({setting}) cannot be used: ${error.message}`, { key: 'valFile' });
  }
  const row = config.mode === 'windows' ? config.window + 1 : config.seqLength + 1;
  if (config.mode !== 'lines' && val.ids.length < row) {
    throw new UserInputError(
      `the validation file ${path} ({setting}) has ${val.ids.length} tokens; validation needs at least ${row} (one row of ${config.mode === 'windows' ? 'the window' : 'the sequence length'} plus one).`,
      { key: 'valFile' },
    );
  }
  const ids = allocateIds(train.tokenizer.size, train.ids.length + val.ids.length);
  ids.set(train.ids);
  ids.set(val.ids, train.ids.length);
  let lineStarts: Int32Array | undefined;
  if (train.lineStarts && val.lineStarts) {
    const a = train.lineStarts;
    const b = val.lineStarts;
    lineStarts = new Int32Array(a.length + b.length - 1);
    lineStarts.set(a);
    for (let k = 1; k < b.length; k++) lineStarts[a.length - 1 + k] = b[k] + train.ids.length;
  }
  let unknown = 0;
  for (let i = 0; i < val.ids.length; i++) if (val.ids[i] === train.tokenizer.unknownId) unknown++;
  const notes = [
    ...train.notes,
    `validating on ${val.name}: ${val.ids.length.toLocaleString('en-US')} tokens${unknown ? `, ${unknown.toLocaleString('en-US')} of them outside the training vocabulary (read as the unknown symbol)` : ''}`,
  ];
  return { ...train, ids, ...(lineStarts ? { lineStarts } : {}), charCount: train.charCount + val.charCount, notes, validationFrom: train.ids.length };
}
