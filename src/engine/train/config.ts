/** Derives the model spec from a TrainConfig (validation lives with the settings, in config/validate.ts). */
import type { TrainConfig } from '../config/settings';
import type { ModelSpec } from '../model/spec';

export { validateConfig } from '../config/validate';


export function specFromConfig(config: TrainConfig, vocabSize: number): ModelSpec {
  return {
    cell: config.cell,
    vocabSize,
    hiddenSize: config.hiddenSize,
    layers: config.layers,
    embeddingSize: config.embeddingSize,
    dropout: config.dropout,
    hiddenDense: config.hiddenDense,
    hiddenActivation: config.hiddenActivation,
  };
}
