/**
 * Keras HDF5 weights ⇄ our canonical parameter layout (model/spec.ts).
 *
 * Read: the three layouts Keras has written over the years, for the models RNN Lab runs
 * (optional Embedding, 1+ SimpleRNN / GRU / LSTM layers, optional Dense hidden layer, Dense softmax):
 *   - Keras 2 / tf.keras 2: a group per layer, its `weight_names` attribute listing datasets such as
 *     `lstm/lstm_cell/kernel:0` [in, G·H], `recurrent_kernel:0` [H, G·H], `bias:0` [G·H]
 *     (GRU reset_after: [2, 3H]); the layer order is the root's `layer_names` attribute; a full-model
 *     file keeps them under `model_weights` and describes the model in its `model_config` attribute.
 *   - Keras 1.x: datasets named `<layer>_W`, `<layer>_U`, `<layer>_b`, per gate in Keras 1.0
 *     (`lstm_2_W_i` ... with gates i, c, f, o; GRU z, r, h) or consolidated in 1.1+ ([in, 4H], gates
 *     i, f, c, o); Dense `<name>_W` / `<name>_b`, also inside a `timedistributed_N` group.
 *   - Keras 3 `.weights.h5`: `layers/<name>/vars/0, 1, 2` (recurrent layers under `cell/vars`).
 * The architecture comes from `model_config` when the file has one, otherwise from the shapes, with
 * options to settle what shapes cannot (the hidden Dense activation, the gate activation, GRU reset_after).
 *
 * Write: the tf.keras 2 weights layout, with a `model_config` that rebuilds the model in Keras.
 */
import { gateCount, hiddenActivations, layerHiddenSize, paramLayout, validateSpec, type CellType, type HiddenActivation, type ModelSpec } from '../spec';
import { UserInputError } from '../../text/errors';
import type { TokenizerJSON } from '../../data/tokenizer';
import { nodeAt, type H5Attribute, type H5Dataset, type H5Group, type H5WriteDataset, type H5WriteGroup } from './hdf5';

export type KerasLayoutName = 'keras1.0' | 'keras1.1' | 'keras2' | 'keras3';
export type GateActivation = NonNullable<ModelSpec['recurrentActivation']>;

export interface KerasReadOptions {
  /** Activation of a hidden Dense layer when the file does not say (`--hidden-activation`). */
  hiddenActivation?: HiddenActivation;
  /** GRU variant when the file does not say (`--gru-reset-after`); the file wins when it says. */
  gruResetAfter?: boolean;
  /** Gate activation of LSTM / GRU when the file does not say (`--recurrent-activation`). */
  recurrentActivation?: GateActivation;
}

export interface KerasModel {
  spec: ModelSpec;
  /** Canonical layout (paramLayout(spec)), float64 as read. */
  params: Float64Array;
  layout: KerasLayoutName;
  /** Layer names in the file, in model order (for messages). */
  layerNames: string[];
  /** What was assumed because the file does not say, for the user to check. */
  notes: string[];
  /** A vocabulary stored in the file by RNN Lab's export (attribute `rnn_lab_vocabulary`), if any. */
  vocabulary?: string[];
  /** The whole tokenizer (`Tokenizer.toJSON`) stored by RNN Lab's export of a word-level model (attribute `rnn_lab_tokenizer`), if any. */
  tokenizer?: unknown;
}

/** One weight array of a layer, with its role in the layer. */
interface Weight {
  /** As the file names it (dataset path or weight name). */
  name: string;
  role: string;
  /** Keras 1.0 per-gate arrays: the gate letter. */
  gate?: string;
  shape: number[];
  values: Float64Array;
}

interface FileLayer {
  name: string;
  weights: Weight[];
  /** From model_config when the file has it. */
  config?: LayerConfig;
}

interface LayerConfig {
  className: string;
  config: Record<string, unknown>;
  /** TimeDistributed's wrapped layer. */
  inner?: LayerConfig;
}

const fail = (path: string, why: string): never => {
  throw new UserInputError(`${path}: ${why}`);
};

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

function stringList(value: H5Attribute | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.map(String);
  return undefined;
}

function datasetValues(path: string, name: string, node: H5Dataset): Float64Array {
  if (!node.values) fail(path, `dataset ${name} is not numeric.`);
  return node.values!;
}

// ---------------------------------------------------------------------------------------------
// Reading the file into layers

/** Role of a Keras 2 weight from its name: `lstm/lstm_cell/kernel:0` -> kernel. */
function keras2Role(weightName: string): string {
  const last = weightName.split('/').pop() ?? weightName;
  return last.replace(/:\d+$/, '');
}

/** Keras 1 weight name `lstm_2_W_i` -> role W, gate i; `dense_1_b` -> role b. */
function keras1Role(weightName: string): { role: string; gate?: string } | undefined {
  const m = /_(W|U|b)(?:_([ifcozrh]))?$/.exec(weightName);
  return m ? { role: m[1], gate: m[2] } : undefined;
}

function readLayerGroups(path: string, root: H5Group): { layers: FileLayer[]; keras1: boolean } {
  const layerNames = stringList(root.attrs.layer_names);
  if (!layerNames) fail(path, 'no `layer_names` attribute: this is not a Keras weights file.');
  const layers: FileLayer[] = [];
  let keras1 = false;
  for (const name of layerNames!) {
    const group = root.children.get(name);
    if (!group || group.kind !== 'group') fail(path, `layer ${name} is listed in layer_names but has no group.`);
    const g = group as H5Group;
    const weightNames = stringList(g.attrs.weight_names) ?? [];
    const weights: Weight[] = [];
    for (const weightName of weightNames) {
      const node = nodeAt(g, weightName);
      if (!node || node.kind !== 'dataset') fail(path, `layer ${name}: weight ${weightName} is listed but its dataset is missing.`);
      const dataset = node as H5Dataset;
      const values = datasetValues(path, `${name}/${weightName}`, dataset);
      if (weightName.includes(':') || weightName.includes('/')) {
        weights.push({ name: weightName, role: keras2Role(weightName), shape: dataset.shape, values });
      } else {
        const r = keras1Role(weightName);
        if (!r) fail(path, `layer ${name}: weight ${weightName} has a name this reader does not know (expected <layer>_W, _U or _b, or a Keras 2 name like kernel:0).`);
        keras1 = true;
        weights.push({ name: weightName, role: r!.role, gate: r!.gate, shape: dataset.shape, values });
      }
    }
    layers.push({ name, weights });
  }
  return { layers, keras1 };
}

/** Numeric-aware name order: lstm, lstm_1, lstm_2, ..., lstm_10. */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Keras 3 `.weights.h5`: layers/<name>/vars/<i> (a recurrent layer's under layers/<name>/cell/vars). */
function readKeras3(path: string, root: H5Group): FileLayer[] {
  const layersGroup = root.children.get('layers') as H5Group;
  const layers: FileLayer[] = [];
  const varsOf = (g: H5Group, where: string): Weight[] | undefined => {
    const vars = g.children.get('vars');
    if (!vars || vars.kind !== 'group') return undefined;
    const names = [...vars.children.keys()].sort(naturalCompare);
    return names.map((n) => {
      const d = vars.children.get(n)!;
      if (d.kind !== 'dataset') fail(path, `${where}/vars/${n} is not a dataset.`);
      return { name: `${where}/vars/${n}`, role: n, shape: (d as H5Dataset).shape, values: datasetValues(path, `${where}/vars/${n}`, d as H5Dataset) };
    });
  };
  const visit = (g: H5Group, where: string, name: string) => {
    const own = varsOf(g, where);
    if (own && own.length > 0) {
      layers.push({ name, weights: own });
      return;
    }
    // Wrappers and cells keep their variables one level down: layers/lstm/cell, layers/time_distributed/layer.
    for (const [child, node] of g.children) {
      if (child === 'vars' || node.kind !== 'group') continue;
      const inner = varsOf(node, `${where}/${child}`);
      if (inner && inner.length > 0) {
        layers.push({ name, weights: inner });
        return;
      }
    }
  };
  for (const name of [...layersGroup.children.keys()]) {
    const g = layersGroup.children.get(name)!;
    if (g.kind === 'group') visit(g, `layers/${name}`, name);
  }
  // Keras 3 files list groups by name, not model order: embedding, recurrent layers, then Dense layers.
  const rank = (l: FileLayer) => (l.weights.length === 1 ? 0 : l.weights.length === 3 ? 1 : 2);
  layers.sort((a, b) => rank(a) - rank(b) || naturalCompare(a.name, b.name));
  // Keras 3 names vars by index: 0 kernel (or embeddings), 1 recurrent kernel (or Dense bias), 2 bias.
  for (const l of layers) {
    const roles = l.weights.length === 1 ? ['embeddings'] : l.weights.length === 3 ? ['kernel', 'recurrent_kernel', 'bias'] : ['kernel', 'bias'];
    l.weights.forEach((w, i) => (w.role = roles[i] ?? w.role));
  }
  return layers;
}

function parseModelConfig(path: string, raw: H5Attribute | undefined): LayerConfig[] | undefined {
  if (typeof raw !== 'string') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    fail(path, 'the model_config attribute is not valid JSON.');
  }
  const top = json as { class_name?: string; config?: unknown };
  const cfg = top.config as { layers?: unknown } | unknown[] | undefined;
  // Keras 1 / 2.0 Sequential: config is the layer list; later: config.layers; Functional: config.layers too.
  const list = Array.isArray(cfg) ? cfg : Array.isArray((cfg as { layers?: unknown })?.layers) ? ((cfg as { layers: unknown[] }).layers) : undefined;
  if (!list) return undefined;
  const toConfig = (l: unknown): LayerConfig => {
    const o = l as { class_name?: string; config?: Record<string, unknown> };
    const config = o.config ?? {};
    const innerRaw = config.layer as unknown;
    return { className: String(o.class_name ?? ''), config, inner: innerRaw && typeof innerRaw === 'object' ? toConfig(innerRaw) : undefined };
  };
  return list.map(toConfig);
}

// ---------------------------------------------------------------------------------------------
// Interpreting the layers

type Kind = 'embedding' | 'recurrent' | 'dense' | 'none';

interface Recurrent {
  layer: FileLayer;
  cell: CellType;
  H: number;
  inputSize: number;
  /** Canonical arrays. */
  kernel: Float64Array;
  recurrent: Float64Array;
  /** [G·H] or, for GRU, [2, G·H]. */
  bias: Float64Array;
  resetAfter?: boolean;
  gateActivation?: string;
}

interface Dense {
  layer: FileLayer;
  inputSize: number;
  units: number;
  kernel: Float64Array;
  bias: Float64Array;
  activation?: string;
}

const supportedClasses = new Set(['InputLayer', 'Embedding', 'SimpleRNN', 'GRU', 'LSTM', 'Dense', 'TimeDistributed', 'Activation', 'Dropout', 'Masking', 'SpatialDropout1D']);

function classOf(config: LayerConfig | undefined): string | undefined {
  if (!config) return undefined;
  return config.className === 'TimeDistributed' && config.inner ? config.inner.className : config.className;
}

function kindOf(path: string, layer: FileLayer, seenRecurrent: boolean): Kind {
  const cls = classOf(layer.config);
  if (layer.config) {
    if (!supportedClasses.has(layer.config.className) || (cls && !supportedClasses.has(cls))) {
      fail(path, `layer ${layer.name} (${cls ?? layer.config.className}) is not supported: RNN Lab reads Embedding, SimpleRNN, GRU, LSTM and Dense layers (TimeDistributed or not), with Activation and Dropout between them.`);
    }
    if (cls === 'Embedding') return 'embedding';
    if (cls === 'SimpleRNN' || cls === 'GRU' || cls === 'LSTM') return 'recurrent';
    if (cls === 'Dense') return 'dense';
    return 'none';
  }
  if (layer.weights.length === 0) return 'none';
  const roles = new Set(layer.weights.map((w) => w.role));
  if (roles.has('recurrent_kernel') || roles.has('U')) return 'recurrent';
  if (roles.has('embeddings')) return 'embedding';
  // A Keras 1 layer with only `_W` before any recurrent layer is an Embedding; after, a Dense without bias.
  if (!seenRecurrent && roles.size === 1 && (roles.has('W') || roles.has('kernel'))) return 'embedding';
  if (roles.has('kernel') || roles.has('W')) return 'dense';
  return fail(path, `layer ${layer.name} has weights ${layer.weights.map((w) => w.name).join(', ')}, which match no supported layer (Embedding, SimpleRNN, GRU, LSTM, Dense).`);
}

function expectShape(path: string, layer: string, w: Weight, shape: number[]): void {
  const ok = w.shape.length === shape.length && w.shape.every((d, i) => d === shape[i]);
  if (!ok) fail(path, `layer ${layer}: dataset ${w.name} has shape ${shapeText(w.shape)}, expected ${shapeText(shape)}.`);
}

function weightByRole(path: string, layer: FileLayer, role: string, gate?: string): Weight | undefined {
  return layer.weights.find((w) => w.role === role && w.gate === gate);
}

/** Gate letters of Keras 1.0 per-gate arrays, in our canonical order. */
const keras10Gates: Record<CellType, string[]> = { lstm: ['i', 'f', 'c', 'o'], gru: ['z', 'r', 'h'], rnn: [] };

function readRecurrent(path: string, layer: FileLayer, options: KerasReadOptions, notes: string[]): Recurrent {
  const cfg = layer.config?.className === 'TimeDistributed' ? layer.config.inner : layer.config;
  const gates = new Set(layer.weights.map((w) => w.gate).filter((g): g is string => g !== undefined));
  let cell: CellType;
  let kernel: Float64Array;
  let recurrent: Float64Array;
  let bias: Float64Array;
  let H: number;
  let inputSize: number;
  let resetAfter: boolean | undefined;
  if (gates.size > 0) {
    // Keras 1.0: one W, U, b per gate.
    cell = gates.has('i') ? 'lstm' : gates.has('z') ? 'gru' : fail(path, `layer ${layer.name}: per-gate weights with gates ${[...gates].join(', ')} match neither LSTM (i, c, f, o) nor GRU (z, r, h).`);
    const order = keras10Gates[cell];
    const first = weightByRole(path, layer, 'U', order[0]) ?? fail(path, `layer ${layer.name}: the weight ${layer.name}_U_${order[0]} is missing.`);
    H = first.shape[0];
    const firstW = weightByRole(path, layer, 'W', order[0]) ?? fail(path, `layer ${layer.name}: the weight ${layer.name}_W_${order[0]} is missing.`);
    inputSize = firstW.shape[0];
    const G = order.length;
    kernel = new Float64Array(inputSize * G * H);
    recurrent = new Float64Array(H * G * H);
    bias = new Float64Array((cell === 'gru' ? 2 : 1) * G * H);
    order.forEach((gate, k) => {
      const W = weightByRole(path, layer, 'W', gate) ?? fail(path, `layer ${layer.name}: the weight for gate ${gate} (W) is missing.`);
      const U = weightByRole(path, layer, 'U', gate) ?? fail(path, `layer ${layer.name}: the weight for gate ${gate} (U) is missing.`);
      const b = weightByRole(path, layer, 'b', gate);
      expectShape(path, layer.name, W, [inputSize, H]);
      expectShape(path, layer.name, U, [H, H]);
      for (let r = 0; r < inputSize; r++) for (let j = 0; j < H; j++) kernel[r * G * H + k * H + j] = W.values[r * H + j];
      for (let r = 0; r < H; r++) for (let j = 0; j < H; j++) recurrent[r * G * H + k * H + j] = U.values[r * H + j];
      if (b) {
        expectShape(path, layer.name, b, [H]);
        bias.set(b.values, k * H);
      }
    });
    if (cell === 'gru') resetAfter = false; // Keras 1's GRU applies the reset gate before U_h.
  } else {
    const K = weightByRole(path, layer, 'kernel') ?? weightByRole(path, layer, 'W') ?? fail(path, `layer ${layer.name}: no input kernel (kernel or ${layer.name}_W).`);
    const U = weightByRole(path, layer, 'recurrent_kernel') ?? weightByRole(path, layer, 'U') ?? fail(path, `layer ${layer.name}: no recurrent kernel (recurrent_kernel or ${layer.name}_U).`);
    const b = weightByRole(path, layer, 'bias') ?? weightByRole(path, layer, 'b');
    if (U.shape.length !== 2 || K.shape.length !== 2) fail(path, `layer ${layer.name}: dataset ${U.shape.length !== 2 ? U.name : K.name} has shape ${shapeText(U.shape.length !== 2 ? U.shape : K.shape)}, expected a matrix.`);
    H = U.shape[0];
    const G = U.shape[1] / H;
    const byClass = classOf(cfg);
    cell = byClass === 'LSTM' ? 'lstm' : byClass === 'GRU' ? 'gru' : byClass === 'SimpleRNN' ? 'rnn' : G === 4 ? 'lstm' : G === 3 ? 'gru' : G === 1 ? 'rnn' : fail(path, `layer ${layer.name}: dataset ${U.name} has shape ${shapeText(U.shape)}: its width is not 1, 3 or 4 times its height (SimpleRNN, GRU, LSTM).`);
    const GH = gateCount(cell) * H;
    inputSize = K.shape[0];
    expectShape(path, layer.name, U, [H, GH]);
    expectShape(path, layer.name, K, [inputSize, GH]);
    kernel = K.values;
    recurrent = U.values;
    bias = new Float64Array((cell === 'gru' ? 2 : 1) * GH);
    if (cell === 'gru') {
      const fromConfig = cfg?.config.reset_after as boolean | undefined;
      if (b && b.shape.length === 2) {
        expectShape(path, layer.name, b, [2, GH]);
        resetAfter = true;
      } else if (b) {
        expectShape(path, layer.name, b, [GH]);
        resetAfter = false;
      } else {
        resetAfter = fromConfig ?? options.gruResetAfter;
        if (resetAfter === undefined) {
          resetAfter = true;
          notes.push(`GRU layer ${layer.name} has no bias, so its shapes do not say whether reset_after is set; assumed reset_after=True (use --gru-reset-after true|false).`);
        }
      }
      if (fromConfig !== undefined && fromConfig !== resetAfter) fail(path, `layer ${layer.name}: model_config says reset_after=${fromConfig} but dataset ${b!.name} has shape ${shapeText(b!.shape)}.`);
      if (b) bias.set(b.values); // [2, 3H] fills both rows; [3H] the input row (the same sum either way).
    } else if (b) {
      expectShape(path, layer.name, b, [GH]);
      bias.set(b.values);
    }
  }
  if (cfg) {
    const activation = cfg.config.activation;
    if (activation !== undefined && activation !== 'tanh') fail(path, `layer ${layer.name} uses activation "${String(activation)}"; RNN Lab's ${cell.toUpperCase()} cells use tanh.`);
    if (cfg.config.go_backwards === true) fail(path, `layer ${layer.name} runs backwards (go_backwards), which RNN Lab does not support.`);
  }
  const gateActivation = cell === 'rnn' ? undefined : ((cfg?.config.recurrent_activation ?? cfg?.config.inner_activation) as string | undefined);
  return { layer, cell, H, inputSize, kernel, recurrent, bias, resetAfter, gateActivation };
}

function readDense(path: string, layer: FileLayer): Dense {
  const K = weightByRole(path, layer, 'kernel') ?? weightByRole(path, layer, 'W') ?? fail(path, `layer ${layer.name}: no kernel (kernel or ${layer.name}_W).`);
  if (K.shape.length !== 2) fail(path, `layer ${layer.name}: dataset ${K.name} has shape ${shapeText(K.shape)}, expected a matrix [inputs, units].`);
  const [inputSize, units] = K.shape;
  const b = weightByRole(path, layer, 'bias') ?? weightByRole(path, layer, 'b');
  if (b) expectShape(path, layer.name, b, [units]);
  const cfg = layer.config?.className === 'TimeDistributed' ? layer.config.inner : layer.config;
  const activation = cfg?.config.activation as string | undefined;
  return { layer, inputSize, units, kernel: K.values, bias: b ? b.values : new Float64Array(units), activation };
}

/** Reads a Keras weights file (already read as a tree) into our spec and canonical parameters. */
export function kerasModelFromTree(path: string, root: H5Group, options: KerasReadOptions = {}): KerasModel {
  const notes: string[] = [];
  let weightsRoot = root;
  let configSource: H5Attribute | undefined = root.attrs.model_config;
  const modelWeights = root.children.get('model_weights');
  if (!root.attrs.layer_names && modelWeights?.kind === 'group') weightsRoot = modelWeights;
  configSource ??= weightsRoot.attrs.model_config;
  let layers: FileLayer[];
  let layout: KerasLayoutName;
  const layersGroup = root.children.get('layers');
  if (weightsRoot.attrs.layer_names !== undefined) {
    const read = readLayerGroups(path, weightsRoot);
    layers = read.layers;
    const perGate = layers.some((l) => l.weights.some((w) => w.gate !== undefined));
    layout = read.keras1 ? (perGate ? 'keras1.0' : 'keras1.1') : 'keras2';
  } else if (layersGroup?.kind === 'group') {
    layers = readKeras3(path, root);
    layout = 'keras3';
  } else {
    return fail(path, 'this HDF5 file has neither a `layer_names` attribute (Keras 1 and 2) nor a `layers` group (Keras 3): it is not a Keras weights file.');
  }
  const configs = parseModelConfig(path, configSource);
  if (configs) {
    const byName = new Map(configs.map((c) => [String(c.config.name ?? ''), c]));
    for (const layer of layers) layer.config = byName.get(layer.name);
    // Layers without weights (Activation, Dropout) are not in layer_names of every version: take them from the config.
    const named = new Set(layers.map((l) => l.name));
    const ordered: FileLayer[] = [];
    for (const c of configs) {
      const name = String(c.config.name ?? '');
      const found = layers.find((l) => l.name === name);
      ordered.push(found ?? { name, weights: [], config: c });
      named.delete(name);
    }
    for (const l of layers) if (named.has(l.name)) fail(path, `layer ${l.name} has weights but is not in model_config.`);
    layers = ordered;
  }

  // Walk the layers in order: [embedding] recurrent+ [dense hidden] dense output, with
  // Activation / Dropout layers in between (an Activation sets the activation of the Dense before it).
  let embedding: { layer: FileLayer; values: Float64Array; V: number; E: number } | undefined;
  const recurrent: Recurrent[] = [];
  const dense: Dense[] = [];
  for (const layer of layers) {
    const kind = kindOf(path, layer, recurrent.length > 0);
    if (kind === 'none') {
      const cls = classOf(layer.config);
      if (cls === 'Activation') {
        const act = String(layer.config!.inner?.config.activation ?? layer.config!.config.activation);
        const last = dense[dense.length - 1];
        if (!last) fail(path, `layer ${layer.name} (Activation ${act}) comes before any Dense layer; RNN Lab supports activations only after Dense layers.`);
        if (last.activation && last.activation !== 'linear') fail(path, `layer ${layer.name} applies ${act} after Dense layer ${last.layer.name}, which already applies ${last.activation}.`);
        last.activation = act;
      }
      continue;
    }
    if (kind === 'embedding') {
      if (embedding || recurrent.length > 0) fail(path, `layer ${layer.name} is an Embedding after other layers; only a first Embedding layer is supported.`);
      const w = layer.weights.find((x) => x.role === 'embeddings' || x.role === 'W' || x.role === 'kernel') ?? fail(path, `layer ${layer.name}: the Embedding has no weights.`);
      if (w.shape.length !== 2) fail(path, `layer ${layer.name}: dataset ${w.name} has shape ${shapeText(w.shape)}, expected [vocabulary, embedding size].`);
      embedding = { layer, values: w.values, V: w.shape[0], E: w.shape[1] };
    } else if (kind === 'recurrent') {
      if (dense.length > 0) fail(path, `recurrent layer ${layer.name} comes after Dense layer ${dense[0].layer.name}; RNN Lab supports Dense layers only after the recurrent stack.`);
      recurrent.push(readRecurrent(path, layer, options, notes));
    } else {
      if (recurrent.length === 0) fail(path, `Dense layer ${layer.name} comes before any recurrent layer; RNN Lab reads [Embedding] SimpleRNN/GRU/LSTM+ [Dense] Dense models.`);
      dense.push(readDense(path, layer));
    }
  }
  if (recurrent.length === 0) fail(path, 'the file has no SimpleRNN, GRU or LSTM layer.');
  if (dense.length === 0) fail(path, `the file has no Dense output layer after ${recurrent[recurrent.length - 1].layer.name}.`);
  if (dense.length > 2) fail(path, `the file has ${dense.length} Dense layers (${dense.map((d) => d.layer.name).join(', ')}); RNN Lab supports one hidden Dense layer and the output layer.`);

  const first = recurrent[0];
  const cell = first.cell;
  const H = first.H;
  for (const r of recurrent) {
    if (r.cell !== cell) fail(path, `layers ${first.layer.name} (${cell.toUpperCase()}) and ${r.layer.name} (${r.cell.toUpperCase()}) are different cells; RNN Lab stacks one kind of cell.`);
  }
  const sizes = recurrent.map((r) => r.H);
  const output = dense[dense.length - 1];
  const hidden = dense.length === 2 ? dense[0] : undefined;
  const V = output.units;
  // The input: one-hot over the vocabulary, or an embedding of it.
  if (embedding) {
    if (embedding.V !== V) fail(path, `the Embedding ${embedding.layer.name} has ${embedding.V} rows but the output layer ${output.layer.name} has ${V} units: they must both be the vocabulary size.`);
    if (first.inputSize !== embedding.E) fail(path, `layer ${first.layer.name}: its kernel has shape ${shapeText([first.inputSize, gateCount(cell) * H])} but the Embedding gives ${embedding.E} values per symbol.`);
  } else if (first.inputSize !== V) {
    fail(path, `layer ${first.layer.name}: its kernel has ${first.inputSize} input rows but the output layer ${output.layer.name} has ${V} units; with one-hot input both are the vocabulary size.`);
  }
  recurrent.forEach((r, l) => {
    if (l > 0 && r.inputSize !== sizes[l - 1]) fail(path, `layer ${r.layer.name}: its kernel has ${r.inputSize} input rows, expected ${sizes[l - 1]} (the units of ${recurrent[l - 1].layer.name}).`);
  });
  const top = recurrent[recurrent.length - 1];
  if (hidden && hidden.inputSize !== top.H) fail(path, `Dense layer ${hidden.layer.name}: its kernel has ${hidden.inputSize} input rows, expected ${top.H} (the units of ${top.layer.name}).`);
  const outputIn = hidden ? hidden.units : top.H;
  if (output.inputSize !== outputIn) fail(path, `Dense layer ${output.layer.name}: its kernel has ${output.inputSize} input rows, expected ${outputIn}.`);
  if (output.activation !== undefined && output.activation !== 'softmax') {
    if (output.activation === 'linear') notes.push(`the output layer ${output.layer.name} has no softmax in the file; its outputs are read as logits.`);
    else fail(path, `the output layer ${output.layer.name} uses activation "${output.activation}"; RNN Lab's output is a softmax over the vocabulary.`);
  }

  // GRU variant: Keras' reset_after=False (and Keras 1's GRU) applies the reset gate before the recurrent product.
  let gruResetAfter: boolean | undefined;
  if (cell === 'gru') {
    const conflict = options.gruResetAfter !== undefined ? recurrent.find((r) => r.resetAfter !== undefined && r.resetAfter !== options.gruResetAfter) : undefined;
    if (conflict) fail(path, `--gru-reset-after ${options.gruResetAfter} disagrees with layer ${conflict.layer.name}, whose weights say reset_after=${conflict.resetAfter}.`);
    const variants = new Set(recurrent.map((r) => r.resetAfter ?? true));
    if (variants.size > 1) fail(path, `the GRU layers mix reset_after=True and reset_after=False (${recurrent.map((r) => `${r.layer.name}: ${r.resetAfter ?? true}`).join(', ')}); RNN Lab uses one for the whole stack.`);
    gruResetAfter = [...variants][0];
  }

  // Gate activation: Keras 1 and multi-backend Keras 2 default to hard_sigmoid, tf.keras and Keras 3 to sigmoid.
  let recurrentActivation: GateActivation | undefined;
  if (cell !== 'rnn') {
    const said = new Set(recurrent.map((r) => r.gateActivation).filter((a): a is string => a !== undefined));
    if (said.size > 1) fail(path, `the recurrent layers use different gate activations (${[...said].join(', ')}); RNN Lab uses one for the whole stack.`);
    const fromFile = [...said][0];
    if (fromFile !== undefined) {
      if (fromFile !== 'sigmoid' && fromFile !== 'hard_sigmoid') fail(path, `layer ${first.layer.name} uses recurrent activation "${fromFile}"; RNN Lab supports sigmoid and hard_sigmoid.`);
      if (fromFile === 'hard_sigmoid' && layout === 'keras3') fail(path, `layer ${first.layer.name} uses Keras 3's hard_sigmoid (relu6(x + 3) / 6), which RNN Lab does not support.`);
      recurrentActivation = fromFile as GateActivation;
    } else if (options.recurrentActivation) {
      recurrentActivation = options.recurrentActivation;
    } else {
      const tfKeras = layout === 'keras3' || recurrent.some((r) => r.layer.weights.some((w) => /_cell(_\d+)?\//.test(w.name))) || String(root.attrs.keras_version ?? '').endsWith('-tf');
      recurrentActivation = tfKeras ? 'sigmoid' : 'hard_sigmoid';
      notes.push(`the file does not record the gate activation; assumed ${recurrentActivation}, the default of ${tfKeras ? 'tf.keras and Keras 3' : layout.startsWith('keras1') ? 'Keras 1' : 'multi-backend Keras 2'} (use --recurrent-activation ${tfKeras ? 'hard_sigmoid' : 'sigmoid'} otherwise).`);
    }
  }

  let hiddenActivation: HiddenActivation = 'relu';
  if (hidden) {
    const act = hidden.activation ?? (layers.some((l) => l.config) ? 'linear' : undefined);
    if (act === undefined) {
      hiddenActivation = options.hiddenActivation ?? 'relu';
      if (!options.hiddenActivation) notes.push(`the file does not record the activation of Dense layer ${hidden.layer.name}; assumed relu (use --hidden-activation relu|tanh|linear).`);
    } else if ((hiddenActivations as readonly string[]).includes(act)) {
      hiddenActivation = act as HiddenActivation;
    } else {
      fail(path, `Dense layer ${hidden.layer.name} uses activation "${act}"; RNN Lab's hidden Dense layer supports ${hiddenActivations.join(', ')}.`);
    }
  }

  const spec: ModelSpec = {
    cell,
    vocabSize: V,
    // One number when every layer has the same size, as a spec from the settings has.
    hiddenSize: sizes.every((h) => h === H) ? H : sizes,
    layers: recurrent.length,
    embeddingSize: embedding ? embedding.E : 0,
    dropout: 0,
    hiddenDense: hidden ? hidden.units : 0,
    hiddenActivation,
    ...(recurrentActivation === 'hard_sigmoid' ? { recurrentActivation } : {}),
    ...(gruResetAfter === false ? { gruResetAfter } : {}),
  };
  validateSpec(spec);
  const pl = paramLayout(spec);
  const params = new Float64Array(pl.total);
  const put = (name: string, values: Float64Array) => {
    const slot = pl.byName.get(name)!;
    if (values.length !== slot.size) throw new Error(`internal: ${name} holds ${values.length} values, its slot ${slot.size}`);
    params.set(values, slot.offset);
  };
  if (embedding) put('embedding', embedding.values);
  recurrent.forEach((r, l) => {
    put(`l${l}.kernel`, r.kernel);
    put(`l${l}.recurrent_kernel`, r.recurrent);
    put(`l${l}.bias`, r.bias);
  });
  if (hidden) {
    put('dense.kernel', hidden.kernel);
    put('dense.bias', hidden.bias);
  }
  put('output.kernel', output.kernel);
  put('output.bias', output.bias);
  for (let i = 0; i < params.length; i++) if (!Number.isFinite(params[i])) fail(path, 'the weights contain NaN or infinite values.');
  const vocabulary = stringList(root.attrs.rnn_lab_vocabulary);
  const tokenizerAttr = root.attrs.rnn_lab_tokenizer;
  const tokenizer = typeof tokenizerAttr === 'string' ? JSON.parse(tokenizerAttr) as unknown : undefined;
  return { spec, params, layout, layerNames: layers.filter((l) => l.weights.length > 0).map((l) => l.name), notes, vocabulary, tokenizer };
}

// ---------------------------------------------------------------------------------------------
// Writing (tf.keras 2 layout)

export const kerasCellNames: Record<CellType, { cls: string; layer: string; cell: string }> = {
  lstm: { cls: 'LSTM', layer: 'lstm', cell: 'lstm_cell' },
  gru: { cls: 'GRU', layer: 'gru', cell: 'gru_cell' },
  rnn: { cls: 'SimpleRNN', layer: 'simple_rnn', cell: 'simple_rnn_cell' },
};

/** Keras' automatic names: lstm, lstm_1, lstm_2 ... */
const numbered = (base: string, i: number) => (i === 0 ? base : `${base}_${i}`);

export const KERAS_VERSION_WRITTEN = '2.15.0';

/** The tf.keras 2 weights file of a model, with its model_config (and our vocabulary, if given). */
export function kerasTreeFromModel(spec: ModelSpec, params: ArrayLike<number>, vocabulary?: readonly string[], tokenizer?: TokenizerJSON): H5WriteGroup {
  validateSpec(spec);
  const pl = paramLayout(spec);
  const slice = (name: string) => {
    const slot = pl.byName.get(name)!;
    const out = new Float32Array(slot.size);
    for (let i = 0; i < slot.size; i++) out[i] = params[slot.offset + i];
    return { values: out, shape: slot.shape };
  };
  const names = kerasCellNames[spec.cell];
  const layerConfigs: Array<{ class_name: string; config: Record<string, unknown> }> = [];
  const layerGroups: Array<[string, H5WriteGroup]> = [];
  /** One layer: its group holds `<layer>/<sub...>/<weight>:0` datasets, listed in `weight_names`. */
  const addLayer = (layerName: string, weights: Array<[string, { values: Float32Array; shape: number[] }]>) => {
    const weightNames = weights.map(([n]) => n);
    // Nest the datasets by the path in their name.
    const root: H5WriteGroup = { kind: 'group', attrs: { weight_names: weightNames }, children: [] };
    for (const [full, data] of weights) {
      const parts = full.split('/');
      let g = root;
      for (const part of parts.slice(0, -1)) {
        let next = g.children.find(([n, c]) => n === part && c.kind === 'group')?.[1] as H5WriteGroup | undefined;
        if (!next) {
          next = { kind: 'group', children: [] };
          g.children.push([part, next]);
        }
        g = next;
      }
      const dataset: H5WriteDataset = { kind: 'dataset', shape: data.shape, values: data.values };
      g.children.push([parts[parts.length - 1], dataset]);
    }
    layerGroups.push([layerName, root]);
  };
  const inputShape = spec.embeddingSize > 0 ? [null, null] : [null, null, spec.vocabSize];
  layerConfigs.push({ class_name: 'InputLayer', config: { batch_input_shape: inputShape, dtype: spec.embeddingSize > 0 ? 'int32' : 'float32', sparse: false, ragged: false, name: 'input_1' } });
  if (spec.embeddingSize > 0) {
    layerConfigs.push({ class_name: 'Embedding', config: { name: 'embedding', trainable: true, input_dim: spec.vocabSize, output_dim: spec.embeddingSize } });
    addLayer('embedding', [['embedding/embeddings:0', slice('embedding')]]);
  }
  for (let l = 0; l < spec.layers; l++) {
    const layerName = numbered(names.layer, l);
    const cellName = numbered(names.cell, l);
    const config: Record<string, unknown> = {
      name: layerName, trainable: true, return_sequences: true, return_state: false, go_backwards: false, stateful: false, unroll: false,
      units: layerHiddenSize(spec, l), activation: 'tanh', use_bias: true, dropout: 0, recurrent_dropout: 0,
    };
    if (spec.cell !== 'rnn') config.recurrent_activation = spec.recurrentActivation ?? 'sigmoid';
    const resetBefore = spec.cell === 'gru' && spec.gruResetAfter === false;
    if (spec.cell === 'gru') config.reset_after = !resetBefore;
    layerConfigs.push({ class_name: names.cls, config });
    let bias = slice(`l${l}.bias`);
    if (resetBefore) {
      // Keras' reset_after=False GRU has one bias [3H]; both of ours sit outside the reset gate, so it is their sum.
      const GH = 3 * layerHiddenSize(spec, l);
      const sum = new Float32Array(GH);
      for (let j = 0; j < GH; j++) sum[j] = bias.values[j] + bias.values[GH + j];
      bias = { values: sum, shape: [GH] };
    }
    addLayer(layerName, [
      [`${layerName}/${cellName}/kernel:0`, slice(`l${l}.kernel`)],
      [`${layerName}/${cellName}/recurrent_kernel:0`, slice(`l${l}.recurrent_kernel`)],
      [`${layerName}/${cellName}/bias:0`, bias],
    ]);
  }
  let denseIndex = 0;
  const addDense = (prefix: 'dense' | 'output', units: number, activation: string) => {
    const layerName = numbered('dense', denseIndex++);
    layerConfigs.push({ class_name: 'Dense', config: { name: layerName, trainable: true, units, activation, use_bias: true } });
    addLayer(layerName, [[`${layerName}/kernel:0`, slice(`${prefix}.kernel`)], [`${layerName}/bias:0`, slice(`${prefix}.bias`)]]);
  };
  if (spec.hiddenDense > 0) addDense('dense', spec.hiddenDense, spec.hiddenActivation);
  addDense('output', spec.vocabSize, 'softmax');
  const modelConfig = { class_name: 'Sequential', config: { name: 'sequential', layers: layerConfigs } };
  const attrs: Record<string, H5Attribute> = {
    backend: 'tensorflow',
    keras_version: KERAS_VERSION_WRITTEN,
    layer_names: layerGroups.map(([n]) => n),
    model_config: JSON.stringify(modelConfig),
  };
  if (vocabulary) attrs.rnn_lab_vocabulary = [...vocabulary];
  // A word vocabulary is more than its symbols (how text splits into words, lowercasing): the tokenizer itself.
  if (tokenizer) attrs.rnn_lab_tokenizer = JSON.stringify(tokenizer);
  return { kind: 'group', attrs, children: layerGroups };
}
