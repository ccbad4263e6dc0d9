export { sampleFromLogits, softmax, type SampleOptions } from './sampler';
export { generate, nextSymbolDistribution, distributionFromLogits, MAX_CONTEXT_SYMBOLS, type GenerateOptions, type NextSymbolDistribution, type SymbolProbability } from './generate';
export { ContextStateCache } from './contextCache';
