/**
 * Checkpoints: one self-contained JSON file with everything needed to sample, or to resume the run
 * exactly where it stopped (format version 2; see "Checkpoint format" in the README):
 *
 *   { format: 'rnn-lab-checkpoint', version: 2, createdAt, sourceName, sourcePath?,
 *     spec: ModelSpec, config: TrainConfig, tokenizer: TokenizerJSON,
 *     data: { mode, tokens, fingerprint: { tokens, hash } },
 *     params:      tensor   the weights at `step` (what a resumed run continues from),
 *     bestParams?: tensor   the weights of the best validation loss, when they differ (what sampling uses),
 *     optimizer: { name, steps, buffers: tensor[] },
 *     training: { step, learningRate, lastValLoss, initialLoss, smoothing: { sum, weight },
 *                 carriedState?: { batchSize, values: tensor }, onDemandSamples },
 *     best: { valLoss, step, evalsSinceBest },
 *     history: { train: [{ step, loss }] (downsampled), val: [{ step, valLoss }] } }
 *   tensor = { dtype: 'float32-le' | 'float64-le', count, base64 }
 *
 * Every random draw of a run is derived from (seed, step) or (seed, epoch, batch), so the step
 * and the on-demand sample count are its whole random state. Version 1 files (weights, spec,
 * config and vocabulary only) still load for sampling and as `--init-from` weights, not to resume.
 *
 * Where the files go (a folder per run, the file's best beside them): see train/runFolder.ts.
 * Writes go to a temporary file that is then renamed over the target, so a killed trainer
 * never leaves a half-written checkpoint behind.
 */
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { defaultTrainConfig, type TrainConfig } from '../../config/settings';
import type { CarriedStateCopy, FloatArray } from '../../backends/types';
import { tokenizerFromJSON, type Tokenizer, type TokenizerJSON } from '../../data/tokenizer';
import type { OptimizerState } from '../../optim/optimizers';
import { UserInputError, unreadableFile } from '../../text/errors';
import { paramLayout, validateSpec, withSpecDefaults, type ModelSpec } from '../spec';

export const CHECKPOINT_FORMAT = 'rnn-lab-checkpoint';
export const CHECKPOINT_VERSION = 2;
/** New checkpoints; older builds wrote `.rnnlab.json` (train/runFolder.ts LEGACY_SUFFIX), which still load. */
export const CHECKPOINT_SUFFIX = '.rnnlab';

export interface LossPoint {
  step: number;
  loss: number;
  /** Training time when it was measured (ms since the run started; absent in older files). */
  ms?: number;
}

export interface ValPoint {
  step: number;
  valLoss: number;
  ms?: number;
  /** Epochs trained at this point (absent in older files). */
  epoch?: number;
}

/** What identifies the text a run trained on: its token count and a hash of its ids and vocabulary. */
export interface TextFingerprint {
  tokens: number;
  hash: string;
}

/** Everything besides the weights that a resumed run needs to continue exactly. */
export interface TrainingState {
  optimizer: OptimizerState;
  learningRate: number;
  /** Validation loss of the last evaluation (halve-on-rise compares with it); NaN before one. */
  lastValLoss: number;
  /** The first step's loss (the divergence guard compares with it). */
  initialLoss: number;
  smoothing: { sum: number; weight: number };
  carriedState?: CarriedStateCopy;
  onDemandSamples: number;
  bestStep: number;
  evalsSinceBest: number;
}

export interface Checkpoint {
  /** 1 or 2: version 1 files carry no training state. */
  version: number;
  sourceName: string;
  /** The file trained on, when it was one (resuming reads it again). */
  sourcePath?: string;
  step: number;
  bestValLoss: number;
  createdAt: string;
  spec: ModelSpec;
  config: TrainConfig;
  tokenizer: Tokenizer;
  fingerprint?: TextFingerprint;
  /** The weights at `step`, canonical layout (float64 when the run was). */
  params: FloatArray;
  /** The weights with the best validation loss, when they differ from `params`. */
  bestParams?: FloatArray;
  training?: TrainingState;
  trainHistory: LossPoint[];
  valHistory: ValPoint[];
}

interface Tensor {
  dtype: 'float32-le' | 'float64-le';
  count: number;
  base64: string;
}

interface CheckpointFile {
  format: string;
  version: number;
  createdAt: string;
  sourceName: string;
  sourcePath?: string;
  step: number;
  spec: ModelSpec;
  config: TrainConfig;
  tokenizer?: TokenizerJSON;
  /** Version 1: the character vocabulary. */
  vocab?: TokenizerJSON;
  data?: { mode: string; tokens: string; fingerprint?: TextFingerprint };
  params: Tensor;
  bestParams?: Tensor;
  optimizer?: { name: string; steps: number; buffers: Tensor[] };
  training?: {
    step: number; learningRate: number; lastValLoss: number | null; initialLoss: number | null;
    smoothing: { sum: number; weight: number }; carriedState?: { batchSize: number; values: Tensor }; onDemandSamples: number;
  };
  best?: { valLoss: number | null; step: number; evalsSinceBest: number };
  /** Version 1. */
  bestValLoss?: number | null;
  history: { train: LossPoint[]; val: ValPoint[] };
}

/** `prose.txt` -> `prose`; anything outside [A-Za-z0-9._-] becomes `_`. */
export function checkpointStem(sourceName: string): string {
  const base = basename(sourceName, extname(sourceName)) || 'text';
  return base.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function checkpointPath(dir: string, sourceName: string, kind: 'best' | 'last'): string {
  return join(dir, `${checkpointStem(sourceName)}-${kind}${CHECKPOINT_SUFFIX}`);
}

export function encodeTensor(values: ArrayLike<number>, dtype: Tensor['dtype'] = values instanceof Float64Array ? 'float64-le' : 'float32-le'): Tensor {
  const width = dtype === 'float64-le' ? 8 : 4;
  const bytes = Buffer.alloc(values.length * width);
  for (let i = 0; i < values.length; i++) {
    if (width === 8) bytes.writeDoubleLE(values[i], i * 8);
    else bytes.writeFloatLE(values[i], i * 4);
  }
  return { dtype, count: values.length, base64: bytes.toString('base64') };
}

export function decodeTensor(t: Tensor | undefined, count: number, what: string, path: string): Float32Array | Float64Array {
  if (!t || (t.dtype !== 'float32-le' && t.dtype !== 'float64-le') || typeof t.base64 !== 'string' || t.count !== count) {
    fail(path, `the ${what} are missing or do not match the model (${count} values expected).`);
  }
  const width = t.dtype === 'float64-le' ? 8 : 4;
  const bytes = Buffer.from(t.base64, 'base64');
  if (bytes.length !== count * width) fail(path, `the ${what} are truncated: expected ${count * width} bytes, found ${bytes.length}.`);
  const out = width === 8 ? new Float64Array(count) : new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = width === 8 ? bytes.readDoubleLE(i * 8) : bytes.readFloatLE(i * 4);
  for (let i = 0; i < count; i++) if (!Number.isFinite(out[i])) fail(path, `the ${what} contain NaN or infinite values.`);
  return out;
}

/** FNV-1a over the vocabulary and the ids: a changed text (or tokenization) gives another hash. */
export function textFingerprint(ids: ArrayLike<number>, tokenizer: Tokenizer): TextFingerprint {
  let h = 0x811c9dc5;
  const mix = (v: number) => {
    h ^= v & 0xffff;
    h = Math.imul(h, 0x01000193);
  };
  for (const s of tokenizer.symbols) for (let i = 0; i < s.length; i++) mix(s.charCodeAt(i));
  mix(0xfffe);
  for (let i = 0; i < ids.length; i++) mix(ids[i]);
  return { tokens: ids.length, hash: (h >>> 0).toString(16).padStart(8, '0') };
}

/** Everything in a checkpoint except the weights, which are passed as the live array. */
export type CheckpointMeta = Omit<Checkpoint, 'params' | 'version'>;

export function serializeCheckpoint(c: CheckpointMeta, params: FloatArray): string {
  const t = c.training;
  const file: CheckpointFile = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    createdAt: c.createdAt,
    sourceName: c.sourceName,
    ...(c.sourcePath ? { sourcePath: c.sourcePath } : {}),
    step: c.step,
    spec: c.spec,
    config: c.config,
    tokenizer: c.tokenizer.toJSON(),
    data: { mode: c.config.mode, tokens: c.config.tokens, ...(c.fingerprint ? { fingerprint: c.fingerprint } : {}) },
    params: encodeTensor(params),
    ...(c.bestParams ? { bestParams: encodeTensor(c.bestParams) } : {}),
    ...(t ? {
      optimizer: { name: t.optimizer.name, steps: t.optimizer.steps, buffers: t.optimizer.buffers.map((b) => encodeTensor(b, 'float64-le')) },
      training: {
        step: c.step, learningRate: t.learningRate, lastValLoss: finiteOrNull(t.lastValLoss), initialLoss: finiteOrNull(t.initialLoss),
        smoothing: t.smoothing, onDemandSamples: t.onDemandSamples,
        ...(t.carriedState ? { carriedState: { batchSize: t.carriedState.batchSize, values: encodeTensor(t.carriedState.values) } } : {}),
      },
    } : {}),
    best: { valLoss: finiteOrNull(c.bestValLoss), step: t?.bestStep ?? -1, evalsSinceBest: t?.evalsSinceBest ?? 0 },
    history: { train: c.trainHistory, val: c.valHistory },
  };
  return JSON.stringify(file);
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** Writes atomically: temp file in the same folder, then rename. */
export async function writeCheckpoint(path: string, c: CheckpointMeta, params: FloatArray): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, serializeCheckpoint(c, params));
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

function fail(path: string, why: string): never {
  throw new UserInputError(`${path} is not a usable RNN Lab checkpoint: ${why}`);
}

export function parseCheckpoint(text: string, path = 'checkpoint'): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail(path, 'the file is truncated or is not JSON.');
  }
  const f = raw as Partial<CheckpointFile> | null;
  if (!f || typeof f !== 'object' || f.format !== CHECKPOINT_FORMAT) fail(path, 'it is not a checkpoint file (wrong format name).');
  if (typeof f.version !== 'number' || !Number.isInteger(f.version) || f.version < 1) fail(path, `its version (${String(f.version)}) is not one RNN Lab writes.`);
  if (f.version > CHECKPOINT_VERSION) {
    fail(path, `it is format version ${f.version}, written by a newer RNN Lab; this build reads versions 1 to ${CHECKPOINT_VERSION}. Update RNN Lab to use it.`);
  }
  if (!f.spec || typeof f.spec !== 'object') fail(path, 'the model spec is missing.');
  // Files written before the Dense hidden layer existed have no such layer.
  const spec = withSpecDefaults(f.spec);
  try {
    validateSpec(spec);
  } catch (error) {
    fail(path, `the model spec is invalid (${(error as Error).message}).`);
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = tokenizerFromJSON(f.tokenizer ?? f.vocab);
  } catch (error) {
    fail(path, (error as Error).message);
  }
  if (tokenizer.size !== spec.vocabSize) fail(path, `the vocabulary has ${tokenizer.size} symbols but the model expects ${spec.vocabSize}.`);
  const total = paramLayout(spec).total;
  const params = decodeTensor(f.params, total, 'parameters', path);
  const bestParams = f.bestParams ? decodeTensor(f.bestParams, total, 'best parameters', path) : undefined;
  const step = typeof f.step === 'number' && f.step >= 0 ? f.step : fail(path, 'the step count is missing.');
  const history = f.history && Array.isArray(f.history.train) && Array.isArray(f.history.val) ? f.history : { train: [], val: [] };
  const bestValLoss = f.version === 1 ? f.bestValLoss : f.best?.valLoss;
  let training: TrainingState | undefined;
  if (f.version >= 2 && f.optimizer && f.training) {
    const o = f.optimizer;
    const t = f.training;
    if (!Array.isArray(o.buffers)) fail(path, 'the optimizer state is malformed.');
    training = {
      optimizer: { name: o.name as OptimizerState['name'], steps: o.steps, buffers: o.buffers.map((b) => Float64Array.from(decodeTensor(b, total, 'optimizer state', path))) },
      learningRate: t.learningRate,
      lastValLoss: t.lastValLoss ?? NaN,
      initialLoss: t.initialLoss ?? NaN,
      smoothing: t.smoothing,
      carriedState: t.carriedState
        ? { batchSize: t.carriedState.batchSize, values: decodeTensor(t.carriedState.values, t.carriedState.values?.count ?? -1, 'carried state', path) }
        : undefined,
      onDemandSamples: t.onDemandSamples ?? 0,
      bestStep: f.best?.step ?? -1,
      evalsSinceBest: f.best?.evalsSinceBest ?? 0,
    };
  }
  return {
    version: f.version,
    sourceName: typeof f.sourceName === 'string' ? f.sourceName : 'text',
    sourcePath: typeof f.sourcePath === 'string' ? f.sourcePath : undefined,
    step,
    bestValLoss: typeof bestValLoss === 'number' ? bestValLoss : Infinity,
    createdAt: typeof f.createdAt === 'string' ? f.createdAt : '',
    spec,
    // Older or hand-edited files may lack newer settings: fill them from the defaults.
    config: { ...defaultTrainConfig, ...(f.config ?? {}) },
    tokenizer,
    fingerprint: f.data?.fingerprint,
    params,
    bestParams,
    training,
    trainHistory: history.train,
    valHistory: history.val,
  };
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw unreadableFile(path, error, 'checkpoint');
  }
  return parseCheckpoint(text, path);
}

/** The weights to use a checkpoint with (sampling, the hover): the best ones when it has them. */
export function usableParams(c: Checkpoint): FloatArray {
  return c.bestParams ?? c.params;
}
