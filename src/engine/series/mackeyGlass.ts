/**
 * The Mackey-Glass series exactly as the tutorial's `synthetic.mackey_glass(sample_len, tau, seed)`
 * makes it: dx/dt = 0.2·x(t-τ)/(1 + x(t-τ)^10) - 0.1·x(t), integrated by Euler with 10 sub-steps per
 * sample from a history of τ·10 values 1.2 + uniform(±0.1) and a current value of 1.2; every
 * sample is then squashed by tanh(x - 1). A seed reproduces NumPy's draws for that seed, so the
 * same seed gives the same series in both.
 */
import { MersenneTwister } from './mt19937';

export const MACKEY_GLASS_SUBSTEPS = 10;

export interface MackeyGlassOptions {
  /** The delay τ in samples (17: mild chaos; 30: moderate chaos). */
  tau?: number;
  /** Seeds the initial history's noise as `numpy.random.seed(seed)` does. */
  seed?: number;
  /** Use this initial history (τ·10 values, oldest first) instead of drawing one. */
  history?: ArrayLike<number>;
}

/** The initial history as the tutorial draws it: 1.2 + 0.2·(rand - 0.5) for each of τ·10 sub-steps. */
export function mackeyGlassHistory(tau: number, seed: number): Float64Array {
  const rng = new MersenneTwister(seed);
  const history = new Float64Array(tau * MACKEY_GLASS_SUBSTEPS);
  for (let i = 0; i < history.length; i++) history[i] = 1.2 + 0.2 * (rng.nextDouble() - 0.5);
  return history;
}

export function mackeyGlass(length: number, options: MackeyGlassOptions = {}): Float64Array {
  const tau = options.tau ?? 17;
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`the series length must be a positive integer (got ${length})`);
  if (!Number.isInteger(tau) || tau < 1) throw new RangeError(`tau must be a positive integer (got ${tau})`);
  const size = tau * MACKEY_GLASS_SUBSTEPS;
  const initial = options.history ?? mackeyGlassHistory(tau, options.seed ?? 0);
  if (initial.length !== size) throw new RangeError(`the initial history must hold tau·10 = ${size} values (got ${initial.length})`);
  // A ring buffer plays the tutorial's deque: the oldest value (x(t-τ)) leaves, the current one joins.
  const ring = Float64Array.from(initial);
  let oldest = 0;
  let x = 1.2;
  const out = new Float64Array(length);
  for (let t = 0; t < length; t++) {
    for (let k = 0; k < MACKEY_GLASS_SUBSTEPS; k++) {
      const xTau = ring[oldest];
      ring[oldest] = x;
      oldest = (oldest + 1) % size;
      x += (0.2 * xTau / (1 + xTau ** 10) - 0.1 * x) / MACKEY_GLASS_SUBSTEPS;
    }
    out[t] = Math.tanh(x - 1);
  }
  return out;
}
