import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants as bufferConstants } from 'node:buffer';
import { mkdirSync, mkdtempSync, openSync, closeSync, ftruncateSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTrainConfig } from '../../src/protocol/messages';
import { paramLayout, type ModelSpec } from '../../src/engine/model/spec';
import { UserInputError } from '../../src/engine/text/errors';
import { CharTokenizer as Vocabulary } from '../../src/engine/data/charTokenizer';
import {
  CHECKPOINT_VERSION, checkpointPath, encodeCheckpoint, loadCheckpoint, parseCheckpoint, readCheckpointSummary, writeCheckpoint, type CheckpointMeta,
} from '../../src/engine/model/io/checkpoint';
import { loadWeights } from '../../src/engine/model/io/load';

const vocab = Vocabulary.fromText('hello world 🌍', 96);
const spec: ModelSpec = { cell: 'gru', vocabSize: vocab.size, hiddenSize: 4, layers: 2, embeddingSize: 3, dropout: 0.1, hiddenDense: 0, hiddenActivation: 'relu' };
const total = paramLayout(spec).total;
const meta: CheckpointMeta = {
  sourceName: 'my notes.md', sourcePath: '/texts/my notes.md', step: 12, bestValLoss: 1.5, createdAt: '2024-01-01T00:00:00.000Z', spec,
  config: { ...defaultTrainConfig, cell: 'gru' }, tokenizer: vocab, fingerprint: { tokens: 40, hash: '0badcafe' },
  trainHistory: [{ step: 1, loss: 3 }], valHistory: [{ step: 12, valLoss: 1.5 }],
};
const params = Float64Array.from({ length: total }, (_, i) => Math.sin(i) * 0.3);
/** A run in the middle of training: best weights that differ, Adam's state and a carried state. */
const training: NonNullable<CheckpointMeta['training']> = {
  optimizer: { name: 'adam', steps: 12, buffers: [Float64Array.from(params, (v) => v / 7), Float64Array.from(params, (v) => v * v)] },
  learningRate: 0.002, lastValLoss: 1.6, initialLoss: NaN, smoothing: { sum: 2.5, weight: 0.9 },
  carriedState: { batchSize: 2, values: Float32Array.from({ length: 16 }, (_, i) => i / 16) },
  onDemandSamples: 3, bestStep: 10, evalsSinceBest: 1,
};
const resumable: CheckpointMeta = { ...meta, bestParams: Float64Array.from(params, (v) => v + 1), training };

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-ckpt-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** The bytes of a version 3 checkpoint, as `writeCheckpoint` writes them. */
function v3Bytes(c: CheckpointMeta, weights: Float32Array | Float64Array): Buffer {
  return Buffer.concat([...encodeCheckpoint(c, weights)]);
}

function fileWith(name: string, bytes: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A tensor as format 1 and 2 stored it: base64 of its little-endian bytes. */
function jsonTensor(values: Float32Array | Float64Array) {
  const bytes = Buffer.alloc(values.byteLength);
  values.forEach((v, i) => (values instanceof Float64Array ? bytes.writeDoubleLE(v, i * 8) : bytes.writeFloatLE(v, i * 4)));
  return { dtype: values instanceof Float64Array ? 'float64-le' : 'float32-le', count: values.length, base64: bytes.toString('base64') };
}

/** A format 2 file as the JSON writer wrote it. */
function version2Text(c: CheckpointMeta, weights: Float32Array | Float64Array): string {
  const t = c.training!;
  return JSON.stringify({
    format: 'rnn-lab-checkpoint', version: 2, createdAt: c.createdAt, sourceName: c.sourceName, sourcePath: c.sourcePath, step: c.step,
    spec: c.spec, config: c.config, tokenizer: c.tokenizer.toJSON(), data: { mode: c.config.mode, tokens: c.config.tokens, fingerprint: c.fingerprint },
    params: jsonTensor(weights), bestParams: jsonTensor(c.bestParams!),
    optimizer: { name: t.optimizer.name, steps: t.optimizer.steps, buffers: t.optimizer.buffers.map(jsonTensor) },
    training: { step: c.step, learningRate: t.learningRate, lastValLoss: t.lastValLoss, initialLoss: null, smoothing: t.smoothing,
      onDemandSamples: t.onDemandSamples, carriedState: { batchSize: t.carriedState!.batchSize, values: jsonTensor(t.carriedState!.values) } },
    best: { valLoss: c.bestValLoss, step: t.bestStep, evalsSinceBest: t.evalsSinceBest },
    history: { train: c.trainHistory, val: c.valHistory },
  });
}

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: Error) => e instanceof UserInputError && pattern.test(e.message) && !e.message.includes('\n'), pattern.source);
}

test('a checkpoint round-trips spec, config, vocabulary, histories and float64 and float32 weights (format 3)', async () => {
  const path = checkpointPath(join(dir, 'nested'), meta.sourceName, 'best');
  assert.equal(path, join(dir, 'nested', 'my_notes-best.rnnlab'));
  await writeCheckpoint(path, meta, params);
  assert.deepEqual(readdirSync(join(dir, 'nested')), ['my_notes-best.rnnlab'], 'no temporary files left');
  const c = await loadCheckpoint(path);
  assert.equal(c.version, CHECKPOINT_VERSION);
  assert.equal(CHECKPOINT_VERSION, 3);
  assert.deepEqual(c.spec, spec);
  assert.equal(c.config.cell, 'gru');
  assert.deepEqual(c.tokenizer.symbols, vocab.symbols);
  assert.equal(c.step, 12);
  assert.equal(c.bestValLoss, 1.5);
  assert.deepEqual(c.valHistory, meta.valHistory);
  assert.deepEqual(c.fingerprint, meta.fingerprint);
  assert.equal(c.sourcePath, meta.sourcePath);
  assert.equal(c.bestParams, undefined);
  assert.equal(c.training, undefined);
  // float64 weights (the reference backend's) are kept exactly; float32 ones as float32.
  assert.ok(c.params instanceof Float64Array);
  assert.deepEqual(Array.from(c.params), Array.from(params));
  const single = await loadCheckpoint(fileWith('single.rnnlab.json', v3Bytes(meta, Float32Array.from(params))));
  assert.ok(single.params instanceof Float32Array);
  assert.deepEqual(Array.from(single.params), Array.from(Float32Array.from(params)));
});

test('format 3 is a safetensors file: 8-byte header length, JSON header with F32/F64 tensors and the metadata, raw little-endian data', () => {
  const bytes = v3Bytes(resumable, Float32Array.from(params));
  const length = Number(bytes.readBigUInt64LE(0));
  assert.equal(length % 8, 0, 'the data starts 8-byte aligned');
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  assert.equal(header.__metadata__.format, 'rnn-lab-checkpoint');
  assert.equal(header.__metadata__.version, '3');
  assert.equal(JSON.parse(header.__metadata__.checkpoint).sourceName, 'my notes.md');
  assert.deepEqual(Object.keys(header).filter((k) => k !== '__metadata__'), ['params', 'bestParams', 'optimizer.0', 'optimizer.1', 'carriedState']);
  assert.deepEqual(header.params, { dtype: 'F32', shape: [total], data_offsets: [0, total * 4] });
  assert.deepEqual(header.bestParams, { dtype: 'F64', shape: [total], data_offsets: [total * 4, total * 12] });
  assert.equal(header.carriedState.data_offsets[1], bytes.length - 8 - length, 'the tensors fill the rest of the file');
  const o1 = header['optimizer.1'];
  assert.equal(bytes.readDoubleLE(8 + length + o1.data_offsets[0] + 5 * 8), training.optimizer.buffers[1][5]);
  assert.equal(bytes.readFloatLE(8 + length + 3 * 4), Math.fround(params[3]));
});

test('a resumable checkpoint round-trips its best weights, optimizer state and carried state (format 3)', async () => {
  const path = join(dir, 'resumable.rnnlab.json');
  await writeCheckpoint(path, resumable, params);
  const c = await loadCheckpoint(path);
  assert.deepEqual(Array.from(c.bestParams!), Array.from(resumable.bestParams!));
  const t = c.training!;
  assert.equal(t.optimizer.name, 'adam');
  assert.equal(t.optimizer.steps, 12);
  assert.equal(t.optimizer.buffers.length, 2);
  t.optimizer.buffers.forEach((b, i) => { assert.ok(b instanceof Float64Array); assert.deepEqual(Array.from(b), Array.from(training.optimizer.buffers[i])); });
  assert.ok(t.carriedState!.values instanceof Float32Array);
  assert.equal(t.carriedState!.batchSize, 2);
  assert.deepEqual(Array.from(t.carriedState!.values), Array.from(training.carriedState!.values));
  assert.equal(t.learningRate, 0.002);
  assert.equal(t.lastValLoss, 1.6);
  assert.ok(Number.isNaN(t.initialLoss));
  assert.deepEqual(t.smoothing, training.smoothing);
  assert.equal(t.onDemandSamples, 3);
  assert.equal(t.bestStep, 10);
  assert.equal(t.evalsSinceBest, 1);
});

test('a model to use (sample, summary, the hover) reads only the best weights of a resumable checkpoint, not the optimizer state', async () => {
  const path = join(dir, 'weights-only.rnnlab');
  await writeCheckpoint(path, resumable, params);
  const c = await loadCheckpoint(path, { weightsOnly: true });
  assert.deepEqual(Array.from(c.params), Array.from(resumable.bestParams!));
  assert.equal(c.bestParams, undefined);
  assert.equal(c.training, undefined, 'no optimizer buffers read');
  assert.equal(c.step, 12);
  assert.deepEqual(c.valHistory, resumable.valHistory);
  const model = await loadWeights(path);
  assert.deepEqual(Array.from(model.params), Array.from(resumable.bestParams!));
  assert.equal(model.checkpoint?.training, undefined, 'loadWeights holds one copy of the weights, no Adam state');
  assert.equal(model.checkpoint?.bestParams, undefined);
  // Without best weights, the weights themselves.
  const plain = join(dir, 'weights-only-plain.rnnlab');
  await writeCheckpoint(plain, meta, params);
  assert.deepEqual(Array.from((await loadWeights(plain)).params), Array.from(params));
});

test('a checkpoint over 1 GiB (a model of ~45M+ parameters with Adam) loads: only whole-file readers have a size limit', async () => {
  const path = join(dir, 'large.rnnlab');
  await writeCheckpoint(path, resumable, params);
  // Sparse padding past 1 GiB: the reader takes the tensors the header names and never the rest.
  const fd = openSync(path, 'r+');
  ftruncateSync(fd, 1.25 * 2 ** 30);
  closeSync(fd);
  assert.deepEqual(Array.from((await loadWeights(path)).params), Array.from(resumable.bestParams!));
  assert.deepEqual(Array.from((await loadCheckpoint(path)).params), Array.from(params));
  rmSync(path);
});

test('format 2 and format 1 JSON checkpoints still load', async () => {
  const v2 = await loadCheckpoint(fileWith('v2.rnnlab.json', version2Text(resumable, Float32Array.from(params))));
  assert.equal(v2.version, 2);
  assert.ok(v2.params instanceof Float32Array);
  assert.deepEqual(Array.from(v2.params), Array.from(Float32Array.from(params)));
  assert.deepEqual(Array.from(v2.bestParams!), Array.from(resumable.bestParams!));
  assert.deepEqual(Array.from(v2.training!.optimizer.buffers[0]), Array.from(training.optimizer.buffers[0]));
  assert.deepEqual(Array.from(v2.training!.carriedState!.values), Array.from(training.carriedState!.values));
  assert.equal(v2.training!.bestStep, 10);
  assert.deepEqual(v2.fingerprint, meta.fingerprint);
  const v1Text = JSON.stringify({
    format: 'rnn-lab-checkpoint', version: 1, createdAt: meta.createdAt, sourceName: 'old.txt', step: 7, spec, config: meta.config,
    vocab: vocab.toJSON(), params: jsonTensor(params), bestValLoss: 2.25, history: { train: [], val: [{ step: 7, valLoss: 2.25 }] },
  });
  const v1 = await loadCheckpoint(fileWith('v1.rnnlab.json', v1Text));
  assert.equal(v1.version, 1);
  assert.equal(v1.bestValLoss, 2.25);
  assert.equal(v1.training, undefined, 'format 1 carries no training state');
  assert.deepEqual(Array.from(v1.params), Array.from(params));
  assert.deepEqual(parseCheckpoint(v1Text).tokenizer.symbols, vocab.symbols);
});

test('corrupt, truncated and foreign JSON files are refused with a UserInputError', async () => {
  const good = version2Text(resumable, params);
  const bad = (text: string, pattern: RegExp) => assert.throws(() => parseCheckpoint(text, 'x.json'), (e: Error) => e instanceof UserInputError && pattern.test(e.message), pattern.source);
  bad(good.slice(0, good.length / 2), /truncated|not JSON/);
  bad('', /truncated|not JSON/);
  bad('{"name":"some other tool"}', /wrong format/);
  const j = JSON.parse(good);
  bad(JSON.stringify({ ...j, version: 99 }), /version 99, written by a newer RNN Lab/);
  bad(JSON.stringify({ ...j, spec: { ...j.spec, hiddenSize: -1 } }), /spec is invalid/);
  bad(JSON.stringify({ ...j, spec: { ...j.spec, vocabSize: 3 } }), /vocabulary has/);
  bad(JSON.stringify({ ...j, params: { ...j.params, base64: j.params.base64.slice(0, 40) } }), /truncated/);
  bad(JSON.stringify({ ...j, params: { ...j.params, count: 5 } }), /do not match/);
  const nan = Buffer.from(j.params.base64, 'base64');
  nan.writeDoubleLE(NaN, 8);
  bad(JSON.stringify({ ...j, params: { ...j.params, base64: nan.toString('base64') } }), /NaN/);
  const path = fileWith('cut.rnnlab.json', good.slice(0, 100));
  await rejects(loadCheckpoint(path), /truncated or is not JSON/);
  assert.ok(readFileSync(path, 'utf8').length === 100, 'the file is left as it was');
  await rejects(loadCheckpoint(join(dir, 'absent.rnnlab.json')), /does not exist/);
});

test('bad files are refused with one line naming the path, by loadCheckpoint and readCheckpointSummary alike', async () => {
  const good = v3Bytes(resumable, params);
  const headerEnd = 8 + Number(good.readBigUInt64LE(0));
  const folder = join(dir, 'a-folder.rnnlab.json');
  mkdirSync(folder);
  const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
  const newer = Buffer.from(good);
  newer.write('"version":"4"', newer.indexOf('"version":"3"'), 'latin1');
  const foreignHeader = JSON.stringify({ __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } });
  const foreign = Buffer.alloc(8 + foreignHeader.length + 4);
  foreign.writeBigUInt64LE(BigInt(foreignHeader.length));
  foreign.write(foreignHeader, 8);
  const hugeHeader = Buffer.from(good.subarray(0, 64));
  hugeHeader.writeBigUInt64LE(2n ** 40n);
  const cases: [string, string, RegExp][] = [
    ['a folder', folder, new RegExp(`${folder} is a folder`)],
    ['not a regular file', '/dev/null', /\/dev\/null is not a regular file/],
    ['random bytes', fileWith('random.rnnlab.json', random), /random\.rnnlab\.json is not an RNN Lab checkpoint/],
    ['an empty file', fileWith('empty.rnnlab.json', ''), /empty\.rnnlab\.json .*empty/],
    ['a safetensors file of another tool', fileWith('other.safetensors', foreign), /other\.safetensors is not an RNN Lab checkpoint: .*another tool/],
    ['a truncated header', fileWith('cut-header.rnnlab.json', good.subarray(0, 200)), new RegExp(`truncated: expected a header of ${headerEnd - 8} bytes, found 192`)],
    ['a header too large', fileWith('huge-header.rnnlab.json', hugeHeader), /header is 1099511627776 bytes, more than the 268435456/],
    ['a newer version', fileWith('newer.rnnlab.json', newer), /version 4, written by a newer RNN Lab/],
  ];
  for (const [what, path, pattern] of cases) {
    await rejects(loadCheckpoint(path), pattern).catch((e) => assert.fail(`${what}: ${(e as Error).message}`));
    await rejects(readCheckpointSummary(path), pattern).catch((e) => assert.fail(`${what} (summary): ${(e as Error).message}`));
  }
  // What `sample --checkpoint` and the editor's Open model read through (it first checks for a Keras file).
  await rejects(loadWeights(folder), new RegExp(`${folder} is a folder`));
  // Truncated data, NaN weights and weights of another model are found by loading (the summary does not read them).
  await rejects(loadCheckpoint(fileWith('cut-data.rnnlab.json', good.subarray(0, good.length - 10))), new RegExp(`truncated: expected ${good.length} bytes, found ${good.length - 10}`));
  const nan = Buffer.from(good);
  nan.writeDoubleLE(NaN, headerEnd + 16);
  await rejects(loadCheckpoint(fileWith('nan.rnnlab.json', nan)), /parameters contain NaN/);
  const other = v3Bytes({ ...meta, spec: { ...spec, hiddenSize: 5 } }, params);
  await rejects(loadCheckpoint(fileWith('other-model.rnnlab.json', other)), new RegExp(`parameters are missing or do not match the model \\(${paramLayout({ ...spec, hiddenSize: 5 }).total} values`));
});

test('a JSON checkpoint larger than JavaScript can hold as a string gets a clear line, not a crash', async () => {
  // Sparse: the size is checked before anything is read, so no disk space is used.
  const path = join(dir, 'huge-v2.rnnlab.json');
  const fd = openSync(path, 'w');
  writeSync(fd, '{"format":"rnn-lab-checkpoint"');
  ftruncateSync(fd, bufferConstants.MAX_STRING_LENGTH + 1024);
  closeSync(fd);
  await rejects(loadCheckpoint(path), /is a JSON checkpoint \(format 1 or 2\) of \d+ MiB, more than the \d+ MiB that JavaScript can hold as one string/);
  await rejects(readCheckpointSummary(path), /more than the 64 MiB read for a summary/);
});

test('readCheckpointSummary reads the header only, for format 3 and JSON files', async () => {
  const good = v3Bytes(resumable, params);
  const headerEnd = 8 + Number(good.readBigUInt64LE(0));
  // Without its tensors the file cannot be loaded, yet its summary reads: the weights are not read.
  const headerOnly = fileWith('header-only.rnnlab.json', good.subarray(0, headerEnd));
  await rejects(loadCheckpoint(headerOnly), /truncated/);
  for (const path of [headerOnly, fileWith('summary-v2.rnnlab.json', version2Text(resumable, params))]) {
    const s = await readCheckpointSummary(path);
    assert.equal(s.sourceName, 'my notes.md');
    assert.equal(s.sourcePath, '/texts/my notes.md');
    assert.equal(s.createdAt, meta.createdAt);
    assert.equal(s.step, 12);
    assert.equal(s.bestValLoss, 1.5);
    assert.equal(s.bestStep, 10);
    assert.deepEqual(s.trainHistory, meta.trainHistory);
    assert.deepEqual(s.valHistory, meta.valHistory);
    assert.deepEqual(s.fingerprint, meta.fingerprint);
    assert.deepEqual(s.spec, spec);
    assert.equal(s.config.cell, 'gru');
  }
  assert.equal((await readCheckpointSummary(headerOnly)).version, 3);
});

test('a checkpoint written before the Dense hidden layer existed loads as a model without one', () => {
  const j = JSON.parse(version2Text(resumable, params));
  delete j.spec.hiddenDense;
  delete j.spec.hiddenActivation;
  const c = parseCheckpoint(JSON.stringify(j), 'old.json');
  assert.equal(c.spec.hiddenDense, 0);
  assert.equal(c.spec.hiddenActivation, 'relu');
  assert.equal(c.params.length, params.length);
});

test('a model of 28M parameters saves and loads, without building a string or a copy the size of its weights', async () => {
  // LSTM, hidden 1536, 2 layers (with Adam's m and v, its base64 JSON would be ~770M characters, past V8's string
  // limit; the optimizer buffers here are small ones of another run, to keep the test's disk writes to ~115 MB).
  const bigSpec: ModelSpec = { ...spec, cell: 'lstm', hiddenSize: 1536, layers: 2, embeddingSize: 16, dropout: 0 };
  const count = paramLayout(bigSpec).total;
  assert.ok(count > 28e6);
  const weights = new Float32Array(count);
  for (let i = 0; i < count; i += 997) weights[i] = i / count;
  const big: CheckpointMeta = { ...meta, spec: bigSpec, config: { ...meta.config, cell: 'lstm', hiddenSize: 1536 } };
  assert.ok((count * 4 + count * 16) * 4 / 3 > bufferConstants.MAX_STRING_LENGTH, 'with Adam state its JSON would not fit in a string');
  // Record the longest string and the largest buffer made while writing.
  const { stringify } = JSON;
  const { alloc, allocUnsafe, allocUnsafeSlow } = Buffer;
  let longestString = 0;
  let largestBuffer = 0;
  const seen = (n: number) => (largestBuffer = Math.max(largestBuffer, n));
  JSON.stringify = ((...args: Parameters<typeof stringify>) => { const s = stringify(...args); longestString = Math.max(longestString, s?.length ?? 0); return s; }) as typeof stringify;
  Buffer.alloc = ((size: number, ...rest: []) => (seen(size), alloc(size, ...rest))) as typeof alloc;
  Buffer.allocUnsafe = ((size: number) => (seen(size), allocUnsafe(size))) as typeof allocUnsafe;
  Buffer.allocUnsafeSlow = ((size: number) => (seen(size), allocUnsafeSlow(size))) as typeof allocUnsafeSlow;
  const path = join(dir, 'big-last.rnnlab.json');
  try {
    await writeCheckpoint(path, big, weights);
  } finally {
    Object.assign(JSON, { stringify });
    Object.assign(Buffer, { alloc, allocUnsafe, allocUnsafeSlow });
  }
  assert.ok(longestString < 100_000, `longest string while writing: ${longestString} characters`);
  assert.ok(largestBuffer < 100_000, `largest buffer allocated while writing: ${largestBuffer} bytes`);
  assert.ok(statSync(path).size > count * 4 && statSync(path).size < count * 4 + 100_000, 'the weights and a small header');
  const c = await loadCheckpoint(path);
  assert.ok(c.params instanceof Float32Array);
  assert.equal(c.params.length, count);
  assert.equal(c.params[997 * 1000], weights[997 * 1000]);
  assert.equal(Buffer.compare(Buffer.from(c.params.buffer), Buffer.from(weights.buffer)), 0);
  rmSync(path);
});
