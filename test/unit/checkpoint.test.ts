import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTrainConfig } from '../../src/protocol/messages';
import { paramLayout, type ModelSpec } from '../../src/engine/model/spec';
import { UserInputError } from '../../src/engine/text/errors';
import { CharTokenizer as Vocabulary } from '../../src/engine/data/charTokenizer';
import { checkpointPath, loadCheckpoint, parseCheckpoint, serializeCheckpoint, writeCheckpoint, type CheckpointMeta } from '../../src/engine/model/io/checkpoint';

const vocab = Vocabulary.fromText('hello world 🌍', 96);
const spec: ModelSpec = { cell: 'gru', vocabSize: vocab.size, hiddenSize: 4, layers: 2, embeddingSize: 3, dropout: 0.1, hiddenDense: 0, hiddenActivation: 'relu' };
const meta: CheckpointMeta = {
  sourceName: 'my notes.md', step: 12, bestValLoss: 1.5, createdAt: '2024-01-01T00:00:00.000Z', spec,
  config: { ...defaultTrainConfig, cell: 'gru' }, tokenizer: vocab, trainHistory: [{ step: 1, loss: 3 }], valHistory: [{ step: 12, valLoss: 1.5 }],
};
const params = Float64Array.from({ length: paramLayout(spec).total }, (_, i) => Math.sin(i) * 0.3);

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-ckpt-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a checkpoint round-trips spec, config, vocabulary, histories and float32 weights', async () => {
  const path = checkpointPath(join(dir, 'nested'), meta.sourceName, 'best');
  assert.equal(path, join(dir, 'nested', 'my_notes-best.rnnlab'));
  await writeCheckpoint(path, meta, params);
  assert.deepEqual(readdirSync(join(dir, 'nested')), ['my_notes-best.rnnlab'], 'no temporary files left');
  const c = await loadCheckpoint(path);
  assert.deepEqual(c.spec, spec);
  assert.equal(c.config.cell, 'gru');
  assert.deepEqual(c.tokenizer.symbols, vocab.symbols);
  assert.equal(c.step, 12);
  assert.equal(c.bestValLoss, 1.5);
  assert.deepEqual(c.valHistory, meta.valHistory);
  // float64 weights (the reference backend's) are kept exactly; float32 ones as float32.
  assert.ok(c.params instanceof Float64Array);
  assert.deepEqual(Array.from(c.params), Array.from(params));
  const single = parseCheckpoint(serializeCheckpoint(meta, Float32Array.from(params)));
  assert.ok(single.params instanceof Float32Array);
  assert.deepEqual(Array.from(single.params), Array.from(Float32Array.from(params)));
});

test('corrupt, truncated and foreign files are refused with a UserInputError', async () => {
  const good = serializeCheckpoint(meta, params);
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
  const path = join(dir, 'cut.rnnlab.json');
  writeFileSync(path, good.slice(0, 100));
  await assert.rejects(loadCheckpoint(path), UserInputError);
  await assert.rejects(loadCheckpoint(join(dir, 'absent.rnnlab.json')), UserInputError);
  assert.ok(readFileSync(path, 'utf8').length === 100);
});

test('a checkpoint written before the Dense hidden layer existed loads as a model without one', () => {
  const j = JSON.parse(serializeCheckpoint(meta, params));
  delete j.spec.hiddenDense;
  delete j.spec.hiddenActivation;
  const c = parseCheckpoint(JSON.stringify(j), 'old.json');
  assert.equal(c.spec.hiddenDense, 0);
  assert.equal(c.spec.hiddenActivation, 'relu');
  assert.equal(c.params.length, params.length);
});
