/**
 * Checkpoints: one self-contained JSON file with everything needed to sample or resume.
 *
 *   { format: 'rnn-lab-checkpoint', version: 1, createdAt, sourceName, step, bestValLoss,
 *     spec: ModelSpec, config: TrainConfig, tokenizer: TokenizerJSON (files before tokenizers: vocab),
 *     params: { dtype: 'float32-le', count, base64 },
 *     history: { train: [{ step, loss }] (downsampled), val: [{ step, valLoss }] } }
 *
 * Files in the checkpoint folder, per source file (its name without extension, made file-safe):
 *   <source>-best.rnnlab.json   replaced at every new best validation loss
 *   <source>-last.rnnlab.json   written when the run ends
 * Writes go to a temporary file that is then renamed over the target, so a killed trainer
 * never leaves a half-written checkpoint behind.
 */
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { defaultTrainConfig, type TrainConfig } from '../../protocol/messages';
import type { FloatArray } from '../backends/types';
import { paramLayout, validateSpec, withSpecDefaults, type ModelSpec } from '../model/spec';
import { UserInputError } from '../text/errors';
import { tokenizerFromJSON, type Tokenizer, type TokenizerJSON } from '../data/tokenizer';

export const CHECKPOINT_FORMAT = 'rnn-lab-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_SUFFIX = '.rnnlab.json';

export interface LossPoint {
  step: number;
  loss: number;
}

export interface ValPoint {
  step: number;
  valLoss: number;
}

export interface Checkpoint {
  sourceName: string;
  step: number;
  bestValLoss: number;
  createdAt: string;
  spec: ModelSpec;
  config: TrainConfig;
  tokenizer: Tokenizer;
  /** float32 values, canonical layout. */
  params: Float32Array;
  trainHistory: LossPoint[];
  valHistory: ValPoint[];
}

interface CheckpointFile {
  format: string;
  version: number;
  createdAt: string;
  sourceName: string;
  step: number;
  bestValLoss: number | null;
  spec: ModelSpec;
  config: TrainConfig;
  tokenizer?: TokenizerJSON;
  /** Character vocabularies of files written before tokenizers had kinds. */
  vocab?: TokenizerJSON;
  params: { dtype: 'float32-le'; count: number; base64: string };
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

export function encodeParams(params: FloatArray): string {
  const bytes = Buffer.alloc(params.length * 4);
  for (let i = 0; i < params.length; i++) bytes.writeFloatLE(params[i], i * 4);
  return bytes.toString('base64');
}

export function decodeParams(base64: string, count: number): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length !== count * 4) throw new UserInputError(`the checkpoint's parameters are truncated: expected ${count * 4} bytes, found ${bytes.length}.`);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

/** Everything in a checkpoint except the weights, which are passed as the live array. */
export type CheckpointMeta = Omit<Checkpoint, 'params'>;

export function serializeCheckpoint(c: CheckpointMeta, params: FloatArray): string {
  const file: CheckpointFile = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    createdAt: c.createdAt,
    sourceName: c.sourceName,
    step: c.step,
    bestValLoss: Number.isFinite(c.bestValLoss) ? c.bestValLoss : null,
    spec: c.spec,
    config: c.config,
    tokenizer: c.tokenizer.toJSON(),
    params: { dtype: 'float32-le', count: params.length, base64: encodeParams(params) },
    history: { train: c.trainHistory, val: c.valHistory },
  };
  return JSON.stringify(file);
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
  if (f.version !== CHECKPOINT_VERSION) fail(path, `version ${String(f.version)} is not supported (this build reads version ${CHECKPOINT_VERSION}).`);
  if (!f.spec || typeof f.spec !== 'object') fail(path, 'the model spec is missing.');
  // Files written before the Dense hidden layer existed have no such layer.
  const spec = withSpecDefaults(f.spec);
  try {
    validateSpec(spec);
  } catch (error) {
    fail(path, `the model spec is invalid (${(error as Error).message}).`);
  }
  const tokenizer = tokenizerFromJSON(f.tokenizer ?? f.vocab);
  if (tokenizer.size !== spec.vocabSize) fail(path, `the vocabulary has ${tokenizer.size} symbols but the model expects ${spec.vocabSize}.`);
  const total = paramLayout(spec).total;
  const p = f.params;
  if (!p || p.dtype !== 'float32-le' || typeof p.base64 !== 'string' || p.count !== total) fail(path, `the parameters are missing or do not match the model (${total} expected).`);
  const params = decodeParams(p.base64, total);
  for (let i = 0; i < params.length; i++) if (!Number.isFinite(params[i])) fail(path, 'the parameters contain NaN or infinite values.');
  const step = typeof f.step === 'number' && f.step >= 0 ? f.step : fail(path, 'the step count is missing.');
  const history = f.history && Array.isArray(f.history.train) && Array.isArray(f.history.val) ? f.history : { train: [], val: [] };
  return {
    sourceName: typeof f.sourceName === 'string' ? f.sourceName : 'text',
    step,
    bestValLoss: typeof f.bestValLoss === 'number' ? f.bestValLoss : Infinity,
    createdAt: typeof f.createdAt === 'string' ? f.createdAt : '',
    spec,
    // Older or hand-edited files may lack newer settings: fill them from the defaults.
    config: { ...defaultTrainConfig, ...(f.config ?? {}) },
    tokenizer,
    params,
    trainHistory: history.train,
    valHistory: history.val,
  };
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserInputError(`cannot read checkpoint ${path}: ${(error as Error).message}`);
  }
  return parseCheckpoint(text, path);
}
