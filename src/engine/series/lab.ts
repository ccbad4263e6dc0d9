/**
 * One run of the time-series lab, as the tutorial does it: split the series (first 75% to train,
 * the rest to validate), train by full-batch gradient descent (or another first-order optimizer),
 * optionally continue with BFGS / L-BFGS from there, then predict the whole series and let the
 * network run free after the training part. Reports go to `onReport` as they happen; the CLI, the
 * Lab panel's child process and the tests all drive this one function.
 */
import { createOptimizer } from '../optim/optimizers';
import { quasiNewtonIterations, statusMessages, type QuasiNewtonMethod, type QuasiNewtonStatus } from '../optim/lbfgs';
import { Rng } from '../random';
import { UserInputError } from '../text/errors';
import { freeRun } from './generate';
import { describeRule, firstInvalid } from '../config/validate';
import { initSeriesParams, SeriesModel } from './model';
import { penaltyValue, SeriesObjective } from './objective';
import type { Series } from './read';
import { seriesLabSettings, type FirstOrderOptimizer, type SeriesLabConfig } from './settings';

// The config and its defaults are derived from the settings table (series/settings.ts).
export {
  defaultSeriesConfig, firstOrderOptimizers, seriesOptimizers, thenChoices,
  type FirstOrderOptimizer, type SeriesLabConfig, type SeriesOptimizer, type ThenChoice,
} from './settings';

export type Phase = 'gd' | QuasiNewtonMethod;

export interface SeriesReport {
  phase: Phase;
  /** Gradient-descent epoch (phase "gd"). */
  epoch?: number;
  /** Quasi-Newton iteration (phases "lbfgs", "bfgs"). */
  iteration?: number;
  trainMse: number;
  valMse: number;
  /** Training MSE plus the weight penalty: what is minimised. */
  objective: number;
  functionEvaluations?: number;
  gradientEvaluations?: number;
}

export interface QuasiNewtonSummary {
  method: QuasiNewtonMethod;
  iterations: number;
  functionEvaluations: number;
  gradientEvaluations: number;
  status: QuasiNewtonStatus;
  message: string;
  objective: number;
  gradNorm: number;
  trainMse: number;
  valMse: number;
  seconds: number;
}

export interface GradientDescentSummary {
  optimizer: FirstOrderOptimizer;
  epochs: number;
  trainMse: number;
  valMse: number;
  objective: number;
  seconds: number;
  diverged: boolean;
}

export interface SeriesLabResult {
  config: SeriesLabConfig;
  seriesName: string;
  columns: number;
  trainPoints: number;
  valPoints: number;
  parameterCount: number;
  reports: SeriesReport[];
  gd?: GradientDescentSummary;
  quasiNewton?: QuasiNewtonSummary;
  /** The quasi-Newton method alone from the same initial weights (with `compare`). */
  comparison?: QuasiNewtonSummary;
  trainMse: number;
  valMse: number;
  /** The whole series, and the predictions of a pass over it from the zero state (row t predicts row t+1). */
  series: Float64Array;
  predictions: Float64Array;
  /** Free-running continuation from `start` (a row of the whole series), with the true rows where known. */
  continuation: { start: number; predicted: Float64Array; truth: Float64Array; mse: number };
  params: Float64Array;
}

export interface SeriesLabEvents {
  onReport?(report: SeriesReport): void;
  /** Asked between epochs and iterations; true stops the run early (what is done so far is kept). */
  shouldStop?(): boolean;
}

/** How long the computation runs before it lets the event loop in (signals, messages, output). */
const YIELD_EVERY_MS = 50;

/** Resolves on the next turn of the event loop when YIELD_EVERY_MS have passed since the last one. */
function makeYielder(): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    if (performance.now() - last < YIELD_EVERY_MS) return undefined;
    return new Promise<void>((resolve) => setImmediate(() => { last = performance.now(); resolve(); }));
  };
}

/** Gradient descent stops as diverged when the objective grows past this multiple of its first value. */
export const SERIES_DIVERGENCE_FACTOR = 1000;

/** Checks the numbers a user can set; messages name the CLI flag. */
/** Throws a UserInputError naming the flag of the first setting out of its declared range or choices. */
export function validateSeriesConfig(c: SeriesLabConfig): void {
  const invalid = firstInvalid(seriesLabSettings, c);
  if (!invalid) return;
  const setting = seriesLabSettings[invalid.key];
  throw new UserInputError(`--${setting.flag} must be ${describeRule(setting)} (got ${String(invalid.value)})`);
}

/** Splits a series into its training part (the start) and validation part (the end). */
export function splitSeries(series: Series, valFraction: number): { train: Float64Array; val: Float64Array; trainPoints: number } {
  const D = series.columns;
  const T = series.values.length / D;
  const trainPoints = Math.round(T * (1 - valFraction));
  if (trainPoints < 10 || T - trainPoints < 3) {
    throw new UserInputError(`${series.name}: ${T} points split ${trainPoints}/${T - trainPoints} leaves too little to train or validate on; use a longer series or another --val-fraction`);
  }
  return { train: series.values.slice(0, trainPoints * D), val: series.values.slice(trainPoints * D), trainPoints };
}

export async function runSeriesLab(series: Series, config: SeriesLabConfig, events: SeriesLabEvents = {}): Promise<SeriesLabResult> {
  validateSeriesConfig(config);
  const D = series.columns;
  const T = series.values.length / D;
  const { train, val, trainPoints } = splitSeries(series, config.valFraction);
  const model = new SeriesModel({ cell: config.cell, inputSize: D, hiddenSize: config.hiddenSize, activation: config.activation, direct: config.direct });
  const objective = new SeriesObjective(model, train, { l2: config.l2, l1: config.l1 });
  const initial = initSeriesParams(model.spec, config.seed, { scheme: config.init, scale: config.initScale });
  const reports: SeriesReport[] = [];
  const report = (r: SeriesReport) => {
    reports.push(r);
    events.onReport?.(r);
  };
  // Validation runs from the zero state over the validation part alone, as the tutorial's get_cost(data_val).
  const measureWith = (o: SeriesObjective) => (p: Float64Array) => {
    const trainMse = model.mse(p, train);
    return { trainMse, valMse: model.mse(p, val), objective: trainMse + penaltyValue(p, o.penalty) };
  };
  const measure = measureWith(objective);
  const quasiNewtonObjective = config.thenL2 === undefined || config.thenL2 === config.l2
    ? objective
    : new SeriesObjective(model, train, { l2: config.thenL2, l1: config.l1 });
  const quasiNewtonMeasure = measureWith(quasiNewtonObjective);

  let params: Float64Array = initial.slice();
  let gd: GradientDescentSummary | undefined;
  let quasiNewton: QuasiNewtonSummary | undefined;
  const quasiNewtonMethod: QuasiNewtonMethod | undefined =
    config.optimizer === 'lbfgs' || config.optimizer === 'bfgs' ? config.optimizer : config.then === 'none' ? undefined : config.then;

  if (config.optimizer !== 'lbfgs' && config.optimizer !== 'bfgs') {
    gd = await gradientDescent(objective, params, config, config.optimizer, measure, report, events);
  }
  // A diverged start gives a quasi-Newton method nothing sensible to continue from.
  if (quasiNewtonMethod && !gd?.diverged && !events.shouldStop?.()) {
    const phase = await quasiNewtonPhase(quasiNewtonObjective, params, quasiNewtonMethod, config, quasiNewtonMeasure, report, events);
    quasiNewton = phase.summary;
    params = phase.x;
  }
  // The comparison needs a gradient-descent phase to compare with.
  const comparison = config.compare && gd && quasiNewtonMethod && !events.shouldStop?.()
    ? (await quasiNewtonPhase(quasiNewtonObjective, initial.slice(), quasiNewtonMethod, config, quasiNewtonMeasure, () => {}, events)).summary
    : undefined;

  const final = (quasiNewton ? quasiNewtonMeasure : measure)(params);
  const predictions = model.predict(params, series.values).slice();
  // Free-running: read the series up to `start`, then continue on the network's own outputs.
  const start = Math.min(trainPoints + config.generateFrom, T);
  const predicted = freeRun(model, params, series.values.slice(0, start * D), config.generate);
  const known = Math.min(config.generate, T - start);
  const truth = series.values.slice(start * D, (start + known) * D);
  let se = 0;
  for (let i = 0; i < truth.length; i++) se += (predicted[i] - truth[i]) ** 2;
  return {
    config, seriesName: series.name, columns: D, trainPoints, valPoints: T - trainPoints, parameterCount: model.size,
    reports, gd, quasiNewton, comparison,
    trainMse: final.trainMse, valMse: final.valMse,
    series: series.values, predictions,
    continuation: { start, predicted, truth, mse: truth.length > 0 ? se / truth.length : NaN },
    params,
  };
}

type Measure = (p: Float64Array) => { trainMse: number; valMse: number; objective: number };

/** Full-batch first-order training, in place on `params`. Epochs 0..E are E+1 updates, as in the tutorial. */
async function gradientDescent(
  objective: SeriesObjective, params: Float64Array, config: SeriesLabConfig, name: FirstOrderOptimizer,
  measure: Measure, report: (r: SeriesReport) => void, events: SeriesLabEvents,
): Promise<GradientDescentSummary> {
  const pause = makeYielder();
  const started = performance.now();
  const optimizer = createOptimizer(name === 'gd' ? 'sgd' : name, config.learningRate, params.length);
  const grad = new Float64Array(params.length);
  const noisy = new Float64Array(params.length);
  const rng = new Rng(config.seed, 303);
  let epoch = 0;
  let diverged = false;
  let first = NaN;
  for (; epoch <= config.epochs; epoch++) {
    let value: number;
    if (config.weightNoise > 0) {
      // Weight noise: the gradient is taken at perturbed weights and applied to the clean ones.
      for (let i = 0; i < params.length; i++) noisy[i] = params[i] + config.weightNoise * rng.normal();
      value = objective.valueAndGradient(noisy, grad);
    } else {
      value = objective.valueAndGradient(params, grad);
    }
    if (epoch === 0) first = value;
    optimizer.step(params, grad);
    const last = epoch === config.epochs;
    diverged = !Number.isFinite(value) || value > SERIES_DIVERGENCE_FACTOR * first;
    if (epoch % config.reportEvery === 0 || last || diverged) report({ phase: 'gd', epoch, ...measure(params) });
    if (diverged) break;
    await pause();
    if (events.shouldStop?.()) break;
  }
  const m = measure(params);
  return { optimizer: name, epochs: Math.min(epoch, config.epochs), ...m, seconds: (performance.now() - started) / 1000, diverged };
}

async function quasiNewtonPhase(
  objective: SeriesObjective, params: Float64Array, method: QuasiNewtonMethod, config: SeriesLabConfig,
  measure: Measure, report: (r: SeriesReport) => void, events: SeriesLabEvents,
): Promise<{ x: Float64Array; summary: QuasiNewtonSummary }> {
  const started = performance.now();
  const pause = makeYielder();
  const every = Math.max(1, Math.round(config.reportEvery / 10));
  const iterations = quasiNewtonIterations(objective, params, { method, gtol: config.gtol, maxIterations: config.iterations });
  let stop = false;
  let next;
  while (!(next = iterations.next(stop)).done) {
    const info = next.value;
    if (info.iteration % every === 0) {
      report({ phase: method, iteration: info.iteration, ...measure(info.x), functionEvaluations: info.functionEvaluations, gradientEvaluations: info.gradientEvaluations });
    }
    await pause();
    stop = events.shouldStop?.() ?? false;
  }
  const result = next.value;
  const m = measure(result.x);
  const summary: QuasiNewtonSummary = {
    method, iterations: result.iterations, functionEvaluations: result.functionEvaluations, gradientEvaluations: result.gradientEvaluations,
    status: result.status, message: statusMessages[result.status], objective: result.value, gradNorm: result.gradNorm,
    trainMse: m.trainMse, valMse: m.valMse, seconds: (performance.now() - started) / 1000,
  };
  return { x: result.x, summary };
}
