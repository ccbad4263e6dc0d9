/**
 * Checks that a corpus can feed a run with this configuration, before anything is written.
 * The stream split needs at least one training row of seqLength+1 characters and a validation
 * slice of the same size (see stream.ts).
 */
import type { TrainConfig } from '../../protocol/messages';
import type { Corpus } from './corpus';
import { UserInputError } from './errors';

export function minimumChars(seqLength: number): number {
  return 2 * (seqLength + 1);
}

export function assertTrainable(corpus: Corpus, config: Pick<TrainConfig, 'seqLength' | 'valFraction'>): void {
  const need = minimumChars(config.seqLength);
  if (corpus.charCount < need) {
    const largestSeq = Math.floor(corpus.charCount / 2) - 1;
    const fix = largestSeq >= 1 ? 'try {suggestion} or less, or a bigger file' : 'use a bigger file';
    throw new UserInputError(
      `${corpus.name} is too short: ${corpus.charCount} characters, but sequence length ${config.seqLength} ({setting}) needs at least ${need} ` +
      `(one training row of ${config.seqLength + 1} plus a validation slice of ${config.seqLength + 1}); ${fix}.`,
      { key: 'seqLength', suggestion: largestSeq >= 1 ? largestSeq : undefined },
    );
  }
}
