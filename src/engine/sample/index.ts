export { sampleFromLogits, softmax, type SampleOptions } from './sampler';
export { generate, nextSymbolDistribution, MAX_CONTEXT_SYMBOLS, type GenerateOptions } from './generate';
export { distributionFromLogits, type NextSymbolDistribution, type SymbolProbability } from './distribution';
export { ContextStateCache } from './contextCache';
