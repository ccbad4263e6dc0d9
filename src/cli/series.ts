/**
 * `rnn-lab series`: the time-series lab from a terminal. Trains the regression RNN on the
 * Mackey-Glass series (or a series file) by full-batch gradient descent, then L-BFGS or BFGS from
 * there, printing train and validation MSE every 100 epochs and the quasi-Newton summary as the
 * tutorial does; `--plot` writes the loss curves, predictions and free-running continuation as SVG.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UserInputError } from '../engine/text/errors';
import {
  defaultSeriesConfig, runSeriesLab, SERIES_DIVERGENCE_FACTOR, seriesOptimizers, splitSeries, thenChoices, validateSeriesConfig,
  type QuasiNewtonSummary, type SeriesLabConfig, type SeriesLabResult, type SeriesReport,
} from '../engine/series/lab';
import { mackeyGlass } from '../engine/series/mackeyGlass';
import { activations, initSchemes, seriesCells } from '../engine/series/model';
import { seriesPlotSvg } from '../engine/series/plot';
import { assertLearnable, readSeriesFile, MAX_SERIES_POINTS, type Series } from '../engine/series/read';
import { asUsage, parseChoice, parseNumber, UsageError } from './args';

const d = defaultSeriesConfig;
export const seriesSummary = 'rnn-lab series [FILE | --mackey-glass N] [options]   the time-series lab: predict a real-valued series (see rnn-lab series --help)';
export const seriesUsage = `rnn-lab series [FILE | --mackey-glass N] [options]
  Learn to predict a real-valued series one step ahead (the default: Mackey-Glass, 2000 points).
  Series:     FILE (one number per line, or CSV columns)  --column NAME|N  --standardize
              --mackey-glass N (2000)  --tau N (17)  --val-fraction X (${d.valFraction}: the end is validation)
  Model:      --cell rnn|gru|lstm (${d.cell})  --hidden N (${d.hiddenSize})  --activation tanh|relu|sigmoid (${d.activation})
              --direct (input→output connections)  --init seed|uniform (${d.init})  --init-scale X (${d.initScale})
  Objective:  MSE + --l2 X (${d.l2}) · Σw² + --l1 X (${d.l1}) · Σ|w|   --weight-noise SD (${d.weightNoise})
              --then-l2 X (as --l2: the L2 weight while BFGS / L-BFGS runs; 0 minimises the plain MSE, as the tutorial's BFGS does)
  Training:   --optimizer gd|momentum|rmsprop|adam|adagrad|adadelta|lbfgs|bfgs (${d.optimizer})  --lr X (${d.learningRate})
              --epochs N (${d.epochs}: epochs 0..N)  --then lbfgs|bfgs|none (${d.then})  --iterations N (${d.iterations})
              --gtol X (${d.gtol})  --seed N (${d.seed}: the weights, and the Mackey-Glass history)
              --compare (also run the quasi-Newton method alone from the same initial weights)
  Output:     --report-every N (${d.reportEvery})  --generate N (${d.generate}: free-running steps)  --generate-from K (${d.generateFrom}: validation step)
              --plot out.svg  --json (one JSON object per report line; the last line is the result)`;

const options = {
  'mackey-glass': { type: 'string' },
  tau: { type: 'string' },
  column: { type: 'string' },
  standardize: { type: 'boolean' },
  'val-fraction': { type: 'string' },
  cell: { type: 'string' },
  hidden: { type: 'string' },
  activation: { type: 'string' },
  direct: { type: 'boolean' },
  init: { type: 'string' },
  'init-scale': { type: 'string' },
  l2: { type: 'string' },
  'then-l2': { type: 'string' },
  l1: { type: 'string' },
  'weight-noise': { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  epochs: { type: 'string' },
  then: { type: 'string' },
  iterations: { type: 'string' },
  gtol: { type: 'string' },
  seed: { type: 'string' },
  compare: { type: 'boolean' },
  'report-every': { type: 'string' },
  generate: { type: 'string' },
  'generate-from': { type: 'string' },
  plot: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

export function seriesConfigFromFlags(v: Values): SeriesLabConfig {
  const int = (key: keyof Values) => parseNumber(v[key] as string | undefined, key, true);
  const num = (key: keyof Values) => parseNumber(v[key] as string | undefined, key);
  const c: SeriesLabConfig = {
    ...d,
    cell: parseChoice(v.cell, 'cell', seriesCells) ?? d.cell,
    hiddenSize: int('hidden') ?? d.hiddenSize,
    activation: parseChoice(v.activation, 'activation', activations) ?? d.activation,
    direct: v.direct ?? d.direct,
    init: parseChoice(v.init, 'init', initSchemes) ?? d.init,
    initScale: num('init-scale') ?? d.initScale,
    optimizer: parseChoice(v.optimizer, 'optimizer', seriesOptimizers) ?? d.optimizer,
    learningRate: num('lr') ?? d.learningRate,
    epochs: int('epochs') ?? d.epochs,
    l2: num('l2') ?? d.l2,
    thenL2: num('then-l2'),
    l1: num('l1') ?? d.l1,
    weightNoise: num('weight-noise') ?? d.weightNoise,
    then: parseChoice(v.then, 'then', thenChoices) ?? d.then,
    iterations: int('iterations') ?? d.iterations,
    gtol: num('gtol') ?? d.gtol,
    seed: int('seed') ?? d.seed,
    generate: int('generate') ?? d.generate,
    generateFrom: int('generate-from') ?? d.generateFrom,
    reportEvery: int('report-every') ?? d.reportEvery,
    valFraction: num('val-fraction') ?? d.valFraction,
    compare: v.compare ?? d.compare,
  };
  if ((c.optimizer === 'lbfgs' || c.optimizer === 'bfgs') && v.then !== undefined && c.then !== 'none') {
    throw new UsageError(`--then ${c.then} continues gradient descent; with --optimizer ${c.optimizer} there is none to continue`);
  }
  asUsage(() => validateSeriesConfig(c));
  return c;
}

/** Z-scores each column with the training part's mean and standard deviation. */
function standardize(series: Series, valFraction: number): string {
  const D = series.columns;
  const { trainPoints } = splitSeries(series, valFraction);
  const notes: string[] = [];
  for (let c = 0; c < D; c++) {
    let mean = 0;
    for (let t = 0; t < trainPoints; t++) mean += series.values[t * D + c];
    mean /= trainPoints;
    let variance = 0;
    for (let t = 0; t < trainPoints; t++) variance += (series.values[t * D + c] - mean) ** 2;
    const sd = Math.sqrt(variance / trainPoints) || 1;
    for (let t = 0; t < series.values.length / D; t++) series.values[t * D + c] = (series.values[t * D + c] - mean) / sd;
    notes.push(`${series.columnNames[c]}: mean ${mean.toPrecision(4)}, sd ${sd.toPrecision(4)}`);
  }
  return notes.join('; ');
}

export async function loadSeries(file: string | undefined, v: Values): Promise<Series> {
  if (file !== undefined) {
    if (v['mackey-glass'] !== undefined || v.tau !== undefined) throw new UsageError('give a FILE or --mackey-glass N, not both');
    return readSeriesFile(file, { column: v.column });
  }
  if (v.column !== undefined) throw new UsageError('--column picks a column of a series FILE');
  const length = parseNumber(v['mackey-glass'], 'mackey-glass', true) ?? 2000;
  const tau = parseNumber(v.tau, 'tau', true) ?? 17;
  if (length < 1 || length > MAX_SERIES_POINTS) throw new UsageError(`--mackey-glass must be from 1 to ${MAX_SERIES_POINTS} points (got ${length})`);
  if (tau < 1 || tau > 1000) throw new UsageError(`--tau must be from 1 to 1000 (got ${tau})`);
  const seed = parseNumber(v.seed, 'seed', true) ?? d.seed;
  const series: Series = { name: `mackey-glass(${length}, tau ${tau}, seed ${seed})`, values: mackeyGlass(length, { tau, seed }), columns: 1, columnNames: ['x'] };
  assertLearnable(series);
  return series;
}

const g = (x: number) => (Number.isFinite(x) ? x.toPrecision(4) : String(x));
const methodName = (m: string) => (m === 'bfgs' ? 'BFGS' : 'L-BFGS');

function reportLine(r: SeriesReport): string {
  if (r.phase === 'gd') return `Epoch ${r.epoch}: train mse: ${g(r.trainMse)}    validation mse: ${g(r.valMse)}`;
  return `${methodName(r.phase)} iteration ${r.iteration}: train mse: ${g(r.trainMse)}    validation mse: ${g(r.valMse)}    (${r.functionEvaluations} function evaluations)`;
}

/** The quasi-Newton summary in `fmin_bfgs`'s words. */
export function quasiNewtonSummaryLines(s: QuasiNewtonSummary): string[] {
  return [
    `${s.status === 'converged' ? '' : 'Warning: '}${s.message}`,
    `         Current function value: ${s.objective.toFixed(6)}`,
    `         Iterations: ${s.iterations}`,
    `         Function evaluations: ${s.functionEvaluations}`,
    `         Gradient evaluations: ${s.gradientEvaluations}`,
    `train mse: ${g(s.trainMse)}   validation mse: ${g(s.valMse)}   (${s.seconds.toFixed(2)} s)`,
  ];
}

const summaryJson = (s: QuasiNewtonSummary | undefined) => s && { ...s };

export function finalJson(r: SeriesLabResult, plot: string | undefined): Record<string, unknown> {
  return {
    phase: 'final',
    trainMse: r.trainMse,
    valMse: r.valMse,
    series: r.seriesName,
    trainPoints: r.trainPoints,
    valPoints: r.valPoints,
    parameters: r.parameterCount,
    gd: r.gd ?? null,
    [r.quasiNewton?.method ?? 'lbfgs']: summaryJson(r.quasiNewton) ?? null,
    comparison: summaryJson(r.comparison) ?? null,
    continuation: { start: r.continuation.start, steps: r.continuation.predicted.length / r.columns, known: r.continuation.truth.length / r.columns, mse: r.continuation.mse },
    plot: plot ?? null,
    config: r.config,
  };
}

export async function seriesCommand(argv: string[]): Promise<number> {
  const parsed = asUsage(() => parseArgs({ args: argv, options, allowPositionals: true, strict: true }));
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(seriesUsage + '\n');
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`series takes at most one FILE (got ${positionals.length})`);
  const config = seriesConfigFromFlags(v);
  const series = await loadSeries(positionals[0], v);
  const scaling = v.standardize ? standardize(series, config.valFraction) : undefined;
  const largest = series.values.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const plotPath = v.plot === undefined ? undefined : resolve(v.plot);
  const json = v.json ?? false;
  // A reader that goes away (`| head`) ends the run quietly instead of with an EPIPE trace.
  let readerGone = false;
  process.stdout.on('error', () => { readerGone = true; });
  const print = (line: string) => { if (!readerGone) process.stdout.write(line + '\n'); };

  let stopRequested = false;
  const stop = () => { stopRequested = true; };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let result: SeriesLabResult;
  try {
    if (!json) {
      const D = series.columns;
      print(`${series.name}: ${series.values.length / D} points${D > 1 ? ` × ${D} columns` : ''}` +
        `${scaling ? ` (standardized: ${scaling})` : ''}; ${config.cell} ${config.hiddenSize} ${config.activation}${config.direct ? ' + direct' : ''}; ` +
        `${config.optimizer}${config.optimizer === 'lbfgs' || config.optimizer === 'bfgs' ? '' : ` lr ${config.learningRate}, epochs 0..${config.epochs}`}` +
        `${config.then !== 'none' && config.optimizer !== 'lbfgs' && config.optimizer !== 'bfgs' ? ` then ${config.then}` : ''}; l2 ${config.l2}${config.l1 ? `, l1 ${config.l1}` : ''}`);
      if (!scaling && largest > 10) print(`Note: values reach ${largest.toPrecision(3)}; the tutorial's settings expect values of order 1 (--standardize rescales each column).`);
    }
    let announced = false;
    result = await runSeriesLab(series, config, {
      onReport: (r) => {
        if (json) return print(JSON.stringify(r));
        if (r.phase !== 'gd' && !announced) {
          announced = true;
          print(`${methodName(r.phase)} ${config.optimizer === r.phase ? 'from the initial weights' : 'from the gradient-descent weights'}:`);
        }
        print(reportLine(r));
      },
      shouldStop: () => stopRequested || readerGone,
    });
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  if (plotPath) {
    await writeFile(plotPath, seriesPlotSvg(result)).catch((error: Error) => {
      throw new UserInputError(`cannot write the plot ${plotPath}: ${error.message}`);
    });
  }
  if (json) {
    if (result.quasiNewton) print(JSON.stringify({ phase: result.quasiNewton.method, iteration: result.quasiNewton.iterations, summary: true, ...result.quasiNewton }));
    if (result.comparison && result.gd) print(JSON.stringify({ phase: 'compare', gd: result.gd, [result.comparison.method]: result.comparison }));
    print(JSON.stringify(finalJson(result, plotPath)));
  } else {
    if (result.gd?.diverged) print(`Gradient descent diverged (the objective grew ${SERIES_DIVERGENCE_FACTOR}-fold or is not finite): try a smaller --lr${v.standardize ? '' : ' or --standardize'}.`);
    if (result.quasiNewton) for (const line of quasiNewtonSummaryLines(result.quasiNewton)) print(line);
    if (result.comparison && result.gd) {
      const c = result.comparison;
      print(`Same initial weights: ${result.gd.optimizer} ${result.gd.epochs} epochs → train ${g(result.gd.trainMse)}, val ${g(result.gd.valMse)} (${result.gd.seconds.toFixed(2)} s); ` +
        `${methodName(c.method)} alone ${c.iterations} iterations, ${c.functionEvaluations} evaluations → train ${g(c.trainMse)}, val ${g(c.valMse)} (${c.seconds.toFixed(2)} s)`);
    }
    const cont = result.continuation;
    const steps = cont.predicted.length / result.columns;
    if (steps > 0) {
      print(`Free-running ${steps} steps from step ${cont.start}${cont.truth.length > 0 ? `: MSE ${g(cont.mse)} against the true continuation (${cont.truth.length / result.columns} known steps)` : ' (beyond the series: no truth to compare)'}`);
    }
    print(`Final: train mse ${g(result.trainMse)}, validation mse ${g(result.valMse)}${stopRequested ? ' (stopped early)' : ''}`);
    if (plotPath) print(`Plots: ${plotPath}`);
  }
  return result.gd?.diverged ? 1 : 0;
}
