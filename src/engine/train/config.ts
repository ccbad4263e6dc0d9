/** Derives the model spec from a TrainConfig (validation lives with the settings, in config/validate.ts). */
import type { TrainConfig } from '../config/settings';
import type { HiddenActivation, ModelSpec } from '../model/spec';

export { validateConfig } from '../config/validate';


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
