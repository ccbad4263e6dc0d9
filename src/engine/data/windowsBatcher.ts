/**
 * The windows data mode (the TFLearn and Keras Nietzsche examples): semi-redundant windows of
 * `window` tokens starting every `windowStep` tokens; each window predicts only the token that
 * follows it (many-to-one: the mask counts the last step only), from a zero state. The windows
 * are shuffled each epoch (seeded).
 *
 * Split: windows over the first part of the text train, windows over the last `valFraction`
 * (at least window+1 tokens) validate, in order.
 */
import type { TokenBatch } from '../tensor';
import { deriveSeed, Rng } from '../random';
import type { TrainConfig } from '../config/settings';
import { emptyBatch, fillRow, permutation, tokenNoun, VALIDATION_TOKEN_CAP, type Batch, type Batcher, type DataPlan } from './batcher';
import type { Corpus } from './corpus';
import { assertLongEnough, splitTrainVal } from './streamBatcher';
import type { IdArray } from './tokenizer';

export class WindowsBatcher implements Batcher {
  /** Number of windows: starts at start, start + step, ... while a window and its next token fit. */
  readonly windowCount: number;
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  private readonly batch: TokenBatch;
  private order: { epoch: number; perm: Int32Array } | undefined;

  constructor(
    private readonly ids: IdArray,
    private readonly start: number,
    end: number,
    batchSize: number,
    readonly window: number,
    readonly step: number,
    private readonly seed: number,
    private readonly shuffle: boolean,
    maxWindows = Infinity,
  ) {
    this.windowCount = Math.min(maxWindows, Math.floor((end - start - window - 1) / step) + 1);
    this.batchSize = Math.max(1, Math.min(batchSize, this.windowCount));
    this.batchesPerEpoch = Math.floor(this.windowCount / this.batchSize);
    const mask = new Float32Array(this.batchSize * window);
    for (let b = 0; b < this.batchSize; b++) mask[b * window + window - 1] = 1;
    this.batch = emptyBatch(this.batchSize, window, mask);
  }

  get tokensPerEpoch(): number {
    return this.batchesPerEpoch * this.batchSize;
  }

  /** The start of window `w` (0-based, in text order). */
  windowStart(w: number): number {
    return this.start + w * this.step;
  }

  batchAt(epoch: number, index: number): Batch {
    const { ids, batch } = this;
    if (this.shuffle && this.order?.epoch !== epoch) {
      this.order = { epoch, perm: permutation(this.windowCount, new Rng(deriveSeed(this.seed, 6_000_000), epoch)) };
    }
    for (let b = 0; b < this.batchSize; b++) {
      const w = index * this.batchSize + b;
      fillRow(batch, b, ids, this.windowStart(this.shuffle ? this.order!.perm[w] : w));
    }
    return { batch, carry: false };
  }
}

export function windowsPlan(corpus: Corpus, config: TrainConfig): DataPlan {
  const W = config.window;
  assertLongEnough(corpus, W + 1, 'window');
  const split = splitTrainVal(corpus.ids.length, config.valFraction, W + 1, corpus.validationFrom);
  const train = new WindowsBatcher(corpus.ids, split.trainStart, split.trainEnd, config.batchSize, W, config.windowStep, config.seed, true);
  // Validation costs `window` steps per predicted token: cap the steps, not the windows.
  const maxValWindows = Math.max(1, Math.floor(VALIDATION_TOKEN_CAP / W));
  const val = new WindowsBatcher(corpus.ids, split.valStart, split.valEnd, config.batchSize, W, config.windowStep, config.seed, false, maxValWindows);
  const noun = tokenNoun(corpus);
  return {
    train, val, trainTokens: split.trainEnd - split.trainStart, valTokens: split.valEnd - split.valStart,
    description: `windows mode: ${train.windowCount.toLocaleString('en-US')} windows of ${W} ${noun} every ${config.windowStep}, each predicting the next; ` +
      `validation on ${val.windowCount.toLocaleString('en-US')} windows over the last ${(split.valEnd - split.valStart).toLocaleString('en-US')} ${noun}`,
  };
}
