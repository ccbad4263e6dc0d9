/**
 * Every training setting, declared once: its key (the TrainConfig field and the VS Code setting
 * `rnnLab.<key>`), type, default, range or choices, description, CLI flag and group. The TrainConfig
 * type, validation, the extension's reading of `rnnLab.*`, the CLI's flags and usage text and
 * package.json's `contributes.configuration` are all derived from this table.
 *
 * Dependency-free (no Node APIs, no `vscode`): the protocol, and through it the webviews, import it.
 */

export const settingGroups = ['model', 'data', 'optimisation', 'budget', 'sampling', 'compute'] as const;
export type SettingGroup = (typeof settingGroups)[number];

/** The choices of the enumerated settings. */
export const cellTypes = ['lstm', 'gru', 'rnn'] as const;
export const optimizerNames = ['adam', 'sgd', 'momentum', 'rmsprop', 'adagrad', 'adadelta'] as const;
/** The compute backends, fastest first; 'auto' picks the first that loads (see backends/select.ts). */
export const computeBackendNames = ['wasm', 'js', 'reference', 'tfjs'] as const;
export const backendNames = ['auto', ...computeBackendNames] as const;
export const tokenKinds = ['char', 'word'] as const;
export const vocabOrders = ['frequency', 'first'] as const;
export const dataModes = ['stream', 'lines', 'windows'] as const;
export const batchingKinds = ['contiguous', 'random'] as const;
export const hiddenActivations = ['relu', 'tanh', 'linear'] as const;
export const initKinds = ['glorot', 'orthogonal', 'uniform', 'gaussian'] as const;

interface Common {
  group: SettingGroup;
  /** One sentence for the settings editor and `--help`. */
  description: string;
  /** The CLI flag without dashes. */
  flag: string;
  /** How the value reads in usage text (`N`, `X`, `TEXT`); choices and booleans need none. */
  placeholder?: string;
}

export interface NumberSetting extends Common {
  type: 'integer' | 'number';
  default: number;
  minimum: number;
  maximum: number;
  /** The minimum itself is not allowed (a learning rate of 0 learns nothing). */
  exclusiveMinimum?: boolean;
}
export interface BooleanSetting extends Common {
  type: 'boolean';
  default: boolean;
}
export interface StringSetting extends Common {
  type: 'string';
  default: string;
  maxLength: number;
}
export interface ChoiceSetting<C extends string = string> extends Common {
  type: 'choice';
  default: C;
  choices: readonly C[];
  choiceDescriptions?: readonly string[];
}
export type Setting = NumberSetting | BooleanSetting | StringSetting | ChoiceSetting;

const int = (s: Omit<NumberSetting, 'type'>): NumberSetting => ({ type: 'integer', placeholder: 'N', ...s });
const real = (s: Omit<NumberSetting, 'type'>): NumberSetting => ({ type: 'number', placeholder: 'X', ...s });
const bool = (s: Omit<BooleanSetting, 'type'>): BooleanSetting => ({ type: 'boolean', ...s });
const text = (s: Omit<StringSetting, 'type'>): StringSetting => ({ type: 'string', placeholder: 'TEXT', ...s });
const choice = <const C extends string>(s: Omit<ChoiceSetting<C>, 'type'>): ChoiceSetting<C> => ({ type: 'choice', ...s });

/** The training settings, in the order the settings editor and `--help` show them. */
export const trainSettings = {
  // Model
  cell: choice({
    group: 'model', flag: 'cell', default: 'lstm', choices: cellTypes,
    description: 'Recurrent cell: LSTM, GRU or a plain (Elman) RNN.',
    choiceDescriptions: ['Long short-term memory (gates i, f, c, o).', 'Gated recurrent unit.', 'Plain tanh RNN.'],
  }),
  hiddenSize: int({ group: 'model', flag: 'hidden', default: 128, minimum: 1, maximum: 4096, description: 'Hidden units per recurrent layer.' }),
  layers: int({ group: 'model', flag: 'layers', default: 1, minimum: 1, maximum: 8, description: 'Number of stacked recurrent layers.' }),
  embeddingSize: int({
    group: 'model', flag: 'embedding', default: 0, minimum: 0, maximum: 4096,
    description: 'Size of the learned token embedding; 0 feeds one-hot tokens.',
  }),
  dropout: real({
    group: 'model', flag: 'dropout', default: 0, minimum: 0, maximum: 0.9, placeholder: 'P',
    description: 'Dropout between layers during training (0 = none).',
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
  maxVocab: int({
    group: 'data', flag: 'max-vocab', default: 96, minimum: 2, maximum: 65_535,
    description: 'Largest vocabulary; rarer symbols map to the unknown symbol.',
  }),
  // Optimisation
  learningRate: real({
    group: 'optimisation', flag: 'lr', default: 0.01, minimum: 0, exclusiveMinimum: true, maximum: 1000,
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
  seed: int({
    group: 'optimisation', flag: 'seed', default: 1, minimum: 0, maximum: 2_147_483_647,
    description: 'Random seed: the same seed, text and settings give the same run.',
  }),
  // Budget
  steps: int({
    group: 'budget', flag: 'steps', default: 1000, minimum: 0, maximum: 100_000_000,
    description: 'Stop after this many optimizer steps (0 = no limit from steps). If steps, epochs and seconds are all 0, the default number of steps is used.',
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
  // Compute
  backend: choice({
    group: 'compute', flag: 'backend', default: 'auto', choices: backendNames,
    description: 'Compute backend for training.',
    choiceDescriptions: [
      'The fastest available (WebAssembly SIMD when it loads).',
      'WebAssembly SIMD kernels on worker threads.',
      'Plain JavaScript (float32).',
      'Float64 reference implementation: slow, for checking.',
      'TensorFlow.js (tfjs-node-gpu or tfjs-node when installed for the trainer\'s Node).',
    ],
  }),
  threads: int({
    group: 'compute', flag: 'threads', default: 0, minimum: 0, maximum: 256,
    description: 'Worker threads for the WebAssembly backend (0 = all cores).',
  }),
} as const satisfies Record<string, Setting>;

export type TrainSettings = typeof trainSettings;
export type SettingKey = keyof TrainSettings;

/** Everything a run needs; the CLI, the trainer process and the extension settings all produce this. */
export type TrainConfig = { -readonly [K in SettingKey]: TrainSettings[K] extends ChoiceSetting<infer C> ? C : TrainSettings[K]['default'] extends boolean ? boolean : TrainSettings[K]['default'] extends string ? string : number };

export const settingKeys = Object.keys(trainSettings) as SettingKey[];

export function settingOf(key: SettingKey): Setting {
  return trainSettings[key] as Setting;
}

/** The defaults, derived from the table. */
export const defaultTrainConfig: TrainConfig = Object.fromEntries(settingKeys.map((k) => [k, settingOf(k).default])) as TrainConfig;

/**
 * Settings of the editor only (not part of a run's config): no CLI flag, but declared here so
 * package.json's configuration is derived from one place.
 */
export const editorSettings = {
  nodePath: {
    type: 'string', default: '', scope: 'machine', group: 'compute',
    description: 'Another Node.js binary to run the trainer with (for example one with a GPU addon for tfjs). Empty = the editor\'s own Node. Ignored in untrusted workspaces.',
  },
} as const;

/** The VS Code settings section: setting `key` is `rnnLab.<key>`. */
export const settingsSection = 'rnnLab';
