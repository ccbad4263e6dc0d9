/**
 * Quasi-Newton minimisation of a smooth function of a flat float64 vector: BFGS (a dense inverse
 * Hessian, as SciPy's `fmin_bfgs`) or L-BFGS (the last m correction pairs, two-loop recursion).
 * Both take steps that satisfy the strong Wolfe conditions (Nocedal & Wright, algorithms 3.5 and
 * 3.6: bracketing, then zooming by safeguarded cubic interpolation), and report what `fmin_bfgs`
 * reports: iterations, function and gradient evaluations, and why they stopped, with SciPy's words.
 */

export interface DifferentiableFunction {
  /** f(x), and ∇f(x) written into `grad`. */
  valueAndGradient(x: Float64Array, grad: Float64Array): number;
}

export const quasiNewtonMethods = ['bfgs', 'lbfgs'] as const;
export type QuasiNewtonMethod = (typeof quasiNewtonMethods)[number];

export interface QuasiNewtonOptions {
  method: QuasiNewtonMethod;
  /** Stop when the largest gradient component is at most this (SciPy's default 1e-5). */
  gtol?: number;
  /** Iteration limit (SciPy's default is 200 per variable). */
  maxIterations?: number;
  /** L-BFGS: correction pairs kept. */
  memory?: number;
  /** Wolfe constants: sufficient decrease and curvature. */
  c1?: number;
  c2?: number;
  /** Dense BFGS stores n² numbers; above this many variables use L-BFGS. */
  maxDenseSize?: number;
  /** Called after each iteration by `minimize`; returning false stops the run (reported as stopped). */
  onIteration?: (info: IterationInfo) => boolean | void;
}

export interface IterationInfo {
  iteration: number;
  value: number;
  gradNorm: number;
  functionEvaluations: number;
  gradientEvaluations: number;
  x: Float64Array;
}

export type QuasiNewtonStatus = 'converged' | 'maxIterations' | 'precisionLoss' | 'nan' | 'stopped';

export interface QuasiNewtonResult {
  x: Float64Array;
  value: number;
  /** Largest gradient component at `x`. */
  gradNorm: number;
  iterations: number;
  functionEvaluations: number;
  gradientEvaluations: number;
  status: QuasiNewtonStatus;
  /** SciPy's wording of the status. */
  message: string;
}

export const statusMessages: Record<QuasiNewtonStatus, string> = {
  converged: 'Optimization terminated successfully.',
  maxIterations: 'Maximum number of iterations has been exceeded.',
  precisionLoss: 'Desired error not necessarily achieved due to precision loss.',
  nan: 'NaN result encountered.',
  stopped: 'Stopped on request.',
};

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const maxAbs = (a: Float64Array) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};

/** Runs to the end in one call. */
export function minimize(fn: DifferentiableFunction, x0: Float64Array, options: QuasiNewtonOptions): QuasiNewtonResult {
  const iterations = quasiNewtonIterations(fn, x0, options);
  let stop = false;
  for (;;) {
    const next = iterations.next(stop);
    if (next.done) return next.value;
    stop = options.onIteration?.(next.value) === false;
  }
}

/**
 * The same minimisation one iteration at a time, so a caller can yield to its event loop between
 * iterations (a stop request is then heard): yields after each iteration; `next(true)` stops it.
 */
export function* quasiNewtonIterations(fn: DifferentiableFunction, x0: Float64Array, options: QuasiNewtonOptions): Generator<IterationInfo, QuasiNewtonResult, boolean | undefined> {
  const n = x0.length;
  const gtol = options.gtol ?? 1e-5;
  const maxIterations = options.maxIterations ?? 200 * n;
  const c1 = options.c1 ?? 1e-4;
  const c2 = options.c2 ?? 0.9;
  const maxDense = options.maxDenseSize ?? 4000;
  if (options.method === 'bfgs' && n > maxDense) {
    throw new RangeError(`BFGS keeps a dense ${n}×${n} matrix; above ${maxDense} parameters use L-BFGS`);
  }
  let evaluations = 0;
  const evaluate = (x: Float64Array, g: Float64Array) => {
    evaluations++;
    return fn.valueAndGradient(x, g);
  };

  let x: Float64Array = Float64Array.from(x0);
  let g: Float64Array = new Float64Array(n);
  let f = evaluate(x, g);
  const direction = new Float64Array(n);
  const inverse = new QuasiNewtonMemory(options.method, n, options.memory ?? 10);
  // SciPy's first step guess: as if the previous step had decreased f by |g|/2.
  let fPrevious = f + Math.sqrt(dot(g, g)) / 2;
  let iterations = 0;
  let status: QuasiNewtonStatus | undefined;
  const result = (): QuasiNewtonResult => ({
    x, value: f, gradNorm: maxAbs(g), iterations, functionEvaluations: evaluations, gradientEvaluations: evaluations,
    status: status!, message: statusMessages[status!],
  });
  if (!Number.isFinite(f)) {
    status = 'nan';
    return result();
  }
  while (maxAbs(g) > gtol) {
    if (iterations >= maxIterations) {
      status = 'maxIterations';
      break;
    }
    inverse.apply(g, direction);
    for (let i = 0; i < n; i++) direction[i] = -direction[i];
    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (round-off in the curvature pairs): start again from steepest descent.
      inverse.reset();
      for (let i = 0; i < n; i++) direction[i] = -g[i];
      slope = -dot(g, g);
    }
    const guess = Math.min(1, (1.01 * 2 * (f - fPrevious)) / slope);
    const step = wolfeLineSearch(evaluate, x, f, g, direction, slope, guess > 0 ? guess : 1, c1, c2);
    if (!step) {
      status = 'precisionLoss';
      break;
    }
    iterations++;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = step.x[i] - x[i];
      y[i] = step.g[i] - g[i];
    }
    fPrevious = f;
    x = step.x;
    g = step.g;
    f = step.f;
    if (!Number.isFinite(f)) {
      status = 'nan';
      break;
    }
    inverse.update(s, y);
    const stop = yield { iteration: iterations, value: f, gradNorm: maxAbs(g), functionEvaluations: evaluations, gradientEvaluations: evaluations, x };
    if (stop) {
      status = 'stopped';
      break;
    }
  }
  status ??= 'converged';
  return result();
}

/** The inverse-Hessian approximation: a dense matrix (BFGS) or the last m pairs (L-BFGS). */
class QuasiNewtonMemory {
  private dense: Float64Array | undefined;
  private pairs: Array<{ s: Float64Array; y: Float64Array; rho: number }> = [];
  private readonly alpha: Float64Array;

  constructor(private readonly method: QuasiNewtonMethod, private readonly n: number, private readonly memory: number) {
    this.alpha = new Float64Array(memory);
    this.reset();
  }

  reset(): void {
    this.pairs = [];
    if (this.method === 'bfgs') {
      this.dense = new Float64Array(this.n * this.n);
      for (let i = 0; i < this.n; i++) this.dense[i * this.n + i] = 1;
    }
  }

  /** out = H·g */
  apply(g: Float64Array, out: Float64Array): void {
    const n = this.n;
    if (this.dense) {
      const H = this.dense;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += H[i * n + j] * g[j];
        out[i] = s;
      }
      return;
    }
    // Two-loop recursion, with H0 = γI, γ = sᵀy / yᵀy of the newest pair.
    out.set(g);
    const k = this.pairs.length;
    for (let i = k - 1; i >= 0; i--) {
      const { s, y, rho } = this.pairs[i];
      const a = rho * dot(s, out);
      this.alpha[i] = a;
      for (let j = 0; j < n; j++) out[j] -= a * y[j];
    }
    if (k > 0) {
      const { s, y } = this.pairs[k - 1];
      const gamma = dot(s, y) / dot(y, y);
      for (let j = 0; j < n; j++) out[j] *= gamma;
    }
    for (let i = 0; i < k; i++) {
      const { s, y, rho } = this.pairs[i];
      const b = rho * dot(y, out);
      for (let j = 0; j < n; j++) out[j] += (this.alpha[i] - b) * s[j];
    }
  }

  update(s: Float64Array, y: Float64Array): void {
    const sy = dot(s, y);
    // The Wolfe curvature condition makes sᵀy > 0; skip a pair that round-off spoilt.
    if (!(sy > 0)) return;
    const rho = 1 / sy;
    if (!this.dense) {
      this.pairs.push({ s, y, rho });
      if (this.pairs.length > this.memory) this.pairs.shift();
      return;
    }
    // H ← (I - ρ s yᵀ) H (I - ρ y sᵀ) + ρ s sᵀ, expanded: H - ρ(s (Hy)ᵀ + (Hy) sᵀ) + (ρ² yᵀHy + ρ) s sᵀ.
    const n = this.n;
    const H = this.dense;
    const Hy = new Float64Array(n);
    this.apply(y, Hy);
    const yHy = dot(y, Hy);
    const k = rho * rho * yHy + rho;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) H[i * n + j] += -rho * (s[i] * Hy[j] + Hy[i] * s[j]) + k * s[i] * s[j];
    }
  }
}

interface Step {
  alpha: number;
  x: Float64Array;
  f: number;
  g: Float64Array;
}

/**
 * A step length α along `p` that satisfies the strong Wolfe conditions
 *   f(x + αp) <= f(x) + c1·α·∇fᵀp   and   |∇f(x + αp)ᵀp| <= c2·|∇fᵀp|,
 * or undefined when none is found (the function is flat to round-off along p, or not smooth).
 */
function wolfeLineSearch(
  evaluate: (x: Float64Array, g: Float64Array) => number,
  x: Float64Array, f0: number, g0: Float64Array, p: Float64Array, slope0: number, firstAlpha: number, c1: number, c2: number,
): Step | undefined {
  const n = x.length;
  const at = (alpha: number): Step & { slope: number } => {
    const xa = new Float64Array(n);
    for (let i = 0; i < n; i++) xa[i] = x[i] + alpha * p[i];
    const ga = new Float64Array(n);
    const fa = evaluate(xa, ga);
    return { alpha, x: xa, f: fa, g: ga, slope: dot(ga, p) };
  };
  const start = { alpha: 0, x, f: f0, g: g0, slope: slope0 };
  const maxBracket = 20;
  const maxAlpha = 1e10;
  let previous = start;
  let alpha = firstAlpha;
  for (let i = 0; i < maxBracket; i++) {
    const current = at(alpha);
    if (!Number.isFinite(current.f) || current.f > f0 + c1 * alpha * slope0 || (i > 0 && current.f >= previous.f)) {
      return zoom(previous, current);
    }
    if (Math.abs(current.slope) <= -c2 * slope0) return current;
    if (current.slope >= 0) return zoom(current, previous);
    previous = current;
    alpha = Math.min(2 * alpha, maxAlpha);
  }
  return undefined;

  /** Narrows [lo, hi] (lo has the lower f and satisfies sufficient decrease) until a Wolfe point. */
  function zoom(lo: Step & { slope: number }, hi: Step & { slope: number }): Step | undefined {
    for (let j = 0; j < 30; j++) {
      const width = hi.alpha - lo.alpha;
      if (Math.abs(width) < 1e-14 * Math.max(1, Math.abs(lo.alpha))) return undefined;
      let trial = Number.isFinite(hi.f) ? cubicMinimizer(lo, hi) : NaN;
      // Safeguard: stay inside the middle 80% of the bracket, else bisect.
      const a = Math.min(lo.alpha, hi.alpha), b = Math.max(lo.alpha, hi.alpha);
      const margin = 0.1 * (b - a);
      if (!Number.isFinite(trial) || trial < a + margin || trial > b - margin) trial = lo.alpha + width / 2;
      const current = at(trial);
      if (!Number.isFinite(current.f) || current.f > f0 + c1 * trial * slope0 || current.f >= lo.f) {
        hi = current;
      } else {
        if (Math.abs(current.slope) <= -c2 * slope0) return current;
        if (current.slope * (hi.alpha - lo.alpha) >= 0) hi = lo;
        lo = current;
      }
    }
    return undefined;
  }
}

/** Minimiser of the cubic through (a, fa, da) and (b, fb, db); NaN when it has none. */
function cubicMinimizer(p: { alpha: number; f: number; slope: number }, q: { alpha: number; f: number; slope: number }): number {
  const d1 = p.slope + q.slope - (3 * (p.f - q.f)) / (p.alpha - q.alpha);
  const disc = d1 * d1 - p.slope * q.slope;
  if (disc < 0) return NaN;
  const d2 = Math.sign(q.alpha - p.alpha) * Math.sqrt(disc);
  return q.alpha - (q.alpha - p.alpha) * ((q.slope + d2 - d1) / (q.slope - p.slope + 2 * d2));
}
