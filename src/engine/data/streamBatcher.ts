/**
 * The stream data mode (truncated BPTT over contiguous text, as char-rnn does).
 *
 * Split: the first part of the tokens trains, the last `valFraction` (at least seqLength+1 tokens)
 * validates. Training, `batching: 'contiguous'`: the training tokens are cut into B contiguous
 * segments, one per batch row; each batch takes the next seqLength tokens of every segment, so row
 * b of a batch continues row b of the previous batch and the recurrent state is carried between
 * them. An epoch is one pass over the segments; the next starts again from their beginnings with a
 * fresh state. `batching: 'random'`: every row is a window of seqLength+1 tokens at a random place
 * (as the PyTorch yardstick trains), from a zero state; an epoch is as many tokens as the text.
 * Small texts get fewer rows (at least one) rather than failing.
 *
 * Validation: contiguous carried-state streams over the validation slice, capped at
 * VALIDATION_TOKEN_CAP tokens.
 */
import type { TokenBatch } from '../tensor';
import { deriveSeed, Rng } from '../random';
import { UserInputError } from '../text/errors';
import type { TrainConfig } from '../config/settings';
import { emptyBatch, fillRow, tokenNoun, VALIDATION_TOKEN_CAP, type Batch, type Batcher, type DataPlan } from './batcher';
import type { Corpus } from './corpus';
import type { IdArray } from './tokenizer';

export interface Split {
  trainStart: number;
  trainEnd: number;
  valStart: number;
  valEnd: number;
}

export function splitTrainVal(length: number, valFraction: number, rowLength: number, validationFrom?: number): Split {
  // A separate validation text: everything before it trains.
  if (validationFrom !== undefined) return { trainStart: 0, trainEnd: validationFrom, valStart: validationFrom, valEnd: length };
  const valTokens = Math.min(length - rowLength, Math.max(rowLength, Math.floor(length * valFraction)));
  const trainEnd = length - valTokens;
  return { trainStart: 0, trainEnd, valStart: trainEnd, valEnd: length };
}

/** Tokens a stream run needs: one training row of seqLength+1 plus a validation slice as long. */
export function minimumTokens(seqLength: number): number {
  return 2 * (seqLength + 1);
}

/** Throws a UserInputError naming the setting when the corpus is too short for one row of each part. */
export function assertLongEnough(corpus: Corpus, rowLength: number, setting: 'seqLength' | 'window'): void {
  const need = 2 * rowLength;
  const have = corpus.ids.length;
  if (have >= need) return;
  const noun = tokenNoun(corpus);
  const what = setting === 'window' ? `a window of ${rowLength - 1}` : `sequence length ${rowLength - 1}`;
  const parts = `(one training row of ${rowLength} plus a validation slice of ${rowLength})`;
  if (corpus.tokenizer.kind === 'word' && have < 4) {
    throw new UserInputError(
      `${corpus.name} has only ${have} word token${have === 1 ? '' : 's'}: too few to learn from with word tokens ({setting}); use a longer text or try {suggestion}.`,
      { key: 'tokens', suggestion: 'char' },
    );
  }
  const largest = Math.floor(have / 2) - 1;
  throw new UserInputError(
    `${corpus.name} is too short: ${have} ${noun}, but ${what} ({setting}) needs at least ${need} ${parts}; ` +
    (largest >= 1 ? 'try {suggestion} or less, or a bigger file.' : 'use a bigger file.'),
    { key: setting, suggestion: largest >= 1 ? largest : undefined },
  );
}

/** B parallel contiguous streams over ids[start, end), T steps per batch. */
export class StreamBatcher implements Batcher {
  readonly batchSize: number;
  readonly segmentLength: number;
  readonly batchesPerEpoch: number;
  private readonly batch: TokenBatch;

  constructor(private readonly ids: IdArray, private readonly start: number, end: number, batchSize: number, readonly steps: number) {
    const n = end - start;
    // Each row needs steps+1 tokens (inputs plus the shifted targets).
    this.batchSize = Math.max(1, Math.min(batchSize, Math.floor((n - 1) / steps)));
    this.segmentLength = Math.floor((n - 1) / this.batchSize);
    this.batchesPerEpoch = Math.floor(this.segmentLength / steps);
    if (this.batchesPerEpoch < 1) throw new RangeError(`${n} tokens are too few for one row of ${steps + 1}`);
    this.batch = emptyBatch(this.batchSize, steps);
  }

  get tokensPerEpoch(): number {
    return this.batchesPerEpoch * this.batchSize * this.steps;
  }

  batchAt(_epoch: number, index: number): Batch {
    const { ids, steps: T, batch } = this;
    for (let b = 0; b < this.batchSize; b++) {
      fillRow(batch, b, ids, this.start + b * this.segmentLength + index * T);
    }
    return { batch, carry: index > 0 };
  }
}

/** Rows of T+1 tokens at random places in ids[start, end); each batch from a zero state. */
export class RandomWindowBatcher implements Batcher {
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  private readonly batch: TokenBatch;

  constructor(private readonly ids: IdArray, private readonly start: number, private readonly end: number, batchSize: number, readonly steps: number, private readonly seed: number) {
    const n = end - start;
    this.batchSize = Math.max(1, Math.min(batchSize, Math.floor((n - 1) / steps)));
    // An epoch covers about as many tokens as the text.
    this.batchesPerEpoch = Math.max(1, Math.floor((n - 1) / (this.batchSize * steps)));
    this.batch = emptyBatch(this.batchSize, steps);
  }

  get tokensPerEpoch(): number {
    return this.batchesPerEpoch * this.batchSize * this.steps;
  }

  batchAt(epoch: number, index: number): Batch {
    const { ids, steps: T, batch } = this;
    const rng = new Rng(deriveSeed(this.seed, 5_000_000 + epoch), index);
    const places = this.end - this.start - T;
    for (let b = 0; b < this.batchSize; b++) {
      fillRow(batch, b, ids, this.start + rng.int(places));
    }
    return { batch, carry: false };
  }
}

export function streamPlan(corpus: Corpus, config: TrainConfig): DataPlan {
  const T = config.seqLength;
  assertLongEnough(corpus, T + 1, 'seqLength');
  const split = splitTrainVal(corpus.ids.length, config.valFraction, T + 1, corpus.validationFrom);
  const train = config.batching === 'random'
    ? new RandomWindowBatcher(corpus.ids, split.trainStart, split.trainEnd, config.batchSize, T, config.seed)
    : new StreamBatcher(corpus.ids, split.trainStart, split.trainEnd, config.batchSize, T);
  const valEnd = Math.min(split.valEnd, split.valStart + VALIDATION_TOKEN_CAP);
  const val = new StreamBatcher(corpus.ids, split.valStart, valEnd, config.batchSize, T);
  const noun = tokenNoun(corpus);
  const valTokens = split.valEnd - split.valStart;
  // Say what an evaluation reads: past the cap, only the start of the held-out part.
  const validation = valEnd - split.valStart < valTokens
    ? `validation on the first ${(valEnd - split.valStart).toLocaleString('en-US')} of the last ${valTokens.toLocaleString('en-US')} ${noun} of the text (an evaluation reads at most ${VALIDATION_TOKEN_CAP.toLocaleString('en-US')})`
    : `validation on the last ${valTokens.toLocaleString('en-US')} ${noun} of the text`;
  return {
    train, val, trainTokens: split.trainEnd - split.trainStart, valTokens,
    description: `stream mode: ${config.batching === 'random' ? 'random windows' : `${train instanceof StreamBatcher ? train.batchSize : config.batchSize} contiguous streams with carried state`} ` +
      `of ${T} ${noun}; ${validation}`,
  };
}
