/**
 * Batchers cut a corpus into minibatches, one file per data mode:
 *   stream   contiguous text, truncated BPTT, state carried (or random windows)  streamBatcher.ts
 *   lines    one line (sentence) per row, framed, padded and masked              linesBatcher.ts
 *   windows  semi-redundant fixed windows, many-to-one                            windowsBatcher.ts
 * The run loop asks a batcher for batch `index` of epoch `epoch` and whether that batch continues
 * the rows of the previous one (so the recurrent state carries over). Batches depend only on
 * (seed, epoch, index), never on what was drawn before, so a resumed run sees the same batches.
 */
import type { TokenBatch } from '../tensor';
import type { TrainConfig } from '../config/settings';
import type { Corpus } from './corpus';
import type { IdArray } from './tokenizer';
import { linesPlan } from './linesBatcher';
import { streamPlan } from './streamBatcher';
import { windowsPlan } from './windowsBatcher';

export interface Batch {
  batch: TokenBatch;
  /** Start from the state the previous batch left (same rows continued). */
  carry: boolean;
}

export interface Batcher {
  /** Batches (optimizer steps, for training) in one epoch. */
  readonly batchesPerEpoch: number;
  /** Counted (predicted) positions in one epoch. */
  readonly tokensPerEpoch: number;
  /** Batch `index` (0-based) of epoch `epoch` (0-based). The returned arrays may be reused by the next call. */
  batchAt(epoch: number, index: number): Batch;
}

/** How a corpus feeds a run: the training and validation batchers and how the text was split. */
export interface DataPlan {
  train: Batcher;
  /** Evaluated in full (epoch 0, every batch) at each evaluation. */
  val: Batcher;
  /** Tokens in the training and validation parts. */
  trainTokens: number;
  valTokens: number;
  /** Lines mode: the number of validation sentences (for the loss per sentence). */
  valSentences?: number;
  /** The split and the batching, in words (for the log). */
  description: string;
}

/** The data plan for this corpus and config; throws a UserInputError naming the setting when the text cannot feed it. */
export function planData(corpus: Corpus, config: TrainConfig): DataPlan {
  if (config.mode === 'lines') return linesPlan(corpus, config);
  if (config.mode === 'windows') return windowsPlan(corpus, config);
  return streamPlan(corpus, config);
}

/** Validation reads at most this many tokens, so an evaluation costs about the same on a 100 MB file as on a 100 KB one. */
export const VALIDATION_TOKEN_CAP = 64 * 1024;

export function tokenNoun(corpus: Corpus): string {
  return corpus.tokenizer.kind === 'word' ? 'words' : 'characters';
}

/** A reusable batch of `batchSize` rows of `steps` tokens, filled in place by a batcher. */
export function emptyBatch(batchSize: number, steps: number, mask?: Float32Array): TokenBatch {
  const size = batchSize * steps;
  return { batchSize, steps, inputs: new Int32Array(size), targets: new Int32Array(size), ...(mask ? { mask } : {}) };
}

/** Row `row` of a batch: `batch.steps` tokens from `from` as inputs, each one's next token as its target. */
export function fillRow(batch: TokenBatch, row: number, ids: IdArray, from: number): void {
  const T = batch.steps;
  batch.inputs.set(ids.subarray(from, from + T), row * T);
  batch.targets.set(ids.subarray(from + 1, from + T + 1), row * T);
}

/** A seeded permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, rng: { int(n: number): number }): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
