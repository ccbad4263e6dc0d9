export { sampleFromLogits, softmax, type SampleOptions } from './sampler';
export { generate, nextSymbolDistribution, MAX_CONTEXT_SYMBOLS, type GenerateOptions, type NextSymbolDistribution, type SymbolProbability } from './generate';
