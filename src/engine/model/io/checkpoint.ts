/**
 * Checkpoints: one self-contained file with everything needed to sample, or to resume the run
 * exactly where it stopped (see "Checkpoint file format" in the README).
 *
 * Format version 3 is a safetensors file (./safetensors.ts): a small JSON header, then the raw
 * little-endian tensors, so that a model of any size is written from its own arrays and read
 * straight into new ones, never through a string (V8 cannot hold one past ~512 MiB, which a JSON
 * file with base64 weights reached at ~20M parameters with Adam's state). Python's `safetensors`
 * opens it as is. Tensors (shape [count] each):
 *
 *   params         the weights at `step` (what a resumed run continues from), F32 or F64 as the run was
 *   bestParams     the weights of the best validation loss, when they differ (what sampling uses)
 *   optimizer.<i>  the optimizer's buffers (Adam's m and v, ...), F64
 *   carriedState   the recurrent state carried between batches, when the data mode carries it
 *
 * and `__metadata__` = { format: 'rnn-lab-checkpoint', version: '3', checkpoint: JSON } where the
 * JSON is what versions 1 and 2 held besides the tensors:
 *
 *   { format, version, createdAt, sourceName, sourcePath?, step, spec: ModelSpec, config: TrainConfig,
 *     tokenizer: TokenizerJSON, data: { mode, tokens, fingerprint: { tokens, hash } },
 *     optimizer?: { name, steps, buffers: count },
 *     training?: { step, learningRate, lastValLoss, initialLoss, smoothing: { sum, weight },
 *                  carriedState?: { batchSize }, onDemandSamples },
 *     best: { valLoss, step, evalsSinceBest },
 *     history: { train: [{ step, loss }] (downsampled), val: [{ step, valLoss }] } }
 *
 * Versions 1 and 2 were one JSON object with the tensors inline as
 * `{ dtype: 'float32-le' | 'float64-le', count, base64 }`; they are still read (the content tells
 * them apart: JSON starts with `{`, safetensors with its header's length). Version 1 files
 * (weights, spec, config and vocabulary only) load for sampling and as `--init-from` weights, not
 * to resume.
 *
 * Every random draw of a run is derived from (seed, step) or (seed, epoch, batch), so the step
 * and the on-demand sample count are its whole random state.
 *
 * Where the files go (a folder per run, the file's best beside them): see train/runFolder.ts.
 * Writes go to a temporary file that is flushed to disk and then renamed over the target, so a
 * killed trainer never leaves a half-written checkpoint behind.
 */
import { constants as bufferConstants } from 'node:buffer';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { defaultTrainConfig, type TrainConfig } from '../../config/settings';
import type { CarriedStateCopy, FloatArray } from '../../tensor';
import { tokenizerFromJSON, type Tokenizer, type TokenizerJSON } from '../../data/tokenizer';
import type { OptimizerState } from '../../optim/optimizers';
import { UserInputError, unreadableFile } from '../../text/errors';
import { assertReadableFile } from '../../text/file';
import { paramLayout, validateSpec, withSpecDefaults, type ModelSpec } from '../spec';
import { encodeSafetensors, readHeader, readTensor, SafetensorsFormatError, writeChunks, type NamedTensor, type SafetensorsHeader } from './safetensors';

export const CHECKPOINT_FORMAT = 'rnn-lab-checkpoint';
export const CHECKPOINT_VERSION = 3;
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
  /** 1, 2 or 3: version 1 files carry no training state. */
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

/** A tensor inline in a version 1 or 2 (JSON) file. */
interface JsonTensor {
  dtype: 'float32-le' | 'float64-le';
  count: number;
  base64: string;
}

/** What every version says besides the tensors (version 3 keeps it as JSON in its header). */
interface CheckpointFileMeta {
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
  /** `buffers`: their count in version 3 (tensors `optimizer.<i>`), the tensors themselves in version 2. */
  optimizer?: { name: string; steps: number; buffers: number | JsonTensor[] };
  training?: {
    step: number; learningRate: number; lastValLoss: number | null; initialLoss: number | null;
    smoothing: { sum: number; weight: number }; carriedState?: { batchSize: number; values?: JsonTensor }; onDemandSamples: number;
  };
  best?: { valLoss: number | null; step: number; evalsSinceBest: number };
  /** Version 1. */
  bestValLoss?: number | null;
  history: { train: LossPoint[]; val: ValPoint[] };
}

/** A version 1 or 2 file: the metadata with the tensors inline. */
interface JsonCheckpointFile extends CheckpointFileMeta {
  params: JsonTensor;
  bestParams?: JsonTensor;
}

/** The tensors of a checkpoint, however they were stored. */
interface CheckpointTensors {
  params: FloatArray;
  bestParams?: FloatArray;
  optimizerBuffers: Float64Array[];
  carriedState?: FloatArray;
}

/** The safetensors names of version 3's tensors. */
const tensorNames = { params: 'params', bestParams: 'bestParams', optimizer: (i: number) => `optimizer.${i}`, carriedState: 'carriedState' };

/** `prose.txt` -> `prose`; anything outside [A-Za-z0-9._-] becomes `_`. */
export function checkpointStem(sourceName: string): string {
  const base = basename(sourceName, extname(sourceName)) || 'text';
  return base.replace(/[^A-Za-z0-9._-]/g, '_');
}

export function checkpointPath(dir: string, sourceName: string, kind: 'best' | 'last'): string {
  return join(dir, `${checkpointStem(sourceName)}-${kind}${CHECKPOINT_SUFFIX}`);
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

function fileMeta(c: CheckpointMeta): CheckpointFileMeta {
  const t = c.training;
  return {
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
    ...(t ? {
      optimizer: { name: t.optimizer.name, steps: t.optimizer.steps, buffers: t.optimizer.buffers.length },
      training: {
        step: c.step, learningRate: t.learningRate, lastValLoss: finiteOrNull(t.lastValLoss), initialLoss: finiteOrNull(t.initialLoss),
        smoothing: t.smoothing, onDemandSamples: t.onDemandSamples,
        ...(t.carriedState ? { carriedState: { batchSize: t.carriedState.batchSize } } : {}),
      },
    } : {}),
    best: { valLoss: finiteOrNull(c.bestValLoss), step: t?.bestStep ?? -1, evalsSinceBest: t?.evalsSinceBest ?? 0 },
    history: { train: c.trainHistory, val: c.valHistory },
  };
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/**
 * A version 3 checkpoint's bytes, in order: the header, then views of the arrays themselves (no
 * copy on little-endian machines), so that writing one needs memory for the header only.
 */
export function encodeCheckpoint(c: CheckpointMeta, params: FloatArray): Generator<Uint8Array> {
  const t = c.training;
  const tensors: NamedTensor[] = [
    { name: tensorNames.params, values: params },
    ...(c.bestParams ? [{ name: tensorNames.bestParams, values: c.bestParams }] : []),
    ...(t ? t.optimizer.buffers.map((values, i) => ({ name: tensorNames.optimizer(i), values })) : []),
    ...(t?.carriedState ? [{ name: tensorNames.carriedState, values: t.carriedState.values }] : []),
  ];
  return encodeSafetensors(tensors, { format: CHECKPOINT_FORMAT, version: String(CHECKPOINT_VERSION), checkpoint: JSON.stringify(fileMeta(c)) });
}

/** Writes atomically: temp file in the same folder, flushed to disk, then renamed over `path`. */
export async function writeCheckpoint(path: string, c: CheckpointMeta, params: FloatArray): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'w');
    await writeChunks(handle, encodeCheckpoint(c, params));
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
}

function fail(path: string, why: string): never {
  throw new UserInputError(`${path} is not a usable RNN Lab checkpoint: ${why}`);
}

function notACheckpoint(path: string, why: string): never {
  throw new UserInputError(`${path} is not an RNN Lab checkpoint: ${why}`);
}

/** The format name and version, checked before anything else is trusted. */
function checkVersion(f: Partial<CheckpointFileMeta> | null, path: string): asserts f is CheckpointFileMeta {
  if (!f || typeof f !== 'object' || f.format !== CHECKPOINT_FORMAT) fail(path, 'it is not a checkpoint file (wrong format name).');
  if (typeof f.version !== 'number' || !Number.isInteger(f.version) || f.version < 1) fail(path, `its version (${String(f.version)}) is not one RNN Lab writes.`);
  if (f.version > CHECKPOINT_VERSION) {
    fail(path, `it is format version ${f.version}, written by a newer RNN Lab; this build reads versions 1 to ${CHECKPOINT_VERSION}. Update RNN Lab to use it.`);
  }
}

/** The spec with defaults for settings added since the file was written. */
function specOf(f: CheckpointFileMeta, path: string): ModelSpec {
  if (!f.spec || typeof f.spec !== 'object') fail(path, 'the model spec is missing.');
  // Files written before the Dense hidden layer existed have no such layer.
  return withSpecDefaults(f.spec);
}

/** Checks the spec and the vocabulary; returns them with the parameter count the tensors must have. */
function checkModel(f: CheckpointFileMeta, path: string): { spec: ModelSpec; tokenizer: Tokenizer; total: number } {
  const spec = specOf(f, path);
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
  return { spec, tokenizer, total: paramLayout(spec).total };
}

function checkFinite(values: FloatArray, what: string, path: string): FloatArray {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) fail(path, `the ${what} contain NaN or infinite values.`);
  return values;
}

function decodeJsonTensor(t: JsonTensor | undefined, count: number, what: string, path: string): FloatArray {
  if (!t || (t.dtype !== 'float32-le' && t.dtype !== 'float64-le') || typeof t.base64 !== 'string' || t.count !== count) {
    fail(path, `the ${what} are missing or do not match the model (${count} values expected).`);
  }
  const width = t.dtype === 'float64-le' ? 8 : 4;
  const bytes = Buffer.from(t.base64, 'base64');
  if (bytes.length !== count * width) fail(path, `the ${what} are truncated: expected ${count * width} bytes, found ${bytes.length}.`);
  const out = width === 8 ? new Float64Array(count) : new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = width === 8 ? bytes.readDoubleLE(i * 8) : bytes.readFloatLE(i * 4);
  return checkFinite(out, what, path);
}

/** The checkpoint from its checked metadata and its tensors. */
function assemble(f: CheckpointFileMeta, model: { spec: ModelSpec; tokenizer: Tokenizer }, tensors: CheckpointTensors, path: string, withTraining = true): Checkpoint {
  const step = typeof f.step === 'number' && f.step >= 0 ? f.step : fail(path, 'the step count is missing.');
  const history = f.history && Array.isArray(f.history.train) && Array.isArray(f.history.val) ? f.history : { train: [], val: [] };
  const bestValLoss = f.version === 1 ? f.bestValLoss : f.best?.valLoss;
  let training: TrainingState | undefined;
  if (withTraining && f.version >= 2 && f.optimizer && f.training) {
    const o = f.optimizer;
    const t = f.training;
    training = {
      optimizer: { name: o.name as OptimizerState['name'], steps: o.steps, buffers: tensors.optimizerBuffers },
      learningRate: t.learningRate,
      lastValLoss: t.lastValLoss ?? NaN,
      initialLoss: t.initialLoss ?? NaN,
      smoothing: t.smoothing,
      carriedState: t.carriedState && tensors.carriedState ? { batchSize: t.carriedState.batchSize, values: tensors.carriedState } : undefined,
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
    spec: model.spec,
    // Older or hand-edited files may lack newer settings: fill them from the defaults.
    config: { ...defaultTrainConfig, ...(f.config ?? {}) },
    tokenizer: model.tokenizer,
    fingerprint: f.data?.fingerprint,
    params: tensors.params,
    bestParams: tensors.bestParams,
    training,
    trainHistory: history.train,
    valHistory: history.val,
  };
}

/** A version 1 or 2 checkpoint from its JSON text (version 3 is binary: see `loadCheckpoint`). */
export function parseCheckpoint(text: string, path = 'checkpoint'): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail(path, 'the file is truncated or is not JSON.');
  }
  const f = raw as Partial<JsonCheckpointFile> | null;
  checkVersion(f, path);
  if (f.version > 2) fail(path, `it says format version ${f.version}, which is binary, not JSON.`);
  const j = f as JsonCheckpointFile;
  const model = checkModel(j, path);
  const params = decodeJsonTensor(j.params, model.total, 'parameters', path);
  const bestParams = j.bestParams ? decodeJsonTensor(j.bestParams, model.total, 'best parameters', path) : undefined;
  let optimizerBuffers: Float64Array[] = [];
  let carriedState: FloatArray | undefined;
  if (j.version >= 2 && j.optimizer && j.training) {
    const buffers = j.optimizer.buffers;
    if (!Array.isArray(buffers)) fail(path, 'the optimizer state is malformed.');
    optimizerBuffers = buffers.map((b) => Float64Array.from(decodeJsonTensor(b, model.total, 'optimizer state', path)));
    const carried = j.training.carriedState?.values;
    if (carried) carriedState = decodeJsonTensor(carried, carried.count ?? -1, 'carried state', path);
  }
  return assemble(j, model, { params, bestParams, optimizerBuffers, carriedState }, path);
}

/**
 * An open checkpoint file, after checking that the path is a regular file. A checkpoint has no size
 * limit: its header is bounded and its tensors are read one at a time into their own arrays.
 */
async function openCheckpointFile(path: string): Promise<{ handle: FileHandle; size: number }> {
  const size = await assertReadableFile(path, 'checkpoint', Infinity);
  try {
    return { handle: await open(path, 'r'), size };
  } catch (error) {
    throw unreadableFile(path, error, 'checkpoint');
  }
}

/** What kind of file this is, by its first byte: JSON (versions 1 and 2) or safetensors (3). */
async function isJson(handle: FileHandle, size: number, path: string): Promise<boolean> {
  if (size === 0) fail(path, 'the file is empty.');
  const first = Buffer.alloc(1);
  await handle.read(first, 0, 1, 0);
  return first[0] === 0x7b; // '{'
}

/** The whole text of a JSON checkpoint, refused with a clear line when it is larger than `maxBytes`. */
async function readJsonText(handle: FileHandle, size: number, path: string, maxBytes: number, why: string): Promise<string> {
  if (size > maxBytes) fail(path, `it is a JSON checkpoint (format 1 or 2) of ${mib(size)}, more than the ${mib(maxBytes)} ${why}.`);
  return handle.readFile('utf8');
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

/** The safetensors header of a version 3 checkpoint, with its metadata parsed and checked. */
async function readV3Header(handle: FileHandle, size: number, path: string): Promise<{ header: SafetensorsHeader; meta: CheckpointFileMeta }> {
  let header: SafetensorsHeader;
  try {
    header = await readHeader(handle, size);
  } catch (error) {
    if (!(error instanceof SafetensorsFormatError)) throw unreadableFile(path, error, 'checkpoint');
    if (error.kind === 'foreign') notACheckpoint(path, `${error.message} (an RNN Lab checkpoint is a safetensors file, or JSON for format 1 and 2).`);
    fail(path, error.message);
  }
  if (header.metadata.format !== CHECKPOINT_FORMAT) notACheckpoint(path, 'it is a safetensors file from another tool (no rnn-lab-checkpoint metadata).');
  const version = Number(header.metadata.version);
  if (version > CHECKPOINT_VERSION) checkVersion({ format: CHECKPOINT_FORMAT, version }, path);
  let meta: unknown;
  try {
    meta = JSON.parse(header.metadata.checkpoint ?? '');
  } catch {
    fail(path, 'its checkpoint metadata is not JSON.');
  }
  const m = meta as Partial<CheckpointFileMeta> | null;
  checkVersion(m, path);
  return { header, meta: m };
}

/**
 * Reads a checkpoint of any version: the content says which (JSON, or safetensors). Version 3
 * tensors are read straight into new typed arrays, each checked against the model's size.
 * `weightsOnly`: only the weights to use the model with (the best ones when it has them), as
 * `params`, with no best weights and no training state: a quarter of an Adam run's file, for
 * sampling, the hover and summaries (a resume needs the whole file).
 */
export async function loadCheckpoint(path: string, { weightsOnly = false }: { weightsOnly?: boolean } = {}): Promise<Checkpoint> {
  const { handle, size } = await openCheckpointFile(path);
  try {
    if (await isJson(handle, size, path)) {
      return parseCheckpoint(await readJsonText(handle, size, path, bufferConstants.MAX_STRING_LENGTH, 'that JavaScript can hold as one string; it cannot be read'), path);
    }
    const { header, meta } = await readV3Header(handle, size, path);
    const model = checkModel(meta, path);
    if (header.expectedBytes > size) fail(path, `it is truncated: expected ${header.expectedBytes} bytes, found ${size}.`);
    const tensor = async (name: string, count: number | undefined, what: string): Promise<FloatArray> => {
      const info = header.tensors.get(name);
      if (!info || (count !== undefined && info.count !== count)) fail(path, `the ${what} are missing or do not match the model (${count} values expected).`);
      try {
        return checkFinite(await readTensor(handle, info, size), what, path);
      } catch (error) {
        if (error instanceof SafetensorsFormatError) fail(path, error.message);
        throw error;
      }
    };
    if (weightsOnly) {
      const params = header.tensors.has(tensorNames.bestParams)
        ? await tensor(tensorNames.bestParams, model.total, 'best parameters')
        : await tensor(tensorNames.params, model.total, 'parameters');
      return assemble(meta, model, { params, bestParams: undefined, optimizerBuffers: [], carriedState: undefined }, path, false);
    }
    const params = await tensor(tensorNames.params, model.total, 'parameters');
    const bestParams = header.tensors.has(tensorNames.bestParams) ? await tensor(tensorNames.bestParams, model.total, 'best parameters') : undefined;
    const optimizerBuffers: Float64Array[] = [];
    let carriedState: FloatArray | undefined;
    if (meta.optimizer && meta.training) {
      const count = meta.optimizer.buffers;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) fail(path, 'the optimizer state is malformed.');
      for (let i = 0; i < count; i++) {
        const b = await tensor(tensorNames.optimizer(i), model.total, 'optimizer state');
        optimizerBuffers.push(b instanceof Float64Array ? b : Float64Array.from(b));
      }
      if (meta.training.carriedState) carriedState = await tensor(tensorNames.carriedState, undefined, 'carried state');
    }
    return assemble(meta, model, { params, bestParams, optimizerBuffers, carriedState }, path);
  } finally {
    await handle.close();
  }
}

/** Everything in a checkpoint but its weights and training state: what a list of runs shows. */
export interface CheckpointSummary {
  version: number;
  sourceName: string;
  sourcePath?: string;
  createdAt: string;
  step: number;
  /** Infinity when the run was never evaluated. */
  bestValLoss: number;
  /** -1 when unknown (format 1, or never evaluated). */
  bestStep: number;
  trainHistory: LossPoint[];
  valHistory: ValPoint[];
  fingerprint?: TextFingerprint;
  /** Absent only from hand-made files: every checkpoint RNN Lab writes has one. */
  spec?: ModelSpec;
  config: TrainConfig;
}

/** JSON checkpoints (format 1 and 2) larger than this are not read whole just for a summary. */
export const MAX_JSON_SUMMARY_BYTES = 64 * 2 ** 20;

/**
 * A checkpoint's summary without reading its weights: the header of a version 3 file (a few KB
 * to MB, whatever the model's size), or the whole of a JSON one up to MAX_JSON_SUMMARY_BYTES.
 */
export async function readCheckpointSummary(path: string): Promise<CheckpointSummary> {
  const { handle, size } = await openCheckpointFile(path);
  let f: CheckpointFileMeta;
  try {
    if (await isJson(handle, size, path)) {
      let raw: unknown;
      try {
        raw = JSON.parse(await readJsonText(handle, size, path, MAX_JSON_SUMMARY_BYTES, 'read for a summary'));
      } catch (error) {
        if (error instanceof UserInputError) throw error;
        fail(path, 'the file is truncated or is not JSON.');
      }
      const m = raw as Partial<CheckpointFileMeta> | null;
      checkVersion(m, path);
      f = m;
    } else {
      f = (await readV3Header(handle, size, path)).meta;
    }
  } finally {
    await handle.close();
  }
  const history = f.history && Array.isArray(f.history.train) && Array.isArray(f.history.val) ? f.history : { train: [], val: [] };
  const bestValLoss = f.version === 1 ? f.bestValLoss : f.best?.valLoss;
  return {
    version: f.version,
    sourceName: typeof f.sourceName === 'string' ? f.sourceName : 'text',
    sourcePath: typeof f.sourcePath === 'string' ? f.sourcePath : undefined,
    createdAt: typeof f.createdAt === 'string' ? f.createdAt : '',
    step: typeof f.step === 'number' ? f.step : 0,
    bestValLoss: typeof bestValLoss === 'number' ? bestValLoss : Infinity,
    bestStep: f.best?.step ?? -1,
    trainHistory: history.train,
    valHistory: history.val,
    fingerprint: f.data?.fingerprint,
    spec: f.spec && typeof f.spec === 'object' ? withSpecDefaults(f.spec) : undefined,
    config: { ...defaultTrainConfig, ...(f.config ?? {}) },
  };
}

/** The weights to use a checkpoint with (sampling, the hover): the best ones when it has them. */
export function usableParams(c: Checkpoint): FloatArray {
  return c.bestParams ?? c.params;
}
