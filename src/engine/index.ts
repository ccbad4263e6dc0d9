/**
 * The engine's public surface: what the trainer process, the CLI and other backends' tests use.
 * Pure TypeScript over Node; no `vscode` import anywhere below this folder.
 */
export { TrainingRun, DIVERGENCE_FACTOR, type TrainEvents, type TrainingRunOptions } from './train/run';
export { prepareResume, prepareInitFrom, resumeSettings, modelSettings, type RunFromCheckpoint, type ResumeOverrides } from './train/resume';
export { SampleService } from './train/samples';
export { validateConfig, specFromConfig } from './train/config';
export {
  loadCheckpoint, parseCheckpoint, readCheckpointSummary, usableParams, textFingerprint, writeCheckpoint, encodeCheckpoint, checkpointPath, checkpointStem,
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CHECKPOINT_SUFFIX, type Checkpoint, type CheckpointMeta, type CheckpointSummary,
} from './model/io/checkpoint';
export { createBackend, resolveThreads, type BackendPreference } from './backends/select';
export { createReferenceBackend, ReferenceNetwork, type ReferenceFloat } from './backends/reference';
export type { Backend, BackendInfo, Network, Stepper, PassOptions, LossResult } from './backends/types';
export type { TokenBatch, FloatArray } from './tensor';
export { UserInputError, isUserInputError } from './text/errors';
export { readCorpusFromFile, corpusFromText, splitUnits, type Corpus, type CorpusOptions } from './data/corpus';
export { tokenizerFromJSON, UNKNOWN_ID, START_ID, END_ID, type Tokenizer, type TokenizerJSON, type TokenKind, type IdArray } from './data/tokenizer';
export { CharTokenizer, UNKNOWN_SYMBOL, START_SYMBOL, END_SYMBOL, codePointLength } from './data/charTokenizer';
export { WordTokenizer, UNKNOWN_TOKEN, SENTENCE_START, SENTENCE_END, splitWords, appendContinuation, formatWordReport, type WordReport } from './data/wordTokenizer';
export { planData, type Batch, type Batcher, type DataPlan } from './data/batcher';
export { StreamBatcher, RandomWindowBatcher, splitTrainVal, minimumTokens } from './data/streamBatcher';
export { LinesBatcher } from './data/linesBatcher';
export { WindowsBatcher } from './data/windowsBatcher';
export { assertTrainable } from './data/validate';
export { corpusOptions } from './train/options';
export { initParams } from './model/init';
export { paramLayout, gateCount, stateSizePerLayer, validateSpec, withSpecDefaults, outputInputSize, hiddenActivations, type ModelSpec, type CellType, type HiddenActivation, type ParamLayout } from './model/spec';
export { createOptimizer, clipGlobalNorm, globalNorm, type Optimizer, type OptimizerName } from './optim';
export { generate, nextSymbolDistribution, sampleFromLogits, softmax } from './sample';
export { OpenedModel } from './sample/openedModel';
export { Rng, deriveSeed } from './random';
