/**
 * Where `sample`, `probs`, `decode`, `export` and `summary` get their model: `--checkpoint FILE`,
 * `--pytorch-weights DIR` (a folder of export --pytorch or its train.py) or `--keras-weights FILE` (with `--vocab FILE` or `--vocab-text FILE` when the file carries no
 * vocabulary), read through the one loadWeights call, and the network that runs it.
 */
import { createBackendFor } from '../engine/backends/select';
import type { Network } from '../engine/backends/types';
import { hiddenActivations } from '../engine/model/spec';
import { loadWeights, unreadableWeights, weightsFormatOf, type LoadedModel } from '../engine/model/io/load';
import { isFolder, loadPytorchFolder } from '../engine/model/io/pytorch';
import { backendNames } from '../protocol/messages';
import { parseChoice, UsageError } from './args';

/** parseArgs options shared by every command that reads a model. */
export const modelOptions = {
  checkpoint: { type: 'string' },
  'keras-weights': { type: 'string' },
  'pytorch-weights': { type: 'string' },
  vocab: { type: 'string' },
  'vocab-text': { type: 'string' },
  'hidden-activation': { type: 'string' },
  'gru-reset-after': { type: 'string' },
  'recurrent-activation': { type: 'string' },
  backend: { type: 'string' },
} as const;

export const modelUsage = '(--checkpoint FILE | --pytorch-weights DIR | --keras-weights FILE.h5 [--vocab FILE.json | --vocab-text TEXT_FILE] [--hidden-activation relu|tanh|linear] [--recurrent-activation sigmoid|hard_sigmoid] [--gru-reset-after true|false])';

export interface ModelFlags {
  checkpoint?: string;
  'keras-weights'?: string;
  'pytorch-weights'?: string;
  vocab?: string;
  'vocab-text'?: string;
  'hidden-activation'?: string;
  'gru-reset-after'?: string;
  'recurrent-activation'?: string;
  backend?: string;
}

/** Reads the model the flags name; what the loader had to assume goes to stderr as notes. */
export async function loadModelFromFlags(command: string, flags: ModelFlags): Promise<LoadedModel> {
  const checkpoint = flags.checkpoint;
  const keras = flags['keras-weights'];
  const pytorch = flags['pytorch-weights'];
  const given = [checkpoint && '--checkpoint', keras && '--keras-weights', pytorch && '--pytorch-weights'].filter(Boolean);
  if (given.length > 1) throw new UsageError(`${command} takes one of --checkpoint, --pytorch-weights and --keras-weights, not ${given.join(' and ')}`);
  if (given.length === 0) throw new UsageError(`${command} needs --checkpoint FILE, --pytorch-weights DIR or --keras-weights FILE.h5`);
  if (pytorch) {
    // The folder carries its vocabulary and every setting: the Keras flags have nothing to say.
    if (!(await isFolder(pytorch))) throw new UsageError(`--pytorch-weights takes a folder (written by rnn-lab export --pytorch or its train.py); ${pytorch} is not one`);
    return loadPytorchFolder(pytorch);
  }
  if (flags.vocab && flags['vocab-text']) throw new UsageError('give --vocab or --vocab-text, not both');
  if (keras) {
    const format = await weightsFormatOf(keras);
    if (format !== 'hdf5') throw unreadableWeights(keras, format, 'hdf5');
  }
  const model = await loadWeights((checkpoint ?? keras)!, {
    vocab: flags.vocab,
    vocabText: flags['vocab-text'],
    hiddenActivation: parseChoice(flags['hidden-activation'], 'hidden-activation', hiddenActivations),
    recurrentActivation: parseChoice(flags['recurrent-activation'], 'recurrent-activation', ['sigmoid', 'hard_sigmoid'] as const),
    gruResetAfter: flags['gru-reset-after'] === undefined ? undefined : parseChoice(flags['gru-reset-after'], 'gru-reset-after', ['true', 'false'] as const) === 'true',
  });
  for (const note of model.notes) process.stderr.write(`rnn-lab: note: ${note}\n`);
  return model;
}

export async function networkFor(model: LoadedModel, backendFlag: string | undefined): Promise<Network> {
  const log = (level: 'info' | 'warn', message: string) => {
    if (level === 'warn') process.stderr.write(`rnn-lab: warn: ${message}\n`);
  };
  const backend = await createBackendFor(model.spec, parseChoice(backendFlag, 'backend', backendNames) ?? 'auto', 1, log);
  const net = backend.createNetwork(model.spec);
  net.params.set(model.params);
  net.paramsChanged();
  return net;
}
