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
  /** Everything the next steps depend on besides the parameters (for checkpoints that resume). */
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
}

/** An optimizer's per-parameter buffers (copies) and its step count. */
export interface OptimizerState {
  name: OptimizerName;
  steps: number;
  buffers: Float64Array[];
}

/** Shared state handling: the buffers named by the subclass, and a step counter. */
abstract class Stateful {
  abstract readonly name: OptimizerName;
  protected t = 0;
  protected abstract buffers(): Float64Array[];
  getState(): OptimizerState {
    return { name: this.name, steps: this.t, buffers: this.buffers().map((b) => b.slice()) };
  }
  setState(state: OptimizerState): void {
    const own = this.buffers();
    if (state.name !== this.name || state.buffers.length !== own.length || state.buffers.some((b, i) => b.length !== own[i].length)) {
      throw new RangeError(`optimizer state for ${state.name} (${state.buffers.length} buffers) does not fit ${this.name}`);
    }
    own.forEach((b, i) => b.set(state.buffers[i]));
    this.t = state.steps;
  }
}

/** p -= lr·g */
export class Sgd extends Stateful implements Optimizer {
  readonly name = 'sgd';
  constructor(public learningRate: number) {
    super();
  }
  protected buffers(): Float64Array[] {
    return [];
  }
  step(params: FloatArray, grads: FloatArray): void {
    this.t++;
    for (let i = 0; i < params.length; i++) params[i] -= this.learningRate * grads[i];
  }
}

/** v = μ·v + g; p -= lr·v (PyTorch's momentum SGD). */
export class Momentum extends Stateful implements Optimizer {
  readonly name = 'momentum';
  private velocity: Float64Array;
  constructor(public learningRate: number, size: number, readonly momentum = 0.9) {
    super();
    this.velocity = new Float64Array(size);
  }
  protected buffers(): Float64Array[] {
    return [this.velocity];
  }
  step(params: FloatArray, grads: FloatArray): void {
    this.t++;
    const v = this.velocity;
    for (let i = 0; i < params.length; i++) {
      v[i] = this.momentum * v[i] + grads[i];
      params[i] -= this.learningRate * v[i];
    }
  }
}

/** s = ρ·s + (1-ρ)·g²; p -= lr·g / (sqrt(s) + ε) (Keras defaults ρ = 0.9). */
export class RmsProp extends Stateful implements Optimizer {
  readonly name = 'rmsprop';
  private meanSquare: Float64Array;
  constructor(public learningRate: number, size: number, readonly rho = 0.9, readonly epsilon = 1e-7) {
    super();
    this.meanSquare = new Float64Array(size);
  }
  protected buffers(): Float64Array[] {
    return [this.meanSquare];
  }
  step(params: FloatArray, grads: FloatArray): void {
    this.t++;
    const s = this.meanSquare;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      s[i] = this.rho * s[i] + (1 - this.rho) * g * g;
      params[i] -= (this.learningRate * g) / (Math.sqrt(s[i]) + this.epsilon);
    }
  }
}

/** Bias-corrected Adam (Kingma & Ba): m, v moving averages of g and g². */
export class Adam extends Stateful implements Optimizer {
  readonly name = 'adam';
  private m: Float64Array;
  private v: Float64Array;
  constructor(public learningRate: number, size: number, readonly beta1 = 0.9, readonly beta2 = 0.999, readonly epsilon = 1e-8) {
    super();
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }
  protected buffers(): Float64Array[] {
    return [this.m, this.v];
  }
  step(params: FloatArray, grads: FloatArray): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    // PyTorch's arrangement of the same update, lr/c1 * m / (sqrt(v)/sqrt(c2) + eps): one division
    // and one square root per parameter instead of three divisions (a million parameters take a
    // few ms a step, on one thread).
    const { m, v, beta1, beta2, epsilon } = this;
    const b1 = 1 - beta1, b2 = 1 - beta2;
    const stepSize = this.learningRate / c1, invSqrtC2 = 1 / Math.sqrt(c2);
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      const mi = beta1 * m[i] + b1 * g;
      const vi = beta2 * v[i] + b2 * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] -= (stepSize * mi) / (Math.sqrt(vi) * invSqrtC2 + epsilon);
    }
  }
}

/** s += g²; p -= lr·g / (sqrt(s) + ε). */
export class Adagrad extends Stateful implements Optimizer {
  readonly name = 'adagrad';
  private sumSquares: Float64Array;
  constructor(public learningRate: number, size: number, readonly epsilon = 1e-10) {
    super();
    this.sumSquares = new Float64Array(size);
  }
  protected buffers(): Float64Array[] {
    return [this.sumSquares];
  }
  step(params: FloatArray, grads: FloatArray): void {
    this.t++;
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
export class Adadelta extends Stateful implements Optimizer {
  readonly name = 'adadelta';
  private meanSquare: Float64Array;
  private meanDelta: Float64Array;
  constructor(public learningRate: number, size: number, readonly rho = 0.95, readonly epsilon = 1e-6) {
    super();
    this.meanSquare = new Float64Array(size);
    this.meanDelta = new Float64Array(size);
  }
  protected buffers(): Float64Array[] {
    return [this.meanSquare, this.meanDelta];
  }
  step(params: FloatArray, grads: FloatArray): void {
    this.t++;
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
