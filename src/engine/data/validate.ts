/**
 * Checks that a corpus can feed a run with this configuration, before anything is written: the
 * data plan of its mode is built (cheap: no batch is made) and its complaints, which name the
 * setting to change, are passed on; then the memory the run needs is estimated from the model and
 * vocabulary sizes, and a run that cannot fit is refused before any weight is initialised.
 */
import type { TrainConfig } from '../config/settings';
import { gateCount, layerHiddenSizes, paramLayout } from '../model/spec';
import { UserInputError } from '../text/errors';
import { specFromConfig } from '../train/config';
import { planData } from './batcher';
import type { Corpus } from './corpus';

export function assertTrainable(corpus: Corpus, config: TrainConfig): void {
  planData(corpus, config);
  assertFitsInMemory(config, corpus.tokenizer.size);
}

/**
 * The most a run may need. The WebAssembly backend's memory stops at 2 GiB (as linked), and the
 * weights live in typed arrays on the host for every backend; 2 GiB keeps both within reach.
 */
export const MAX_TRAINING_BYTES = 2 * 2 ** 30;

/** A one-hot vocabulary above this size gets an embedding suggested. */
const LARGE_VOCABULARY = 2048;

export interface MemoryEstimate {
  params: number;
  /** Weights, gradients, optimizer state and the copies kept (4 bytes each). */
  weightBytes: number;
  /** What one batch keeps for backpropagation: inputs, cell states and outputs over batch x seq. */
  activationBytes: number;
  totalBytes: number;
}

/** What a run of `config` over a vocabulary of `vocabSize` needs, from the sizes alone (no allocation). */
export function estimateTrainingMemory(config: TrainConfig, vocabSize: number): MemoryEstimate {
  const spec = specFromConfig(config, vocabSize);
  const params = paramLayout(spec).total;
  // Weights, gradients, two optimizer moments, the best weights, the host's copy of the weights and
  // the backend's repacked kernels.
  const weightBytes = 7 * 4 * params;
  const positions = config.batchSize * config.seqLength;
  // Gate pre-activations and activations, cell state, hidden output, dropout mask and their gradients' workspace.
  const perLayer = layerHiddenSizes(spec).reduce((sum, H) => sum + (2 * gateCount(config.cell) + 4) * H, 0);
  const input = config.embeddingSize > 0 ? config.embeddingSize : vocabSize; // one-hot input rows are vocabulary-wide
  // Logits, probabilities and their gradient are vocabulary-wide at every position.
  const perPosition = input + perLayer + 2 * config.hiddenDense + 3 * vocabSize;
  const activationBytes = 4 * positions * perPosition;
  return { params, weightBytes, activationBytes, totalBytes: weightBytes + activationBytes };
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** Refuses a run that cannot fit, with the estimate and the setting to change. */
export function assertFitsInMemory(config: TrainConfig, vocabSize: number): void {
  const e = estimateTrainingMemory(config, vocabSize);
  const spec = specFromConfig(config, vocabSize);
  if (e.totalBytes <= MAX_TRAINING_BYTES) return;
  const needs = `this run needs about ${gib(e.totalBytes)} (${e.params.toLocaleString('en-US')} parameters: ${gib(e.weightBytes)} with gradients and optimizer state; ${gib(e.activationBytes)} of activations for batch ${config.batchSize} x seq ${config.seqLength}), more than the ${gib(MAX_TRAINING_BYTES)} a run may use`;
  if (config.embeddingSize === 0 && vocabSize > LARGE_VOCABULARY) {
    throw new UserInputError(`${needs}; the vocabulary has ${vocabSize.toLocaleString('en-US')} symbols fed one-hot: learn an embedding instead ({suggestion}) or lower {setting:maxVocab}.`, { key: 'embeddingSize', suggestion: 256 });
  }
  if (e.weightBytes >= e.activationBytes) {
    const smaller = Math.max(1, 2 ** Math.floor(Math.log2(Math.max(...layerHiddenSizes(spec)) * Math.sqrt(MAX_TRAINING_BYTES / 2 / e.totalBytes))));
    throw new UserInputError(`${needs}; use fewer units ({suggestion}) or fewer {setting:layers}.`, { key: 'hiddenSize', suggestion: smaller });
  }
  const smaller = Math.max(1, Math.floor(config.batchSize * (MAX_TRAINING_BYTES - e.weightBytes) / 2 / e.activationBytes));
  throw new UserInputError(`${needs}; use a smaller batch ({suggestion}) or a shorter {setting:seqLength}.`, { key: 'batchSize', suggestion: smaller });
}
