/**
 * The seam between the training loop and the maths. A Backend instantiates a Network for a
 * ModelSpec; every backend stores parameters and gradients as one flat array in the canonical
 * layout of `paramLayout(spec)` (see model/spec.ts), so optimizers, checkpoints and parity tests
 * work on every backend the same way.
 */
import type { TrainConfig } from '../config/settings';
import type { BackendSummary } from '../train/events';
import type { ModelSpec, ParamLayout } from '../model/spec';
import type { OptimizerState } from '../optim/optimizers';

// The array and batch shapes live on the engine's ground floor (engine/tensor.ts), imported from there.
import type { CarriedStateCopy, FloatArray, TokenBatch } from '../tensor';

export interface PassOptions {
  /**
   * Start from the state the previous call left (stream mode, same batch size) instead of zeros.
   * Either way the final state of this call is kept for the next one.
   */
  carryState: boolean;
  /** Apply dropout (training only). */
  train?: boolean;
  /** Seed for this pass's dropout masks, so runs are reproducible. */
  dropoutSeed?: number;
}

export interface LossResult {
  /** Sum of -ln p(target) over counted positions, in nats. */
  lossSum: number;
  /** Number of counted positions. */
  count: number;
}

/** Stateful single-step evaluation for sampling and the hover; batch of independent streams. */
export interface Stepper {
  readonly batchSize: number;
  /** Feeds one token per stream; returns the logits, `[batchSize * vocabSize]` (a view valid until the next call). */
  step(tokens: Int32Array): Float32Array;
  /** Zeros the state of every stream. */
  reset(): void;
  /** A copy of the state: per stream, per layer, `stateSizePerLayer` floats (LSTM: h then c). */
  getState(): Float32Array;
  setState(state: Float32Array): void;
  dispose(): void;
}

/** The update a device-resident network applies itself (see `Network.trainStep`). */
export interface UpdateRule {
  optimizer: TrainConfig['optimizer'];
  learningRate: number;
  /** Global-norm clipping threshold; 0 = off. */
  clipNorm: number;
}

export interface DeviceStepResult extends LossResult {
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

export interface Network {
  readonly spec: ModelSpec;
  readonly layout: ParamLayout;
  /** Live view of the parameters, canonical layout. Write into it, then call `paramsChanged()`. */
  readonly params: FloatArray;
  /** Live view of the gradients of the last `forwardBackward`, canonical layout (summed over counted positions / count). */
  readonly grads: FloatArray;
  /** Tells backends that keep a copy elsewhere (GPU) that `params` was modified. */
  paramsChanged(): void;
  /** Forward and backward over a batch; fills `grads` with d(mean loss)/d(params). */
  forwardBackward(batch: TokenBatch, options: PassOptions): LossResult;
  /** Forward only (no dropout, no gradients). */
  evaluate(batch: TokenBatch, options: PassOptions): LossResult;
  /** Forgets the carried state (next pass starts from zeros). */
  resetState(): void;
  /**
   * A copy of the state carried into the next pass (stream mode), for a checkpoint that resumes
   * mid-epoch: per row, per layer, `stateSizePerLayer` floats (LSTM: h then c); undefined when none.
   */
  getCarriedState?(): CarriedStateCopy | undefined;
  setCarriedState?(state: CarriedStateCopy | undefined): void;
  createStepper(batchSize: number): Stepper;
  /**
   * Optional, for backends that update their parameters themselves (the GPU; the WebAssembly
   * kernels, on all their threads): forward, backward, global-norm clipping and the optimizer update
   * in one call, with the optimizer state kept beside the parameters (same formulas as optim/). The
   * training loop uses it instead of its own clipping and optimizer.
   */
  trainStep?(batch: TokenBatch, options: PassOptions, rule: UpdateRule): DeviceStepResult;
  /** With `trainStep`: a copy of the optimizer state it keeps (for checkpoints), or undefined before the first step. */
  getOptimizerState?(): OptimizerState | undefined;
  /** With `trainStep`: continue from this optimizer state (a resumed checkpoint's). */
  setOptimizerState?(state: OptimizerState): void;
  dispose(): void;
}

export type BackendInfo = BackendSummary;

export interface Backend {
  readonly info: BackendInfo;
  /** `reserve`: the batch shape training will use, so a device backend can claim its memory up front (and fail early). */
  createNetwork(spec: ModelSpec, reserve?: { batchSize: number; steps: number }): Network;
  dispose(): void;
}
