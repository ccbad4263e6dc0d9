/**
 * What the lab minimises: the mean squared error of the one-step-ahead predictions on the training
 * series plus a weight penalty on every parameter (biases included, as the tutorial's
 * `l2 = sum((p**2).sum() for p in parameters)`): l2·Σp² + l1·Σ|p|.
 */
import type { DifferentiableFunction } from '../optim/lbfgs';
import type { SeriesModel } from './model';

export interface Penalty {
  l2: number;
  l1: number;
}

export function penaltyValue(p: Float64Array, penalty: Penalty): number {
  let squares = 0;
  let absolutes = 0;
  for (let i = 0; i < p.length; i++) {
    squares += p[i] * p[i];
    absolutes += Math.abs(p[i]);
  }
  return penalty.l2 * squares + penalty.l1 * absolutes;
}

/** Adds the penalty's gradient, 2·l2·p + l1·sign(p), to `grad`. */
export function addPenaltyGradient(p: Float64Array, penalty: Penalty, grad: Float64Array): void {
  for (let i = 0; i < p.length; i++) grad[i] += 2 * penalty.l2 * p[i] + penalty.l1 * Math.sign(p[i]);
}

export class SeriesObjective implements DifferentiableFunction {
  /** The training MSE at the last evaluated point (the objective without the penalty). */
  lastMse = NaN;

  constructor(readonly model: SeriesModel, readonly train: Float64Array, readonly penalty: Penalty) {}

  value(p: Float64Array): number {
    this.lastMse = this.model.mse(p, this.train);
    return this.lastMse + penaltyValue(p, this.penalty);
  }

  valueAndGradient(p: Float64Array, grad: Float64Array): number {
    this.lastMse = this.model.mseAndGradient(p, this.train, grad);
    addPenaltyGradient(p, this.penalty, grad);
    return this.lastMse + penaltyValue(p, this.penalty);
  }
}
