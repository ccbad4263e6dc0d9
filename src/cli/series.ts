/**
 * `rnn-lab series`: the time-series lab from a terminal. Trains the regression RNN on the
 * Mackey-Glass series (or a series file) by full-batch gradient descent, then L-BFGS or BFGS from
 * there, printing train and validation MSE every 100 epochs and the quasi-Newton summary as the
 * tutorial does; `--plot` writes the loss curves, predictions and free-running continuation as SVG.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserInputError } from '../engine/text/errors';
import { bool, text } from '../engine/config/table';
import { describeRule, firstInvalid } from '../engine/config/validate';
import {
  runSeriesLab, SERIES_DIVERGENCE_FACTOR, splitSeries, validateSeriesConfig,
  type QuasiNewtonSummary, type SeriesLabResult, type SeriesReport,
} from '../engine/series/lab';
import { mackeyGlass } from '../engine/series/mackeyGlass';
import { seriesPlotSvg } from '../engine/series/plot';
import { assertLearnable, readSeriesFile, type Series } from '../engine/series/read';
import {
  defaultSeriesConfig, defaultSeriesSettings, seriesGroups, seriesGroupTitles, seriesLabSettings, seriesSettings, seriesSourceSettings,
  type SeriesLabConfig,
} from '../engine/series/settings';
import { asUsage, UsageError, parseFlags } from './args';
import { givenFlags, tableOptions, tableUsage } from './settingsFlags';

export const seriesSummary = 'rnn-lab series [FILE | --mackey-glass N] [options]   the time-series lab: predict a real-valued series (see rnn-lab series --help)';

/** What the command writes besides its report: options of this command's output, not settings of the run. */
const outputFlags = {
  plot: text({ group: 'output', flag: 'plot', default: '', maxLength: 4096, placeholder: 'out.svg', description: 'Write the loss curves, predictions and continuation as SVG.' }),
  json: bool({ group: 'output', flag: 'json', default: false, description: 'One JSON object per report line; the last line is the result.' }),
} as const;

/** Every flag of `rnn-lab series`: the run's settings (engine/series/settings.ts) and the output's. */
const seriesFlags = { ...seriesSettings, ...outputFlags } as const;

export const seriesUsage = [
  'rnn-lab series [FILE | --mackey-glass N] [options]',
  `  Learn to predict a real-valued series one step ahead (the default: Mackey-Glass, ${defaultSeriesSettings.mackeyGlass} points).`,
  tableUsage(seriesFlags, seriesGroups, seriesGroupTitles, '  '),
].join('\n');

const options = { ...tableOptions(seriesFlags), help: { type: 'boolean', short: 'h' } } as Record<string, { type: 'string' | 'boolean'; short?: string }>;

type Values = Record<string, string | boolean | undefined>;

/** The lab's config: the defaults with the given flags over them, checked. */
export function seriesConfigFromFlags(v: Values): SeriesLabConfig {
  const c: SeriesLabConfig = { ...defaultSeriesConfig, ...asUsage(() => givenFlags(seriesLabSettings, v)) };
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

/** The series FILE, or Mackey-Glass from `seed` (the config's). */
export async function loadSeries(file: string | undefined, v: Values, seed: number): Promise<Series> {
  const given = asUsage(() => givenFlags(seriesSourceSettings, v));
  if (file !== undefined) {
    if (given.mackeyGlass !== undefined || given.tau !== undefined) throw new UsageError('give a FILE or --mackey-glass N, not both');
    return readSeriesFile(file, { column: given.column || undefined });
  }
  if (given.column !== undefined) throw new UsageError('--column picks a column of a series FILE');
  const source = { ...defaultSeriesSettings, ...given };
  const invalid = firstInvalid(seriesSourceSettings, source);
  if (invalid) throw new UsageError(`--${seriesSourceSettings[invalid.key].flag} must be ${describeRule(seriesSourceSettings[invalid.key])} (got ${String(invalid.value)})`);
  const { mackeyGlass: length, tau } = source;
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
