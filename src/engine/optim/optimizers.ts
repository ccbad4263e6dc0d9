/**
 * First-order optimizers over one flat parameter array (every backend exposes its parameters and
 * gradients that way). Each keeps its own per-parameter state in float64, in plain arrays or where
 * `placeState` puts it.
 * Formulas follow the usual library definitions (PyTorch / Keras), noted on each class.
 */
import type { FloatArray } from '../tensor';
import type { TrainConfig } from '../config/settings';

export type OptimizerName = TrainConfig['optimizer'];

export interface Optimizer {
  readonly name: OptimizerName;
  learningRate: number;
  /** params -= update(grads); call after the gradients of a step are final (clipped). */
  step(params: FloatArray, grads: FloatArray): void;
  /**
   * Counts a step and returns its scalars (learning rate, decay rates, bias corrections), computed
   * once in float64. `step` applies them itself; an engine that runs the per-parameter update
   * elsewhere (the WebAssembly kernels, kernels/update.c) takes them from here, so both compute
   * every number the same way.
   */
  nextStep(): number[];
  /** The per-parameter state, in the order `getState` lists it (allocated on first use). */
  stateArrays(): Float64Array[];
  /** Puts the state where `allocate` says (zero-filled arrays); only before it is first used. */
  placeState(allocate: StateAllocator): void;
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

/** Where the per-parameter state lives: plain arrays, or views of memory an engine updates in place. */
export type StateAllocator = (size: number) => Float64Array;

/** The optimizers' fixed hyperparameters (the GPU kernels take theirs from here too). */
export const OPTIMIZER_DEFAULTS = {
  momentum: { momentum: 0.9 },
  rmsprop: { rho: 0.9, epsilon: 1e-7 },
  adam: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  adagrad: { epsilon: 1e-10 },
  adadelta: { rho: 0.95, epsilon: 1e-6 },
} as const;

/** How many float64 arrays of per-parameter state each optimizer keeps. */
export const OPTIMIZER_STATE_ARRAYS: Record<OptimizerName, number> = { sgd: 0, momentum: 1, rmsprop: 1, adam: 2, adagrad: 1, adadelta: 2 };

/** Shared state handling: the per-parameter arrays, allocated on first use, and a step counter. */
abstract class Stateful {
  abstract readonly name: OptimizerName;
  protected t = 0;
  private state: Float64Array[] | undefined;
  private allocate: StateAllocator = (size) => new Float64Array(size);

  constructor(private readonly size: number) {}

  placeState(allocate: StateAllocator): void {
    if (this.state) throw new Error('the optimizer state is already allocated');
    this.allocate = allocate;
  }
  stateArrays(): Float64Array[] {
    this.state ??= Array.from({ length: OPTIMIZER_STATE_ARRAYS[this.name] }, () => this.allocate(this.size));
    return this.state;
  }
  getState(): OptimizerState {
    return { name: this.name, steps: this.t, buffers: this.stateArrays().map((b) => b.slice()) };
  }
  setState(state: OptimizerState): void {
    const own = this.stateArrays();
    if (state.name !== this.name || state.buffers.length !== own.length || state.buffers.some((b, i) => b.length !== own[i].length)) {
      throw new RangeError(`optimizer state for ${state.name} (${state.buffers.length} buffers) does not fit ${this.name}`);
    }
    own.forEach((b, i) => b.set(state.buffers[i]));
    this.t = state.steps;
  }
}

// Each `step` below reads its scalars from `nextStep()` and keeps JavaScript's order of operations
// (a * b * c is (a * b) * c); kernels/update.c repeats each loop in that order, in float64, so the
// WebAssembly engine's update gives the same bits.

/** p -= lr·g */
export class Sgd extends Stateful implements Optimizer {
  readonly name = 'sgd';
  constructor(public learningRate: number, size = 0) {
    super(size);
  }
  /** [lr] */
  nextStep(): number[] {
    this.t++;
    return [this.learningRate];
  }
  step(params: FloatArray, grads: FloatArray): void {
    const [lr] = this.nextStep();
    for (let i = 0; i < params.length; i++) params[i] -= lr * grads[i];
  }
}

/** v = μ·v + g; p -= lr·v (PyTorch's momentum SGD). */
export class Momentum extends Stateful implements Optimizer {
  readonly name = 'momentum';
  constructor(public learningRate: number, size: number, readonly momentum: number = OPTIMIZER_DEFAULTS.momentum.momentum) {
    super(size);
  }
  /** [lr, μ] */
  nextStep(): number[] {
    this.t++;
    return [this.learningRate, this.momentum];
  }
  step(params: FloatArray, grads: FloatArray): void {
    const [lr, mu] = this.nextStep();
    const [v] = this.stateArrays();
    for (let i = 0; i < params.length; i++) {
      v[i] = mu * v[i] + grads[i];
      params[i] -= lr * v[i];
    }
  }
}

/** s = ρ·s + (1-ρ)·g²; p -= lr·g / (sqrt(s) + ε) (Keras defaults ρ = 0.9). */
export class RmsProp extends Stateful implements Optimizer {
  readonly name = 'rmsprop';
  constructor(public learningRate: number, size: number, readonly rho: number = OPTIMIZER_DEFAULTS.rmsprop.rho, readonly epsilon: number = OPTIMIZER_DEFAULTS.rmsprop.epsilon) {
    super(size);
  }
  /** [lr, ρ, 1-ρ, ε] */
  nextStep(): number[] {
    this.t++;
    return [this.learningRate, this.rho, 1 - this.rho, this.epsilon];
  }
  step(params: FloatArray, grads: FloatArray): void {
    const [lr, rho, rho1, epsilon] = this.nextStep();
    const [s] = this.stateArrays();
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      s[i] = rho * s[i] + rho1 * g * g;
      params[i] -= (lr * g) / (Math.sqrt(s[i]) + epsilon);
    }
  }
}

/** Bias-corrected Adam (Kingma & Ba): m, v moving averages of g and g². */
export class Adam extends Stateful implements Optimizer {
  readonly name = 'adam';
  constructor(
    public learningRate: number,
    size: number,
    readonly beta1: number = OPTIMIZER_DEFAULTS.adam.beta1,
    readonly beta2: number = OPTIMIZER_DEFAULTS.adam.beta2,
    readonly epsilon: number = OPTIMIZER_DEFAULTS.adam.epsilon,
  ) {
    super(size);
  }
  /**
   * [lr/c1, β1, 1-β1, β2, 1-β2, 1/sqrt(c2), ε] with c = 1 - β^t: PyTorch's arrangement of the
   * update, lr/c1 · m / (sqrt(v)/sqrt(c2) + ε), one division per parameter instead of three.
   */
  nextStep(): number[] {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    return [this.learningRate / c1, this.beta1, 1 - this.beta1, this.beta2, 1 - this.beta2, 1 / Math.sqrt(c2), this.epsilon];
  }
  step(params: FloatArray, grads: FloatArray): void {
    const [stepSize, beta1, b1, beta2, b2, invSqrtC2, epsilon] = this.nextStep();
    const [m, v] = this.stateArrays();
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
  constructor(public learningRate: number, size: number, readonly epsilon: number = OPTIMIZER_DEFAULTS.adagrad.epsilon) {
    super(size);
  }
  /** [lr, ε] */
  nextStep(): number[] {
    this.t++;
    return [this.learningRate, this.epsilon];
  }
  step(params: FloatArray, grads: FloatArray): void {
    const [lr, epsilon] = this.nextStep();
    const [s] = this.stateArrays();
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      s[i] += g * g;
      params[i] -= (lr * g) / (Math.sqrt(s[i]) + epsilon);
    }
  }
}

/**
 * Adadelta (Zeiler 2012), as in the nonsense-language tutorial and PyTorch:
 * s = ρs + (1-ρ)g²; Δ = sqrt(d + ε)/sqrt(s + ε)·g; d = ρd + (1-ρ)Δ²; p -= lr·Δ (lr 1 is the paper's rule).
 */
export class Adadelta extends Stateful implements Optimizer {
  readonly name = 'adadelta';
  constructor(public learningRate: number, size: number, readonly rho: number = OPTIMIZER_DEFAULTS.adadelta.rho, readonly epsilon: number = OPTIMIZER_DEFAULTS.adadelta.epsilon) {
    super(size);
  }
  /** [lr, ρ, 1-ρ, ε] */
  nextStep(): number[] {
    this.t++;
    return [this.learningRate, this.rho, 1 - this.rho, this.epsilon];
  }
  step(params: FloatArray, grads: FloatArray): void {
    const [lr, rho, rho1, epsilon] = this.nextStep();
    const [s, d] = this.stateArrays();
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      s[i] = rho * s[i] + rho1 * g * g;
      const delta = (Math.sqrt(d[i] + epsilon) / Math.sqrt(s[i] + epsilon)) * g;
      d[i] = rho * d[i] + rho1 * delta * delta;
      params[i] -= lr * delta;
    }
  }
}

export function createOptimizer(name: OptimizerName, learningRate: number, size: number): Optimizer {
  switch (name) {
    case 'sgd': return new Sgd(learningRate, size);
    case 'momentum': return new Momentum(learningRate, size);
    case 'rmsprop': return new RmsProp(learningRate, size);
    case 'adam': return new Adam(learningRate, size);
    case 'adagrad': return new Adagrad(learningRate, size);
    case 'adadelta': return new Adadelta(learningRate, size);
    default: throw new RangeError(`unknown optimizer "${name as string}"`);
  }
}
