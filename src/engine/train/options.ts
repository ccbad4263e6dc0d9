/** How a run's text is read into tokens: the corpus settings of a config. */
import type { TrainConfig } from '../config/settings';
import type { CorpusOptions } from '../data/corpus';

export function corpusOptions(config: TrainConfig): CorpusOptions {
  return {
    maxVocab: config.maxVocab, tokens: config.tokens, lowercase: config.lowercase, vocabOrder: config.vocabOrder, mode: config.mode,
    maxLines: config.maxLines, maxLineLength: config.maxLineLength,
  };
}
