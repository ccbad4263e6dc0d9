/**
 * The engine's public surface: what the trainer process, the CLI and other backends' tests use.
 * Pure TypeScript over Node; no `vscode` import anywhere below this folder.
 */
export { TrainingRun, DIVERGENCE_FACTOR, type TrainEvents, type TrainingRunOptions } from './train/run';
export { validateConfig, specFromConfig } from './train/config';
export {
  loadCheckpoint, parseCheckpoint, writeCheckpoint, serializeCheckpoint, checkpointPath, checkpointStem,
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CHECKPOINT_SUFFIX, type Checkpoint, type CheckpointMeta,
} from './train/checkpoint';
export { createBackend, resolveThreads, type BackendPreference } from './backends/select';
export { createReferenceBackend, ReferenceNetwork, type ReferenceFloat } from './backends/reference';
export type { Backend, BackendInfo, Network, Stepper, TokenBatch, PassOptions, LossResult, FloatArray } from './backends/types';
export { UserInputError, isUserInputError } from './text/errors';
export { readCorpusFromFile, corpusFromText, type Corpus, type CorpusOptions } from './text/corpus';
export { Vocabulary, UNKNOWN_SYMBOL, UNKNOWN_ID, codePointLength, type IdArray } from './text/vocab';
export { assertTrainable, minimumChars } from './text/validate';
export { StreamBatcher, splitTrainVal, validationBatcher, VALIDATION_CHAR_CAP } from './text/stream';
export { initParams } from './model/init';
export { paramLayout, gateCount, stateSizePerLayer, validateSpec, type ModelSpec, type CellType, type ParamLayout } from './model/spec';
export { createOptimizer, clipGlobalNorm, globalNorm, type Optimizer, type OptimizerName } from './optim';
export { generate, nextSymbolDistribution, sampleFromLogits, softmax } from './sample';
export { Rng, deriveSeed } from './random';
