/**
 * `rnn-lab export --pytorch DIR` (and "Continue in PyTorch…"): a folder PyTorch trains on with
 * torchrun and RNN Lab reads back (pytorch.ts): the weights in model.py's names, config.json,
 * vocab.json, and the scripts model.py, train.py, predict.py and README.md, copied from the
 * extension's dist/pytorch/ (the build copies them there from python/).
 */
import { copyFile, mkdir, open, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { findBundledFile } from '../../backends/bundled';
import { UserInputError } from '../../text/errors';
import type { LoadedModel } from './load';
import { CONFIG_FILE, PYTORCH_FORMAT, pytorchTensors, pytorchUnsupported, VOCAB_FILE, WEIGHTS_FILE, type PytorchConfig } from './pytorch';
import { encodeSafetensors, writeChunks } from './safetensors';

export const PYTORCH_SCRIPTS = ['model.py', 'train.py', 'predict.py', 'README.md'] as const;

/** The folder holding the scripts: dist/pytorch beside the running bundle (or above the test build). */
export function pytorchScriptsFolder(): string {
  const found = findBundledFile(join('pytorch', 'model.py'));
  if (!found) throw new Error(`pytorch/model.py was not found beside ${__dirname}; run "npm run build"`);
  return resolve(found, '..');
}

export interface PytorchExportOptions {
  /** The training text train.py reads by default (else the checkpoint's own source, when it has one). */
  text?: string;
}

/** Writes the folder; returns the paths written. */
export async function writePytorchFolder(dir: string, model: LoadedModel, options: PytorchExportOptions = {}): Promise<string[]> {
  const why = pytorchUnsupported(model.spec);
  if (why) throw new UserInputError(`${model.path} cannot be exported to PyTorch: ${why}.`);
  const scripts = pytorchScriptsFolder();
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new UserInputError(`cannot create the folder ${dir}: ${(error as Error).message}`);
  }
  const checkpoint = model.checkpoint;
  const text = options.text ?? checkpoint?.sourcePath;
  const config: PytorchConfig = {
    format: PYTORCH_FORMAT,
    spec: model.spec,
    // Every setting of the run (a Keras model: its architecture with the default settings).
    config: checkpoint?.config ?? { cell: model.spec.cell, hiddenSize: model.spec.hiddenSize, layers: model.spec.layers, embeddingSize: model.spec.embeddingSize, hiddenDense: model.spec.hiddenDense, hiddenActivation: model.spec.hiddenActivation, mode: model.tokenizer.startId >= 0 ? 'lines' : 'stream', tokens: model.tokenizer.kind },
    step: checkpoint?.step ?? 0,
    sourceName: checkpoint?.sourceName,
    ...(text ? { text: resolve(text) } : {}),
    bestValLoss: checkpoint && Number.isFinite(checkpoint.bestValLoss) ? checkpoint.bestValLoss : null,
    valHistory: (checkpoint?.valHistory ?? []).map((p) => [p.step, p.valLoss] as [number, number]),
  };
  const weightsPath = join(dir, WEIGHTS_FILE);
  const handle = await open(weightsPath, 'w');
  try {
    await writeChunks(handle, encodeSafetensors(pytorchTensors(model.spec, model.params), { format: 'pt' }));
  } finally {
    await handle.close();
  }
  const configPath = join(dir, CONFIG_FILE);
  const vocabPath = join(dir, VOCAB_FILE);
  await writeFile(configPath, JSON.stringify(config, null, 1) + '\n');
  await writeFile(vocabPath, JSON.stringify(model.tokenizer.toJSON(), null, 1) + '\n');
  const written = [weightsPath, configPath, vocabPath];
  for (const name of PYTORCH_SCRIPTS) {
    await copyFile(join(scripts, name), join(dir, name));
    written.push(join(dir, name));
  }
  return written;
}
