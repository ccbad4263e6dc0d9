/**
 * A PyTorch folder: what `rnn-lab export --pytorch DIR` writes and its train.py writes back.
 *
 *   config.json          { format, spec (model/spec.ts), config (every setting of the run), step, text, ... }
 *   vocab.json           the tokenizer (RNN Lab's tokenizer JSON: kind, symbols, specials, lowercase)
 *   weights.safetensors  the state_dict of model.py's CharRNN, float32
 *
 * model.py uses PyTorch's own cells, so the weights take PyTorch's names, shapes and gate order:
 *   embedding.weight                 [V, E]          = our embedding
 *   layers.{l}.weight_ih_l0          [G*H, in]       = l{l}.kernel transposed, gates reordered
 *   layers.{l}.weight_hh_l0          [G*H, H]        = l{l}.recurrent_kernel transposed, gates reordered
 *   layers.{l}.bias_ih_l0 / bias_hh_l0 [G*H]         GRU: our input and recurrent bias rows;
 *                                                    LSTM and RNN: our one bias and zeros (PyTorch adds the two)
 *   dense.weight [D, Htop], dense.bias [D]; output.weight [V, K], output.bias [V]  (Linear: kernel transposed)
 * Gate order: LSTM is i f g o in both; our GRU is z r h and PyTorch's is r z n (the same reset_after
 * cell: n = tanh(W_n x + b_in + r ⊙ (U_n h + b_hn)), h = (1 - z) ⊙ n + z ⊙ h₋).
 */
import { open, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FloatArray } from '../../tensor';
import { defaultTrainConfig, type TrainConfig } from '../../config/settings';
import { tokenizerFromJSON } from '../../data/tokenizer';
import { UserInputError, unreadableFile } from '../../text/errors';
import { assertReadableFile } from '../../text/file';
import type { Checkpoint, ValPoint } from './checkpoint';
import type { LoadedModel } from './load';
import { readHeader, readTensor, SafetensorsFormatError } from './safetensors';
import { gateCount, layerHiddenSize, layerInputSize, outputInputSize, paramLayout, referenceOnly, topHiddenSize, validateSpec, withSpecDefaults, type ModelSpec } from '../spec';

export const PYTORCH_FORMAT = 'rnn-lab-pytorch/1';
export const CONFIG_FILE = 'config.json';
export const VOCAB_FILE = 'vocab.json';
export const WEIGHTS_FILE = 'weights.safetensors';

/** Why model.py cannot run this model (PyTorch's cells have logistic gates and reset_after GRUs only), or undefined. */
export function pytorchUnsupported(spec: ModelSpec): string | undefined {
  const why = referenceOnly(spec);
  return why && `PyTorch's LSTM and GRU cannot compute ${why}`;
}

/** PyTorch's gate k is our gate order[k]. */
function gateOrder(spec: ModelSpec): number[] {
  return spec.cell === 'gru' ? [1, 0, 2] : spec.cell === 'lstm' ? [0, 1, 2, 3] : [0];
}

export interface ShapedTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** The shapes model.py's state_dict has for this spec, in its order. */
export function pytorchShapes(spec: ModelSpec): Array<[name: string, shape: number[]]> {
  const G = gateCount(spec.cell);
  const out: Array<[string, number[]]> = [];
  if (spec.embeddingSize > 0) out.push(['embedding.weight', [spec.vocabSize, spec.embeddingSize]]);
  for (let l = 0; l < spec.layers; l++) {
    const H = layerHiddenSize(spec, l);
    const p = `layers.${l}.`;
    out.push([`${p}weight_ih_l0`, [G * H, layerInputSize(spec, l)]], [`${p}weight_hh_l0`, [G * H, H]], [`${p}bias_ih_l0`, [G * H]], [`${p}bias_hh_l0`, [G * H]]);
  }
  if (spec.hiddenDense > 0) out.push(['dense.weight', [spec.hiddenDense, topHiddenSize(spec)]], ['dense.bias', [spec.hiddenDense]]);
  out.push(['output.weight', [spec.vocabSize, outputInputSize(spec)]], ['output.bias', [spec.vocabSize]]);
  return out;
}

/**
 * A Keras-style [rows, G*H] kernel as PyTorch's [G*H, rows] weight, gates in PyTorch's order
 * (`forward`), or back (`!forward`). `from` and `to` are offsets into `src` and `dst`.
 */
function transposeGates(src: ArrayLike<number>, from: number, dst: FloatArray, to: number, rows: number, H: number, order: number[], forward: boolean): void {
  const GH = order.length * H;
  for (let tg = 0; tg < order.length; tg++) {
    for (let j = 0; j < H; j++) {
      const col = order[tg] * H + j; // our column
      const row = tg * H + j; // PyTorch's row
      for (let i = 0; i < rows; i++) {
        if (forward) dst[to + row * rows + i] = src[from + i * GH + col];
        else dst[to + i * GH + col] = src[from + row * rows + i];
      }
    }
  }
}

/** Our canonical parameters as model.py's state_dict (float32). */
export function pytorchTensors(spec: ModelSpec, params: FloatArray): ShapedTensor[] {
  const layout = paramLayout(spec);
  const order = gateOrder(spec);
  const at = (name: string) => layout.byName.get(name)!;
  const tensors = new Map(pytorchShapes(spec).map(([name, shape]) => [name, { name, shape, values: new Float32Array(shape.reduce((a, b) => a * b, 1)) }]));
  const put = (name: string) => tensors.get(name)!.values;
  const slice = (name: string) => params.subarray(at(name).offset, at(name).offset + at(name).size);
  if (spec.embeddingSize > 0) put('embedding.weight').set(slice('embedding'));
  for (let l = 0; l < spec.layers; l++) {
    const H = layerHiddenSize(spec, l);
    const GH = order.length * H;
    const p = `layers.${l}.`;
    transposeGates(params, at(`l${l}.kernel`).offset, put(`${p}weight_ih_l0`), 0, layerInputSize(spec, l), H, order, true);
    transposeGates(params, at(`l${l}.recurrent_kernel`).offset, put(`${p}weight_hh_l0`), 0, H, H, order, true);
    const bias = at(`l${l}.bias`).offset;
    // GRU: row 0 is the input bias, row 1 the recurrent one; the others have one bias (bias_hh stays 0).
    transposeGates(params, bias, put(`${p}bias_ih_l0`), 0, 1, H, order, true);
    if (spec.cell === 'gru') transposeGates(params, bias + GH, put(`${p}bias_hh_l0`), 0, 1, H, order, true);
  }
  const linear = (ours: string, theirs: string) => {
    const k = at(`${ours}.kernel`);
    const [rows, cols] = k.shape;
    transposeGates(params, k.offset, put(`${theirs}.weight`), 0, rows, cols, [0], true);
    put(`${theirs}.bias`).set(slice(`${ours}.bias`));
  };
  if (spec.hiddenDense > 0) linear('dense', 'dense');
  linear('output', 'output');
  return [...tensors.values()];
}

/** model.py's state_dict (checked shapes) back in our canonical layout. */
export function paramsFromPytorch(spec: ModelSpec, tensors: ReadonlyMap<string, ArrayLike<number>>): Float64Array {
  const layout = paramLayout(spec);
  const order = gateOrder(spec);
  const at = (name: string) => layout.byName.get(name)!;
  const out = new Float64Array(layout.total);
  const get = (name: string) => tensors.get(name)!;
  if (spec.embeddingSize > 0) out.set(get('embedding.weight'), at('embedding').offset);
  for (let l = 0; l < spec.layers; l++) {
    const H = layerHiddenSize(spec, l);
    const GH = order.length * H;
    const p = `layers.${l}.`;
    transposeGates(get(`${p}weight_ih_l0`), 0, out, at(`l${l}.kernel`).offset, layerInputSize(spec, l), H, order, false);
    transposeGates(get(`${p}weight_hh_l0`), 0, out, at(`l${l}.recurrent_kernel`).offset, H, H, order, false);
    const bias = at(`l${l}.bias`).offset;
    const ih = get(`${p}bias_ih_l0`);
    const hh = get(`${p}bias_hh_l0`);
    if (spec.cell === 'gru') {
      transposeGates(ih, 0, out, bias, 1, H, order, false);
      transposeGates(hh, 0, out, bias + GH, 1, H, order, false);
    } else {
      // PyTorch adds its two biases; we keep their sum.
      const sum = Float64Array.from({ length: GH }, (_, k) => ih[k] + hh[k]);
      transposeGates(sum, 0, out, bias, 1, H, order, false);
    }
  }
  const linear = (ours: string, theirs: string) => {
    const k = at(`${ours}.kernel`);
    const [rows, cols] = k.shape;
    transposeGates(get(`${theirs}.weight`), 0, out, k.offset, rows, cols, [0], false);
    out.set(get(`${theirs}.bias`), at(`${ours}.bias`).offset);
  };
  if (spec.hiddenDense > 0) linear('dense', 'dense');
  linear('output', 'output');
  return out;
}

/** A folder (not a file): the caller reads it as a PyTorch folder. */
export async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** config.json and vocab.json are small; a vocabulary of a few hundred thousand words fits. */
const MAX_JSON_BYTES = 64 * 2 ** 20;

async function readJsonFile(path: string, what: string): Promise<unknown> {
  await assertReadableFile(path, what, MAX_JSON_BYTES);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw unreadableFile(path, error, what);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UserInputError(`${what} ${path} is not JSON.`);
  }
}

/** What config.json holds (the fields read back; train.py adds its validation history). */
export interface PytorchConfig {
  format: string;
  spec: ModelSpec;
  config: Partial<TrainConfig>;
  step?: number;
  /** The training text, when known (train.py's default --text). */
  text?: string;
  sourceName?: string;
  bestValLoss?: number | null;
  /** [step, validation loss] pairs. */
  valHistory?: Array<[number, number]>;
}

/**
 * Reads a folder written by `export --pytorch` or train.py (or any safetensors with model.py's
 * names beside such a config.json and vocab.json). Every mismatch names the file and the tensor.
 */
export async function loadPytorchFolder(dir: string): Promise<LoadedModel> {
  const configPath = join(dir, CONFIG_FILE);
  const vocabPath = join(dir, VOCAB_FILE);
  const weightsPath = join(dir, WEIGHTS_FILE);
  for (const [file, what] of [[configPath, 'the model settings (written by rnn-lab export --pytorch or train.py)'], [vocabPath, 'the vocabulary'], [weightsPath, 'the weights']] as const) {
    if (!(await stat(file).then((s) => s.isFile(), () => false))) {
      throw new UserInputError(`${dir} is a folder, and not a PyTorch model folder: it has no ${basename(file)} (${what}).`);
    }
  }
  const config = (await readJsonFile(configPath, 'the model settings')) as Partial<PytorchConfig> | null;
  if (!config || typeof config !== 'object' || !config.spec || typeof config.spec !== 'object') {
    throw new UserInputError(`${configPath} has no "spec" (the model's architecture): it was not written by rnn-lab export --pytorch or train.py.`);
  }
  let spec: ModelSpec;
  try {
    spec = withSpecDefaults(config.spec);
    validateSpec(spec);
  } catch (error) {
    throw new UserInputError(`${configPath}: its "spec" is not a valid model: ${(error as Error).message}.`);
  }
  const tokenizerJson = await readJsonFile(vocabPath, 'the vocabulary');
  let tokenizer;
  try {
    tokenizer = tokenizerFromJSON(tokenizerJson);
  } catch (error) {
    throw new UserInputError(`${vocabPath} is not an RNN Lab vocabulary: ${(error as Error).message}`);
  }
  const tensors = await readPytorchWeights(weightsPath, spec, tokenizer.size, vocabPath);
  const params = paramsFromPytorch(spec, tensors);
  const trainConfig: TrainConfig = { ...defaultTrainConfig, ...(config.config ?? {}) } as TrainConfig;
  const valHistory: ValPoint[] = (Array.isArray(config.valHistory) ? config.valHistory : [])
    .filter((p): p is [number, number] => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number')
    .map(([step, valLoss]) => ({ step, valLoss }));
  const checkpoint: Checkpoint = {
    version: 1,
    sourceName: config.sourceName ?? basename(dir),
    ...(typeof config.text === 'string' ? { sourcePath: config.text } : {}),
    step: typeof config.step === 'number' ? config.step : 0,
    bestValLoss: typeof config.bestValLoss === 'number' ? config.bestValLoss : Infinity,
    createdAt: '',
    spec,
    config: trainConfig,
    tokenizer,
    params: Float32Array.from(params),
    trainHistory: [],
    valHistory,
  };
  return { kind: 'pytorch', path: dir, spec, params, tokenizer, notes: [], checkpoint, vocabSource: vocabPath };
}

/** Every tensor model.py has for `spec`, each checked against its shape; nothing more, nothing less. */
async function readPytorchWeights(path: string, spec: ModelSpec, vocabSize: number, vocabPath: string): Promise<Map<string, Float32Array | Float64Array>> {
  const size = await assertReadableFile(path, 'the weights', Infinity);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw unreadableFile(path, error, 'the weights');
  }
  try {
    let header;
    try {
      header = await readHeader(handle, size);
    } catch (error) {
      if (error instanceof SafetensorsFormatError) throw new UserInputError(`${path} cannot be read: ${error.message}`);
      throw error;
    }
    const outputBias = header.tensors.get('output.bias');
    if (outputBias && outputBias.shape.length === 1 && outputBias.shape[0] !== vocabSize) {
      throw new UserInputError(`${vocabPath} has ${vocabSize} symbols but tensor output.bias in ${path} has ${outputBias.shape[0]} (one per symbol): the vocabulary is not this model's.`);
    }
    const expected = pytorchShapes(spec);
    const out = new Map<string, Float32Array | Float64Array>();
    for (const [name, shape] of expected) {
      const info = header.tensors.get(name);
      if (!info) throw new UserInputError(`${path} has no tensor ${name}, which the model in ${CONFIG_FILE} (${spec.cell}, ${spec.layers} layer(s)) needs.`);
      if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
        throw new UserInputError(`tensor ${name} in ${path} has shape [${info.shape.join(', ')}] but the model in ${CONFIG_FILE} needs [${shape.join(', ')}]: the weights are of another architecture.`);
      }
      try {
        out.set(name, await readTensor(handle, info, size));
      } catch (error) {
        if (error instanceof SafetensorsFormatError) throw new UserInputError(`${path} cannot be read: ${error.message}`);
        throw error;
      }
    }
    const known = new Set(expected.map(([name]) => name));
    const extra = [...header.tensors.keys()].filter((name) => !known.has(name));
    if (extra.length > 0) throw new UserInputError(`${path} has tensor ${extra[0]}, which the model in ${CONFIG_FILE} does not have: the weights are of another architecture.`);
    return out;
  } finally {
    await handle.close();
  }
}
