/** Checks a TrainConfig's values and derives the model spec from it. */
import { backendNames, cellTypes, optimizerNames, type TrainConfig } from '../../protocol/messages';
import type { HiddenActivation, ModelSpec } from '../model/spec';
import { UserInputError } from '../text/errors';


/** Throws a UserInputError naming the first bad setting. */
export function validateConfig(c: TrainConfig): void {
  const bad = (what: string, rule: string, value: unknown) => {
    throw new UserInputError(`${what} must be ${rule} (got ${String(value)}).`);
  };
  const int = (v: number, min: number, what: string, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(v) || v < min || v > max) bad(what, max < Number.MAX_SAFE_INTEGER ? `an integer from ${min} to ${max}` : `an integer >= ${min}`, v);
  };
  const num = (v: number, ok: (v: number) => boolean, what: string, rule: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) bad(what, rule, v);
  };
  const oneOf = (choices: readonly string[], value: string, what: string) => {
    if (!choices.includes(value)) bad(what, `one of ${choices.join(', ')}`, value);
  };
  oneOf(cellTypes, c.cell, 'cell');
  oneOf(optimizerNames, c.optimizer, 'optimizer');
  oneOf(backendNames, c.backend, 'backend');
  int(c.hiddenSize, 1, 'hidden size', 4096);
  int(c.layers, 1, 'layers', 16);
  int(c.embeddingSize, 0, 'embedding size', 4096);
  int(c.seqLength, 1, 'sequence length', 100000);
  int(c.batchSize, 1, 'batch size', 4096);
  int(c.steps, 0, 'steps');
  int(c.epochs, 0, 'epochs');
  int(c.evalInterval, 1, 'evaluation interval');
  int(c.sampleLength, 0, 'sample length', 100000);
  int(c.maxVocab, 2, 'vocabulary size', 65535);
  int(c.threads, 0, 'threads', 256);
  num(c.seed, (v) => Number.isInteger(v), 'seed', 'an integer');
  num(c.learningRate, (v) => v > 0, 'learning rate', 'a positive number');
  num(c.dropout, (v) => v >= 0 && v < 1, 'dropout', 'in [0, 1)');
  num(c.clipNorm, (v) => v >= 0, 'clip norm', '>= 0 (0 disables clipping)');
  num(c.seconds, (v) => v >= 0, 'seconds', '>= 0');
  num(c.temperature, (v) => v >= 0, 'temperature', '>= 0 (0 = greedy)');
  num(c.valFraction, (v) => v > 0 && v <= 0.5, 'validation fraction', 'in (0, 0.5]');
}

export function specFromConfig(config: TrainConfig, vocabSize: number): ModelSpec {
  // The Dense hidden layer's settings may be absent from configs written before it existed.
  const dense = config as Partial<{ hiddenDense: number; hiddenActivation: HiddenActivation }>;
  return {
    cell: config.cell,
    vocabSize,
    hiddenSize: config.hiddenSize,
    layers: config.layers,
    embeddingSize: config.embeddingSize,
    dropout: config.dropout,
    hiddenDense: dense.hiddenDense ?? 0,
    hiddenActivation: dense.hiddenActivation ?? 'relu',
  };
}
