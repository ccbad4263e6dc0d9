/**
 * Every training setting, declared once: its key (the TrainConfig field and the VS Code setting
 * `rnnLab.<key>`), type, default, range or choices, description, CLI flag and group. The TrainConfig
 * type, validation, the extension's reading of `rnnLab.*`, the CLI's flags and usage text and
 * package.json's `contributes.configuration` are all derived from this table.
 *
 * The declarations and their helpers (table.ts: `ConfigOf`, `defaultsOf`, the `int`/`real`/...
 * makers) take any table of settings: the time-series lab declares its own (src/engine/series/settings.ts).
 *
 * Dependency-free (no Node APIs, no `vscode`): the protocol, and through it the webviews, import it.
 * The backends' choices come from backends/registry.ts, which loads backend code only by `import()`.
 */
import { autoBackendDescription, backendRegistry, computeBackendNames, type ComputeBackendName } from '../backends/registry';

import { bool, choice, defaultsOf, int, keysOf, perLayerInt, real, text, type ConfigOf, type Setting } from './table';

export * from './table';

export const settingGroups = ['model', 'data', 'optimisation', 'budget', 'sampling', 'compute'] as const;
export type SettingGroup = (typeof settingGroups)[number];
export const settingGroupTitles: Record<SettingGroup, string> = {
  model: 'Model', data: 'Data', optimisation: 'Optimisation', budget: 'Budget', sampling: 'Sampling', compute: 'Compute',
};

/** The choices of the enumerated settings. */
export const cellTypes = ['lstm', 'gru', 'rnn'] as const;
export const optimizerNames = ['adam', 'sgd', 'momentum', 'rmsprop', 'adagrad', 'adadelta'] as const;
/** 'auto', then the compute backends of backends/registry.ts, fastest first; 'auto' picks the first that loads (backends/select.ts). */
export const backendNames: readonly ('auto' | ComputeBackendName)[] = ['auto', ...computeBackendNames];
export const tokenKinds = ['char', 'word'] as const;
export const vocabOrders = ['frequency', 'first'] as const;
export const dataModes = ['stream', 'lines', 'windows'] as const;
export const batchingKinds = ['contiguous', 'random'] as const;
export const hiddenActivations = ['relu', 'tanh', 'linear'] as const;
export const initKinds = ['glorot', 'orthogonal', 'uniform', 'gaussian'] as const;

/** The training settings, in the order the settings editor and `--help` show them. */
export const trainSettings = {
  // Model
  cell: choice({
    group: 'model', flag: 'cell', default: 'lstm', choices: cellTypes,
    description: 'Recurrent cell: LSTM, GRU or a plain (Elman) RNN.',
    choiceDescriptions: ['Long short-term memory (gates i, f, c, o).', 'Gated recurrent unit.', 'Plain tanh RNN.'],
  }),
  hiddenSize: perLayerInt({
    group: 'model', flag: 'hidden', default: 128, minimum: 1, maximum: 4096,
    description: 'Hidden units per recurrent layer: one size for every layer, or one per layer, bottom first (128,512 with 2 layers).',
  }),
  layers: int({ group: 'model', flag: 'layers', default: 1, minimum: 1, maximum: 8, description: 'Number of stacked recurrent layers.' }),
  embeddingSize: int({
    group: 'model', flag: 'embedding', default: 0, minimum: 0, maximum: 4096,
    description: 'Size of the learned token embedding; 0 feeds one-hot tokens.',
  }),
  dropout: real({
    group: 'model', flag: 'dropout', default: 0, minimum: 0, maximum: 0.9, placeholder: 'P',
    description: 'Dropout between layers during training (0 = none).',
  }),
  hiddenDense: int({
    group: 'model', flag: 'hidden-dense', default: 0, minimum: 0, maximum: 4096,
    description: 'Units of a Dense hidden layer between the recurrent layers and the softmax (0 = no such layer).',
  }),
  hiddenActivation: choice({
    group: 'model', flag: 'hidden-activation', default: 'relu', choices: hiddenActivations,
    description: 'Activation of the Dense hidden layer.',
  }),
  init: choice({
    group: 'model', flag: 'init', default: 'orthogonal', choices: initKinds,
    description: 'Weight initialisation: Glorot uniform kernels, the same with orthogonal recurrent weights (as Keras), uniform ±1/√n, or gaussian with sd initScale.',
    choiceDescriptions: [
      'Glorot (Xavier) uniform kernels.',
      'Glorot uniform kernels, orthogonal recurrent weights (Keras\' defaults).',
      'Uniform in ±1/√n.',
      'Gaussian with standard deviation initScale.',
    ],
  }),
  initScale: real({
    group: 'model', flag: 'init-scale', default: 0.01, minimum: 0, exclusiveMinimum: true, maximum: 10,
    description: 'Standard deviation of the gaussian initialisation.',
  }),
  forgetBias: real({
    group: 'model', flag: 'forget-bias', default: 1, minimum: -10, maximum: 10,
    description: 'Initial bias of the LSTM forget gate.',
  }),
  // Data
  seqLength: int({
    group: 'data', flag: 'seq', default: 64, minimum: 1, maximum: 2048,
    description: 'Tokens per training sequence (truncated backpropagation through time).',
  }),
  batchSize: int({ group: 'data', flag: 'batch', default: 32, minimum: 1, maximum: 4096, description: 'Sequences per minibatch.' }),
  valFraction: real({
    group: 'data', flag: 'val-fraction', default: 0.1, minimum: 0, exclusiveMinimum: true, maximum: 0.5,
    description: 'Fraction of the text (its end) held out for validation.',
  }),
  valFile: text({
    group: 'data', flag: 'val-file', default: '', maxLength: 4096, placeholder: 'FILE',
    description: 'A separate text file to validate on, read with the training vocabulary, instead of the end of the training text (empty = hold out valFraction).',
  }),
  maxVocab: int({
    group: 'data', flag: 'max-vocab', default: 96, minimum: 2, maximum: 65_535,
    description: 'Largest vocabulary; rarer symbols map to the unknown symbol.',
  }),
  tokens: choice({
    group: 'data', flag: 'tokens', default: 'char', choices: tokenKinds,
    description: 'What a symbol is: a character, or a word (punctuation marks are words of their own).',
  }),
  lowercase: bool({ group: 'data', flag: 'lowercase', default: false, description: 'Lowercase the text before training.' }),
  vocabOrder: choice({
    group: 'data', flag: 'vocab-order', default: 'frequency', choices: vocabOrders,
    description: 'Order of the vocabulary: most frequent first, or by first appearance in the text.',
  }),
  mode: choice({
    group: 'data', flag: 'mode', default: 'stream', choices: dataModes,
    description: 'How the text becomes training examples.',
    choiceDescriptions: [
      'One contiguous text, truncated backpropagation through time.',
      'One sentence per line, framed by start and end symbols, padded and masked.',
      'Semi-redundant windows of `window` symbols every `windowStep`, each predicting the next symbol.',
    ],
  }),
  batching: choice({
    // Random windows learn more per character than carried-state streams (README: Learning quality).
    group: 'data', flag: 'batching', default: 'random', choices: batchingKinds,
    description: 'Stream mode: contiguous streams whose state carries between batches, or random windows.',
  }),
  window: int({ group: 'data', flag: 'window', default: 40, minimum: 1, maximum: 2048, description: 'Windows mode: symbols per window (maxlen).' }),
  windowStep: int({ group: 'data', flag: 'window-step', default: 3, minimum: 1, maximum: 100_000, description: 'Windows mode: symbols between the starts of two windows.' }),
  maxLines: int({ group: 'data', flag: 'max-lines', default: 0, minimum: 0, maximum: 100_000_000, description: 'Lines mode: use at most this many lines (0 = all).' }),
  maxLineLength: int({
    group: 'data', flag: 'max-line-length', default: 0, minimum: 0, maximum: 100_000,
    description: 'Lines mode: cut longer lines to this many symbols (0 = no cap).',
  }),
  bpttTruncate: int({
    group: 'data', flag: 'bptt-truncate', default: 0, minimum: 0, maximum: 100_000,
    description: 'Lines mode: backpropagate at most this many steps within a line (0 = the whole line).',
  }),
  // Optimisation
  learningRate: real({
    // Adam at 0.02 with random windows: 300 steps reach 2.6 bits/char on held-out 40 KB English texts (README: Learning quality).
    group: 'optimisation', flag: 'lr', default: 0.02, minimum: 0, exclusiveMinimum: true, maximum: 1000,
    description: 'Learning rate of the optimizer.',
  }),
  optimizer: choice({
    group: 'optimisation', flag: 'optimizer', default: 'adam', choices: optimizerNames,
    description: 'Optimizer that updates the weights from the gradients (Adam is a good default).',
  }),
  clipNorm: real({
    group: 'optimisation', flag: 'clip', default: 5, minimum: 0, maximum: 1000,
    description: 'Clip the global gradient norm to this value; 0 disables clipping.',
  }),
  lrDecay: real({
    group: 'optimisation', flag: 'lr-decay', default: 1, minimum: 0, exclusiveMinimum: true, maximum: 1,
    description: 'Multiply the learning rate by this after each epoch (1 = no decay).',
  }),
  halveOnRise: bool({
    group: 'optimisation', flag: 'halve-on-rise', default: false,
    description: 'Halve the learning rate whenever the validation loss rises.',
  }),
  l2: real({ group: 'optimisation', flag: 'l2', default: 0, minimum: 0, maximum: 1, description: 'L2 weight decay (0 = none).' }),
  clipValue: real({
    group: 'optimisation', flag: 'clip-value', default: 0, minimum: 0, maximum: 1000,
    description: 'Clip each gradient component to ±this value; 0 disables.',
  }),
  seed: int({
    group: 'optimisation', flag: 'seed', default: 1, minimum: 0, maximum: 2_147_483_647,
    description: 'Random seed: the same seed, text and settings give the same run.',
  }),
  // Budget
  steps: int({
    group: 'budget', flag: 'steps', default: 1000, minimum: 0, maximum: 100_000_000,
    description: 'Stop after this many optimizer steps (0 = no limit from steps). Steps, epochs and seconds cannot all be 0.',
  }),
  epochs: int({
    group: 'budget', flag: 'epochs', default: 0, minimum: 0, maximum: 100_000,
    description: 'Stop after this many passes over the training text (0 = no limit from epochs).',
  }),
  seconds: real({
    group: 'budget', flag: 'seconds', default: 0, minimum: 0, maximum: 1_000_000, placeholder: 'S',
    description: 'Stop after this many seconds of training (0 = no limit from time).',
  }),
  evalInterval: int({
    group: 'budget', flag: 'eval-interval', default: 50, minimum: 1, maximum: 1_000_000,
    description: 'Measure validation loss and generate a sample every this many steps (and at the end).',
  }),
  earlyStop: int({
    group: 'budget', flag: 'early-stop', default: 5, minimum: 0, maximum: 10_000,
    description: 'Stop after this many evaluations without a better validation loss (0 = never stop early).',
  }),
  keepRuns: int({
    group: 'budget', flag: 'keep-runs', default: 5, minimum: 0, maximum: 10_000,
    description: 'Keep the run folders of the best this many runs per file (by validation loss) and remove the rest when a run ends; the run of the file\'s best model and running runs are always kept (0 = keep every run).',
  }),
  // Sampling
  sampleLength: int({
    group: 'sampling', flag: 'sample-length', default: 200, minimum: 1, maximum: 100_000,
    description: 'Tokens generated for each sample.',
  }),
  prime: text({
    group: 'sampling', flag: 'prime', default: '', maxLength: 10_000,
    description: 'Text the model reads before generating a sample (empty = start from nothing).',
  }),
  temperature: real({
    group: 'sampling', flag: 'temperature', default: 0.8, minimum: 0, maximum: 2, placeholder: 'T',
    description: 'Sampling temperature: 0 is greedy (always the most likely token), higher is more adventurous.',
  }),
  topK: int({ group: 'sampling', flag: 'top-k', default: 0, minimum: 0, maximum: 65_535, description: 'Sample only from the K most likely tokens (0 = all).' }),
  stopAtEnd: bool({
    group: 'sampling', flag: 'stop-at-end', default: true,
    description: 'Lines mode: a sample ends at the end-of-sentence symbol.',
  }),
  stopWord: text({
    group: 'sampling', flag: 'stop-word', default: '', maxLength: 100,
    description: 'A sample ends after this token, for example "." (empty = none).',
  }),
  // Compute
  backend: choice({
    group: 'compute', flag: 'backend', default: 'auto', choices: backendNames,
    description: 'Compute backend for training.',
    choiceDescriptions: [
      autoBackendDescription(),
      ...backendRegistry.map((entry) => entry.description),
    ],
  }),
  threads: int({
    group: 'compute', flag: 'threads', default: 0, minimum: 0, maximum: 256,
    description: 'Worker threads for the WebAssembly backend (0 = all cores).',
  }),
} as const satisfies Record<string, Setting<SettingGroup>>;

export type TrainSettings = typeof trainSettings;
export type SettingKey = keyof TrainSettings;

/** Everything a run needs; the CLI, the trainer process and the extension settings all produce this. */
export type TrainConfig = ConfigOf<TrainSettings>;

export const settingKeys = keysOf(trainSettings);

export function settingOf(key: SettingKey): Setting<SettingGroup> {
  return trainSettings[key] as Setting<SettingGroup>;
}

/**
 * A per-layer setting's text ("128" or "128,512") as a number or a list; undefined when it is not
 * integers separated by commas. Range and list length are checked by validation.
 */
export function parseLayerSizes(text: string): number | number[] | undefined {
  const parts = text.split(',').map((p) => p.trim());
  if (!parts.every((p) => /^\d+$/.test(p))) return undefined;
  const sizes = parts.map(Number);
  return sizes.length === 1 ? sizes[0] : sizes;
}

/** The defaults, derived from the table. */
export const defaultTrainConfig: TrainConfig = defaultsOf(trainSettings);

/**
 * Settings of the editor only (not part of a run's config): no CLI flag, but declared here so
 * package.json's configuration is derived from one place.
 */
export const editorSettings = {
  nodePath: {
    type: 'string', default: '', scope: 'machine', group: 'compute',
    description: 'Another Node.js binary to run the trainer with (for example a newer one). Empty = the editor\'s own Node. Ignored in untrusted workspaces.',
  },
} as const;

/** The VS Code settings section: setting `key` is `rnnLab.<key>`. */
export const settingsSection = 'rnnLab';
