/**
 * The stream data mode (truncated BPTT over contiguous text, as char-rnn does).
 *
 * Split: the first part of the ids trains, the last `valFraction` (at least seqLength+1 chars)
 * validates. Training: the training ids are cut into B contiguous segments, one per batch row;
 * each batch takes the next seqLength characters of every segment, so row b of a batch continues
 * row b of the previous batch and the recurrent state is carried between them. An epoch is one
 * pass over the segments; the next epoch starts again from their beginnings with a fresh state.
 * Small texts get fewer rows (at least one) rather than failing.
 *
 * Validation: the same layout over the validation slice, capped at VALIDATION_CHAR_CAP
 * characters so that an evaluation costs about the same on a 100 MB file as on a 100 KB one.
 */
import type { TokenBatch } from '../backends/types';
import type { IdArray } from './vocab';

export const VALIDATION_CHAR_CAP = 64 * 1024;

export interface Split {
  trainStart: number;
  trainEnd: number;
  valStart: number;
  valEnd: number;
}

export function splitTrainVal(length: number, valFraction: number, seqLength: number): Split {
  const valChars = Math.min(length - (seqLength + 1), Math.max(seqLength + 1, Math.floor(length * valFraction)));
  const trainEnd = length - valChars;
  return { trainStart: 0, trainEnd, valStart: trainEnd, valEnd: length };
}

/** B parallel contiguous streams over ids[start, end), T steps per batch. */
export class StreamBatcher {
  readonly batchSize: number;
  readonly segmentLength: number;
  readonly batchesPerEpoch: number;
  private readonly batch: TokenBatch;

  constructor(private readonly ids: IdArray, private readonly start: number, end: number, batchSize: number, readonly steps: number) {
    const n = end - start;
    // Each row needs steps+1 characters (inputs plus the shifted targets).
    this.batchSize = Math.max(1, Math.min(batchSize, Math.floor((n - 1) / steps)));
    this.segmentLength = Math.floor((n - 1) / this.batchSize);
    this.batchesPerEpoch = Math.floor(this.segmentLength / steps);
    if (this.batchesPerEpoch < 1) throw new RangeError(`${n} characters are too few for one row of ${steps + 1}`);
    const size = this.batchSize * steps;
    this.batch = { batchSize: this.batchSize, steps, inputs: new Int32Array(size), targets: new Int32Array(size) };
  }

  /** Characters covered by one epoch's inputs. */
  get charsPerEpoch(): number {
    return this.batchesPerEpoch * this.batchSize * this.steps;
  }

  /** Batch `index` (0-based within an epoch); the returned object is reused by the next call. */
  batchAt(index: number): TokenBatch {
    const { ids, steps: T, batch } = this;
    for (let b = 0; b < this.batchSize; b++) {
      const from = this.start + b * this.segmentLength + index * T;
      for (let t = 0; t < T; t++) {
        batch.inputs[b * T + t] = ids[from + t];
        batch.targets[b * T + t] = ids[from + t + 1];
      }
    }
    return batch;
  }
}

/** The validation batches: the capped slice as carried-state streams. */
export function validationBatcher(ids: IdArray, split: Split, batchSize: number, steps: number): StreamBatcher {
  const end = Math.min(split.valEnd, split.valStart + VALIDATION_CHAR_CAP);
  return new StreamBatcher(ids, split.valStart, end, batchSize, steps);
}
