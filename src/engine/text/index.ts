export { UserInputError, isUserInputError } from './errors';
export { readTextChunks, normaliseText, binaryReason, type ReadReport } from './read';
export { Vocabulary, SymbolCounter, UNKNOWN_SYMBOL, UNKNOWN_ID, codePointLength, type IdArray, type VocabJSON } from './vocab';
export { readCorpusFromFile, corpusFromText, corpusWithVocab, type Corpus, type CorpusOptions } from './corpus';
export { assertTrainable, minimumChars } from './validate';
export { StreamBatcher, splitTrainVal, validationBatcher, VALIDATION_CHAR_CAP, type Split } from './stream';
