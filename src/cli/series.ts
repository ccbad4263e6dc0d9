/**
 * `rnn-lab series`: the time-series lab from a terminal. Trains the regression RNN on the
 * Mackey-Glass series (or a series file) by full-batch gradient descent, then L-BFGS or BFGS from
 * there, printing train and validation MSE every 100 epochs and the quasi-Newton summary as the
 * tutorial does; `--plot` writes the loss curves, predictions and free-running continuation as SVG.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserInputError } from '../engine/text/errors';
import {
  defaultSeriesConfig, runSeriesLab, SERIES_DIVERGENCE_FACTOR, seriesOptimizers, splitSeries, thenChoices, validateSeriesConfig,
  type QuasiNewtonSummary, type SeriesLabConfig, type SeriesLabResult, type SeriesReport,
} from '../engine/series/lab';
import { mackeyGlass } from '../engine/series/mackeyGlass';
import { activations, initSchemes, seriesCells } from '../engine/series/model';
import { seriesPlotSvg } from '../engine/series/plot';
import { assertLearnable, readSeriesFile, MAX_SERIES_POINTS, type Series } from '../engine/series/read';
import { asUsage, parseChoice, parseNumber, UsageError, parseFlags } from './args';

const d = defaultSeriesConfig;
export const seriesSummary = 'rnn-lab series [FILE | --mackey-glass N] [options]   the time-series lab: predict a real-valued series (see rnn-lab series --help)';

/** How a flag's value is read: an integer, a number, one of some choices, on/off, or as it is. */
type Parse = 'int' | 'number' | readonly string[] | 'boolean' | 'string';

/**
 * One flag of `rnn-lab series`: the parser's option, the help line and (with `key`) the config
 * field it sets are all made from this. A flag with a key shows the default of that field.
 */
interface SeriesFlag {
  flag: string;
  group: 'Series' | 'Model' | 'Objective' | 'Training' | 'Output';
  parse: Parse;
  /** The value's name in the help (N, X, NAME...); choices print themselves. */
  arg?: string;
  key?: keyof SeriesLabConfig;
  help?: string;
}

/** The series learned when no FILE is given. */
const MACKEY_GLASS = { points: 2000, tau: 17 };

const SERIES_FLAGS: readonly SeriesFlag[] = [
  { flag: 'mackey-glass', group: 'Series', parse: 'int', arg: 'N', help: `N points of the Mackey-Glass series, ${MACKEY_GLASS.points} by default, instead of a FILE (one number per line, or CSV columns)` },
  { flag: 'tau', group: 'Series', parse: 'int', arg: 'N', help: `Mackey-Glass's delay, ${MACKEY_GLASS.tau} by default` },
  { flag: 'column', group: 'Series', parse: 'string', arg: 'NAME|N', help: "the FILE's column to learn" },
  { flag: 'standardize', group: 'Series', parse: 'boolean', help: "z-score each column with the training part's mean and sd" },
  { flag: 'val-fraction', group: 'Series', parse: 'number', arg: 'X', key: 'valFraction', help: 'the end of the series that is validation' },
  { flag: 'cell', group: 'Model', parse: seriesCells, key: 'cell' },
  { flag: 'hidden', group: 'Model', parse: 'int', arg: 'N', key: 'hiddenSize' },
  { flag: 'activation', group: 'Model', parse: activations, key: 'activation' },
  { flag: 'direct', group: 'Model', parse: 'boolean', key: 'direct', help: 'input→output connections' },
  { flag: 'init', group: 'Model', parse: initSchemes, key: 'init' },
  { flag: 'init-scale', group: 'Model', parse: 'number', arg: 'X', key: 'initScale' },
  { flag: 'l2', group: 'Objective', parse: 'number', arg: 'X', key: 'l2', help: 'MSE + X · Σw²' },
  { flag: 'l1', group: 'Objective', parse: 'number', arg: 'X', key: 'l1', help: '+ X · Σ|w|' },
  { flag: 'weight-noise', group: 'Objective', parse: 'number', arg: 'SD', key: 'weightNoise' },
  { flag: 'then-l2', group: 'Objective', parse: 'number', arg: 'X', key: 'thenL2', help: "as --l2, while BFGS / L-BFGS runs (by default --l2's value); 0 minimises the plain MSE, as the tutorial's BFGS does" },
  { flag: 'optimizer', group: 'Training', parse: seriesOptimizers, key: 'optimizer' },
  { flag: 'lr', group: 'Training', parse: 'number', arg: 'X', key: 'learningRate' },
  { flag: 'epochs', group: 'Training', parse: 'int', arg: 'N', key: 'epochs', help: 'epochs 0..N' },
  { flag: 'then', group: 'Training', parse: thenChoices, key: 'then', help: 'after gradient descent' },
  { flag: 'iterations', group: 'Training', parse: 'int', arg: 'N', key: 'iterations' },
  { flag: 'gtol', group: 'Training', parse: 'number', arg: 'X', key: 'gtol' },
  { flag: 'seed', group: 'Training', parse: 'int', arg: 'N', key: 'seed', help: 'the weights, and the Mackey-Glass history' },
  { flag: 'compare', group: 'Training', parse: 'boolean', key: 'compare', help: 'also run the quasi-Newton method alone from the same initial weights' },
  { flag: 'report-every', group: 'Output', parse: 'int', arg: 'N', key: 'reportEvery' },
  { flag: 'generate', group: 'Output', parse: 'int', arg: 'N', key: 'generate', help: 'free-running steps' },
  { flag: 'generate-from', group: 'Output', parse: 'int', arg: 'K', key: 'generateFrom', help: 'the validation step it starts from' },
  { flag: 'plot', group: 'Output', parse: 'string', arg: 'out.svg', help: 'the loss curves, predictions and continuation as SVG' },
  { flag: 'json', group: 'Output', parse: 'boolean', help: 'one JSON object per report line; the last line is the result' },
];

function helpLine(f: SeriesFlag): string {
  const value = typeof f.parse === 'object' ? ` ${f.parse.join('|')}` : f.arg ? ` ${f.arg}` : '';
  const fallback = f.key !== undefined ? d[f.key] : undefined;
  const notes = [fallback !== undefined && f.parse !== 'boolean' ? String(fallback) : undefined, f.help].filter((x) => x !== undefined);
  return `    --${f.flag}${value}${notes.length ? `  (${notes.join('; ')})` : ''}`;
}

export const seriesUsage = [
  'rnn-lab series [FILE | --mackey-glass N] [options]',
  `  Learn to predict a real-valued series one step ahead (the default: Mackey-Glass, ${MACKEY_GLASS.points} points).`,
  ...(['Series', 'Model', 'Objective', 'Training', 'Output'] as const).flatMap((group) => [
    `  ${group}:`,
    ...SERIES_FLAGS.filter((f) => f.group === group).map(helpLine),
  ]),
].join('\n');

// Every value arrives as a string (read by flagValue or loadSeries), but on/off flags.
const options = {
  ...Object.fromEntries(SERIES_FLAGS.map((f) => [f.flag, { type: f.parse === 'boolean' ? 'boolean' : 'string' }])),
  help: { type: 'boolean', short: 'h' },
} as Record<string, { type: 'string' | 'boolean'; short?: string }>;

type Values = Record<string, string | boolean | undefined>;

function flagValue(f: SeriesFlag, v: Values): unknown {
  const raw = v[f.flag];
  if (f.parse === 'boolean' || f.parse === 'string') return raw;
  if (f.parse === 'int' || f.parse === 'number') return parseNumber(raw as string | undefined, f.flag, f.parse === 'int');
  return parseChoice(raw as string | undefined, f.flag, f.parse);
}

export function seriesConfigFromFlags(v: Values): SeriesLabConfig {
  const c: SeriesLabConfig = { ...d };
  for (const f of SERIES_FLAGS) {
    const value = f.key === undefined ? undefined : flagValue(f, v);
    if (value !== undefined) (c as unknown as Record<string, unknown>)[f.key!] = value;
  }
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

/** The flag's value as its declaration parses it. */
function flagNamed(name: string, v: Values): unknown {
  return flagValue(SERIES_FLAGS.find((f) => f.flag === name)!, v);
}

/** The series FILE, or Mackey-Glass from `seed` (the config's). */
export async function loadSeries(file: string | undefined, v: Values, seed: number): Promise<Series> {
  if (file !== undefined) {
    if (v['mackey-glass'] !== undefined || v.tau !== undefined) throw new UsageError('give a FILE or --mackey-glass N, not both');
    return readSeriesFile(file, { column: v.column as string | undefined });
  }
  if (v.column !== undefined) throw new UsageError('--column picks a column of a series FILE');
  const length = (flagNamed('mackey-glass', v) as number | undefined) ?? MACKEY_GLASS.points;
  const tau = (flagNamed('tau', v) as number | undefined) ?? MACKEY_GLASS.tau;
  if (length < 1 || length > MAX_SERIES_POINTS) throw new UsageError(`--mackey-glass must be from 1 to ${MAX_SERIES_POINTS} points (got ${length})`);
  if (tau < 1 || tau > 1000) throw new UsageError(`--tau must be from 1 to 1000 (got ${tau})`);
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
  const parsed = asUsage(() => parseFlags({ args: argv, options, allowPositionals: true, strict: true }));
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(seriesUsage + '\n');
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`series takes at most one FILE (got ${positionals.length})`);
  const config = seriesConfigFromFlags(v);
  const series = await loadSeries(positionals[0], v, config.seed);
  const scaling = v.standardize ? standardize(series, config.valFraction) : undefined;
  const largest = series.values.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const plotPath = v.plot === undefined ? undefined : resolve(v.plot as string);
  const json = v.json === true;
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
