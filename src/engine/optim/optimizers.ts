/**
 * First-order optimizers over one flat parameter array (every backend exposes its parameters and
 * gradients that way). Each keeps its own per-parameter state in float64.
 * Formulas follow the usual library definitions (PyTorch / Keras), noted on each class.
 */
import type { FloatArray } from '../backends/types';
import type { TrainConfig } from '../../protocol/messages';

export type OptimizerName = TrainConfig['optimizer'];

export interface Optimizer {
  readonly name: OptimizerName;
  learningRate: number;
  /** params -= update(grads); call after the gradients of a step are final (clipped). */
  step(params: FloatArray, grads: FloatArray): void;
}

/** p -= lr·g */
export class Sgd implements Optimizer {
  readonly name = 'sgd';
  constructor(public learningRate: number) {}
  step(params: FloatArray, grads: FloatArray): void {
    for (let i = 0; i < params.length; i++) params[i] -= this.learningRate * grads[i];
  }
}

/** v = μ·v + g; p -= lr·v (PyTorch's momentum SGD). */
export class Momentum implements Optimizer {
  readonly name = 'momentum';
  private velocity: Float64Array;
  constructor(public learningRate: number, size: number, readonly momentum = 0.9) {
    this.velocity = new Float64Array(size);
  }
  step(params: FloatArray, grads: FloatArray): void {
    const v = this.velocity;
    for (let i = 0; i < params.length; i++) {
      v[i] = this.momentum * v[i] + grads[i];
      params[i] -= this.learningRate * v[i];
    }
  }
}

/** s = ρ·s + (1-ρ)·g²; p -= lr·g / (sqrt(s) + ε) (Keras defaults ρ = 0.9). */
export class RmsProp implements Optimizer {
  readonly name = 'rmsprop';
  private meanSquare: Float64Array;
  constructor(public learningRate: number, size: number, readonly rho = 0.9, readonly epsilon = 1e-7) {
    this.meanSquare = new Float64Array(size);
  }
  step(params: FloatArray, grads: FloatArray): void {
    const s = this.meanSquare;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      s[i] = this.rho * s[i] + (1 - this.rho) * g * g;
      params[i] -= (this.learningRate * g) / (Math.sqrt(s[i]) + this.epsilon);
    }
  }
}

/** Bias-corrected Adam (Kingma & Ba): m, v moving averages of g and g². */
export class Adam implements Optimizer {
  readonly name = 'adam';
  private m: Float64Array;
  private v: Float64Array;
  private t = 0;
  constructor(public learningRate: number, size: number, readonly beta1 = 0.9, readonly beta2 = 0.999, readonly epsilon = 1e-8) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }
  step(params: FloatArray, grads: FloatArray): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    const { m, v, beta1, beta2 } = this;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] -= (this.learningRate * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + this.epsilon);
    }
  }
}

/** s += g²; p -= lr·g / (sqrt(s) + ε). */
export class Adagrad implements Optimizer {
  readonly name = 'adagrad';
  private sumSquares: Float64Array;
  constructor(public learningRate: number, size: number, readonly epsilon = 1e-10) {
    this.sumSquares = new Float64Array(size);
  }
  step(params: FloatArray, grads: FloatArray): void {
    const s = this.sumSquares;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      s[i] += g * g;
      params[i] -= (this.learningRate * g) / (Math.sqrt(s[i]) + this.epsilon);
    }
  }
}

/**
 * Adadelta (Zeiler 2012), as in the nonsense-language tutorial and PyTorch:
 * s = ρs + (1-ρ)g²; Δ = sqrt(d + ε)/sqrt(s + ε)·g; d = ρd + (1-ρ)Δ²; p -= lr·Δ (lr 1 is the paper's rule).
 */
export class Adadelta implements Optimizer {
  readonly name = 'adadelta';
  private meanSquare: Float64Array;
  private meanDelta: Float64Array;
  constructor(public learningRate: number, size: number, readonly rho = 0.95, readonly epsilon = 1e-6) {
    this.meanSquare = new Float64Array(size);
    this.meanDelta = new Float64Array(size);
  }
  step(params: FloatArray, grads: FloatArray): void {
    const { meanSquare: s, meanDelta: d, rho, epsilon } = this;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      s[i] = rho * s[i] + (1 - rho) * g * g;
      const delta = (Math.sqrt(d[i] + epsilon) / Math.sqrt(s[i] + epsilon)) * g;
      d[i] = rho * d[i] + (1 - rho) * delta * delta;
      params[i] -= this.learningRate * delta;
    }
  }
}

export function createOptimizer(name: OptimizerName, learningRate: number, size: number): Optimizer {
  switch (name) {
    case 'sgd': return new Sgd(learningRate);
    case 'momentum': return new Momentum(learningRate, size);
    case 'rmsprop': return new RmsProp(learningRate, size);
    case 'adam': return new Adam(learningRate, size);
    case 'adagrad': return new Adagrad(learningRate, size);
    case 'adadelta': return new Adadelta(learningRate, size);
    default: throw new RangeError(`unknown optimizer "${name as string}"`);
  }
}
