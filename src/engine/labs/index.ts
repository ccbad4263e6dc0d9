/** The lab answers: computed in the trainer process on request, on whatever model it holds. */
export { boundariesOf, unknownSymbols, type Boundaries, type LabVocab } from './symbols';
export { topFirstSymbols, type FirstSymbolsAnswer } from './firstSymbols';
export { sampleSentences, resetStateExperiment, type SentencesAnswer, type ResetStateAnswer, type DriftPoint } from './sentences';
export { EpochClock, hardwareInfo, type TimingReport, type HardwareInfo, type EpochTime } from './timing';
export { temperatureExplorer, explorerTemperatures, type TemperatureAnswer, type TemperatureRow } from './temperature';
export { hiddenTrace, findNeurons, unitActivations, textFeatures, neuronFeatureNames, type FeatureUnits, type NeuronFeature } from './neurons';
export { surprisal, type SurprisalAnswer } from './surprisal';
