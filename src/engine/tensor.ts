/**
 * The ground floor of the engine: the array and batch shapes every layer above shares (data
 * batchers, optimizers, checkpoints, backends). It imports nothing, so a module that only moves
 * numbers around does not depend on the backends' interfaces to name them.
 */

export type FloatArray = Float32Array | Float64Array;

/**
 * One minibatch of token ids, batch-major: row b is one sequence, `inputs[b * steps + t]`.
 * In stream mode each row continues the row of the previous batch (truncated BPTT).
 */
export interface TokenBatch {
  batchSize: number;
  steps: number;
  inputs: Int32Array;
  targets: Int32Array;
  /** 1 where the target counts, 0 for padding (lines mode). Absent: every position counts. */
  mask?: Float32Array;
}

/** The state a network carries from one batch into the next (stream mode), per row, per layer. */
export interface CarriedStateCopy {
  batchSize: number;
  values: Float32Array | Float64Array;
}
