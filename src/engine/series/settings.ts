/**
 * Every setting of the time-series lab, declared once with the machinery of the training settings
 * (src/engine/config/settings.ts): key, type, default, range or choices, description, CLI flag,
 * group and, for the ones the panel shows, the label of its form field. The lab's config type and
 * defaults, its validation, `rnn-lab series`'s flags and usage text, the panel's run request
 * (src/protocol/series.ts) and its form (webview/series) are derived from these tables.
 *
 * Dependency-free but for the table machinery (the panel's webview and the host bundle it).
 */
import { bool, choice, defaultsOf, int, keysOf, optionalReal, real, text, type ConfigOf } from '../config/table';

export const seriesGroups = ['series', 'model', 'objective', 'training', 'output'] as const;
export type SeriesGroup = (typeof seriesGroups)[number];
export const seriesGroupTitles: Record<SeriesGroup, string> = {
  series: 'Series', model: 'Model', objective: 'Objective', training: 'Training', output: 'Output',
};

export const seriesCells = ['rnn', 'gru', 'lstm'] as const;
export type SeriesCell = (typeof seriesCells)[number];
export const activations = ['tanh', 'relu', 'sigmoid'] as const;
export type Activation = (typeof activations)[number];
export const initSchemes = ['seed', 'uniform'] as const;
export type InitScheme = (typeof initSchemes)[number];
export const firstOrderOptimizers = ['gd', 'momentum', 'rmsprop', 'adam', 'adagrad', 'adadelta'] as const;
export type FirstOrderOptimizer = (typeof firstOrderOptimizers)[number];
export const seriesOptimizers = [...firstOrderOptimizers, 'lbfgs', 'bfgs'] as const;
export type SeriesOptimizer = (typeof seriesOptimizers)[number];
export const thenChoices = ['lbfgs', 'bfgs', 'none'] as const;
export type ThenChoice = (typeof thenChoices)[number];

/** Most points a series may have (a file's, or Mackey-Glass's). */
export const MAX_SERIES_POINTS = 100_000;

/** Where the series comes from when there is no FILE, and how a FILE is read: settings of the run, not of the model. */
export const seriesSourceSettings = {
  mackeyGlass: int({
    group: 'series', flag: 'mackey-glass', default: 2000, minimum: 1, maximum: MAX_SERIES_POINTS, label: 'Mackey-Glass points',
    description: 'Points of the Mackey-Glass series learned when no FILE is given (a FILE: one number per line, or CSV columns).',
  }),
  tau: int({ group: 'series', flag: 'tau', default: 17, minimum: 1, maximum: 1000, description: "Mackey-Glass's delay." }),
  column: text({
    group: 'series', flag: 'column', default: '', maxLength: 200, placeholder: 'NAME|N',
    description: "The FILE's column to learn, by name or number (empty = every column).",
  }),
  standardize: bool({ group: 'series', flag: 'standardize', default: false, description: "Z-score each column with the training part's mean and sd." }),
} as const;

/** The lab's settings: the model, its objective and its training (the config of `runSeriesLab`). */
export const seriesLabSettings = {
  valFraction: real({
    group: 'series', flag: 'val-fraction', default: 0.25, minimum: 0, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true,
    description: 'The end of the series that is validation.',
  }),
  cell: choice({ group: 'model', flag: 'cell', default: 'rnn', choices: seriesCells, label: 'Cell', description: 'The recurrent cell.' }),
  hiddenSize: int({ group: 'model', flag: 'hidden', default: 15, minimum: 1, maximum: 1024, label: 'Hidden units', description: 'Hidden units.' }),
  activation: choice({ group: 'model', flag: 'activation', default: 'tanh', choices: activations, label: 'Non-linearity', description: "The plain RNN's non-linearity." }),
  direct: bool({ group: 'model', flag: 'direct', default: false, label: 'direct input→output connections', description: 'Direct input→output connections.' }),
  init: choice({ group: 'model', flag: 'init', default: 'seed', choices: initSchemes, label: 'Initial weights', description: 'How the initial weights are drawn.' }),
  initScale: real({
    group: 'model', flag: 'init-scale', default: 1, minimum: 0, exclusiveMinimum: true, maximum: 1000, label: '× scale',
    description: 'Factor on the initial weights.',
  }),
  l2: real({ group: 'objective', flag: 'l2', default: 1e-4, minimum: 0, maximum: 10, label: 'L2', description: 'L2 penalty: MSE + X · Σw².' }),
  l1: real({ group: 'objective', flag: 'l1', default: 0, minimum: 0, maximum: 10, label: 'L1', description: 'L1 penalty: + X · Σ|w|.' }),
  weightNoise: real({
    group: 'objective', flag: 'weight-noise', default: 0, minimum: 0, maximum: 10, placeholder: 'SD', label: 'Weight noise sd',
    description: 'Standard deviation of gaussian noise added to the weights for each gradient-descent gradient.',
  }),
  thenL2: optionalReal({
    group: 'objective', flag: 'then-l2', minimum: 0, maximum: 10, absent: "--l2's value",
    description: 'As --l2, while BFGS / L-BFGS runs; 0 minimises the plain MSE, as the tutorial\'s BFGS does (its get_cost).',
  }),
  optimizer: choice({ group: 'training', flag: 'optimizer', default: 'gd', choices: seriesOptimizers, label: 'Optimiser', description: 'The optimizer from the initial weights.' }),
  learningRate: real({
    group: 'training', flag: 'lr', default: 0.3, minimum: 0, exclusiveMinimum: true, maximum: 100, label: 'Learning rate',
    description: 'Learning rate of the first-order optimizers.',
  }),
  epochs: int({
    group: 'training', flag: 'epochs', default: 1000, minimum: 0, maximum: 10_000_000, label: 'Epochs',
    description: "Gradient-descent epochs: updates 0..N, as the tutorial's `for i in range(1001)`.",
  }),
  then: choice({ group: 'training', flag: 'then', default: 'lbfgs', choices: thenChoices, label: 'Then', description: 'What runs after gradient descent.' }),
  iterations: int({ group: 'training', flag: 'iterations', default: 1000, minimum: 0, maximum: 10_000_000, label: 'Max iterations', description: 'Quasi-Newton iteration limit.' }),
  gtol: real({
    group: 'training', flag: 'gtol', default: 1e-5, minimum: 0, exclusiveMinimum: true, maximum: 1e6,
    description: 'Quasi-Newton gradient tolerance (largest component).',
  }),
  seed: int({ group: 'training', flag: 'seed', default: 1, minimum: 0, maximum: 2 ** 31 - 1, label: 'Seed', description: 'Seed of the weights, and of the Mackey-Glass history.' }),
  compare: bool({ group: 'training', flag: 'compare', default: false, description: 'Also run the quasi-Newton method alone from the same initial weights.' }),
  reportEvery: int({
    group: 'output', flag: 'report-every', default: 100, minimum: 1, maximum: 10_000_000,
    description: 'Report every this many epochs (and quasi-Newton iterations every tenth of it).',
  }),
  generate: int({ group: 'output', flag: 'generate', default: 200, minimum: 0, maximum: 100_000, label: 'Steps', description: 'Free-running steps after the training series.' }),
  generateFrom: int({
    group: 'output', flag: 'generate-from', default: 0, minimum: 0, maximum: 100_000_000, placeholder: 'K', label: 'From validation step',
    description: 'Where free-running starts inside the validation series (0 = right after the training series).',
  }),
} as const;

/** Every setting of a series run, in the order usage text and the form list them. */
export const seriesSettings = { ...seriesSourceSettings, ...seriesLabSettings } as const;
export type SeriesSettingKey = keyof typeof seriesSettings;

/** One run of the lab (see `runSeriesLab`); `thenL2` absent: the quasi-Newton phase keeps `l2`. */
export type SeriesLabConfig = ConfigOf<typeof seriesLabSettings>;
/** Every setting of a series run: where its series comes from, and the lab's config. */
export type SeriesRunSettings = ConfigOf<typeof seriesSettings>;

/** The tutorial's settings. */
export const defaultSeriesConfig: SeriesLabConfig = defaultsOf(seriesLabSettings);
export const defaultSeriesSettings: SeriesRunSettings = defaultsOf(seriesSettings);

/** The settings the panel's form shows (those with a label), in order. */
export const seriesFormKeys = keysOf(seriesSettings).filter((k) => seriesSettings[k].label !== undefined);
