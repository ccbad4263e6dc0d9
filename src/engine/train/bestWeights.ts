/**
 * The best validation loss so far, when it was reached, a copy of the weights that reached it,
 * and early stopping: a run stops when `patience` evaluations in a row did not improve on it
 * (0 = never). The hover, the samples and the final checkpoint then use these weights.
 */
import type { FloatArray } from '../tensor';

export class BestWeights {
  valLoss = Infinity;
  step = -1;
  /** Evaluations since the last improvement. */
  evalsSinceBest = 0;
  /** A copy in the network's own precision (float32 for the compiled backends). */
  private params: FloatArray | undefined;

  constructor(private readonly patience: number) {}

  /**
   * Records an evaluation; returns whether it is a new best. An extra evaluation off the regular
   * interval (the one at the end of a stopped run) does not count toward the patience, so a run
   * resumed from there stops where an uninterrupted one would.
   */
  record(step: number, valLoss: number, params: FloatArray, counts = true): boolean {
    if (valLoss < this.valLoss) {
      this.valLoss = valLoss;
      this.step = step;
      this.evalsSinceBest = 0;
      if (this.params?.length === params.length && this.params.constructor === params.constructor) this.params.set(params);
      else this.params = params.slice();
      return true;
    }
    if (counts) this.evalsSinceBest++;
    return false;
  }

  get shouldStop(): boolean {
    return this.patience > 0 && this.evalsSinceBest >= this.patience;
  }

  /** The best weights, or undefined before the first evaluation. */
  get weights(): FloatArray | undefined {
    return this.params;
  }

  restore(valLoss: number, step: number, evalsSinceBest: number, params: ArrayLike<number> | undefined): void {
    this.valLoss = valLoss;
    this.step = step;
    this.evalsSinceBest = evalsSinceBest;
    this.params = params === undefined ? undefined : params instanceof Float32Array || params instanceof Float64Array ? params.slice() : Float64Array.from(params);
  }
}
