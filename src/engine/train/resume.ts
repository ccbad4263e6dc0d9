/**
 * Starting a run from a checkpoint, for the CLI (`--resume`, `--init-from`) and the extension
 * ("Resume from checkpoint…"):
 *   resume    the checkpoint's own settings and vocabulary, a new budget counted in total
 *             (a 60-step checkpoint resumed with steps 120 trains 60 more), the same text;
 *   init-from a new run with the given settings, starting from the checkpoint's weights: its model
 *             and vocabulary settings are taken from the checkpoint (the weights fit nothing else).
 */
import { basename, dirname } from 'node:path';
import { withValidationFile } from '../data/validationFile';
import type { TrainConfig } from '../config/settings';
import { readCorpusFromFile, type Corpus } from '../data/corpus';
import { loadCheckpoint, type Checkpoint } from '../model/io/checkpoint';
import { UserInputError } from '../text/errors';
import { corpusOptions } from './options';
import { specFromConfig } from './config';

/** The settings a resumed run may change: its budget, how often it reports, where it computes. */
export const resumeSettings = ['steps', 'epochs', 'seconds', 'evalInterval', 'earlyStop', 'keepRuns', 'backend', 'threads', 'sampleLength', 'temperature', 'prime'] as const;
export type ResumeOverrides = Partial<Pick<TrainConfig, (typeof resumeSettings)[number]>>;

/** The settings that shape a model's weights and the meaning of its ids: init-from keeps the checkpoint's. */
export const modelSettings = ['cell', 'hiddenSize', 'layers', 'embeddingSize', 'hiddenDense', 'hiddenActivation', 'tokens', 'lowercase', 'maxVocab', 'vocabOrder'] as const;

export interface RunFromCheckpoint {
  checkpoint: Checkpoint;
  config: TrainConfig;
  corpus: Corpus;
  sourceName: string;
  sourcePath: string;
}

/**
 * Everything `new TrainingRun({ ..., resumeFrom: checkpoint })` needs to continue a checkpoint's
 * run. `textPath` overrides the file recorded in the checkpoint (it moved); it must hold the same
 * text. `loaded`: the checkpoint at `checkpointPath`, when the caller has read it already.
 */
export async function prepareResume(checkpointPath: string, overrides: ResumeOverrides = {}, textPath?: string, loaded?: Checkpoint): Promise<RunFromCheckpoint> {
  const checkpoint = loaded ?? await loadCheckpoint(checkpointPath);
  if (!checkpoint.training) {
    throw new UserInputError(`${checkpointPath} has no training state to resume from (format version ${checkpoint.version}); start a new run from its weights with --init-from ${checkpointPath}.`);
  }
  const sourcePath = textPath ?? checkpoint.sourcePath;
  if (!sourcePath) throw new UserInputError(`${checkpointPath} does not record which file it trained on (it trained on text from the editor); give the file to resume on.`);
  const config: TrainConfig = { ...checkpoint.config, ...definedOnly(overrides) };
  const sourceName = checkpoint.sourceName || basename(sourcePath);
  const text = await readCorpusFromFile(sourcePath, { ...corpusOptions(config), name: sourceName, tokenizer: checkpoint.tokenizer });
  const corpus = await withValidationFile(text, config, dirname(sourcePath));
  if (checkpoint.fingerprint && (corpus.ids.length !== checkpoint.fingerprint.tokens)) {
    throw new UserInputError(
      `${sourcePath} changed since ${checkpointPath} was written (${checkpoint.fingerprint.tokens.toLocaleString('en-US')} tokens then, ` +
      `${corpus.ids.length.toLocaleString('en-US')} now): a resumed run must see the same text. Start a new run, or one from its weights with --init-from.`,
    );
  }
  return { checkpoint, config, corpus, sourceName, sourcePath };
}

/** A new run's config and corpus for `--init-from`: the given settings with the checkpoint's model and vocabulary. */
export async function prepareInitFrom(checkpointPath: string, config: TrainConfig, textPath: string, name?: string): Promise<RunFromCheckpoint> {
  // The weights start the new run; the old run's optimizer state is not read.
  const checkpoint = await loadCheckpoint(checkpointPath, { weightsOnly: true });
  const merged: TrainConfig = { ...config };
  for (const key of modelSettings) (merged as Record<string, unknown>)[key] = checkpoint.config[key];
  const sourceName = name ?? basename(textPath);
  const corpus = await readCorpusFromFile(textPath, { ...corpusOptions(merged), name: sourceName, tokenizer: checkpoint.tokenizer });
  const spec = specFromConfig(merged, corpus.tokenizer.size);
  const differs = (Object.keys(spec) as Array<keyof typeof spec>).filter((k) => k !== 'dropout' && JSON.stringify(spec[k]) !== JSON.stringify(checkpoint.spec[k]));
  if (differs.length) {
    throw new UserInputError(`${checkpointPath} holds a different model (${differs.map((k) => `${k} ${String(checkpoint.spec[k])}`).join(', ')}) than its settings describe; it cannot start this run.`);
  }
  return { checkpoint, config: merged, corpus, sourceName, sourcePath: textPath };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
