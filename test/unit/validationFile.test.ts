import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTrainConfig, type TrainConfig } from '../../src/engine/config/settings';
import { renderErrorMessage } from '../../src/engine/config/render';
import { planData } from '../../src/engine/data/batcher';
import { corpusFromText } from '../../src/engine/data/corpus';
import { withValidationFile } from '../../src/engine/data/validationFile';
import { corpusOptions } from '../../src/engine/train/options';

const work = mkdtempSync(join(tmpdir(), 'rnnlab-valfile-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

const trainText = 'the cat sat on the mat.\nthe dog sat on the log.\na bird sang in the tree.\n'.repeat(20);
const valText = 'the cat sang on the log.\nthe zebra sat.\n';

function plan(config: TrainConfig) {
  writeFileSync(join(work, 'val.txt'), valText);
  const train = corpusFromText(trainText, corpusOptions(config));
  return { train, withVal: withValidationFile(train, { ...config, valFile: 'val.txt' }, work) };
}

test('val file, stream mode: every training token trains, and validation reads exactly the file, unknown characters as the unknown symbol', async () => {
  const config = { ...defaultTrainConfig, seqLength: 8, batchSize: 2, batching: 'contiguous' as const };
  const { train, withVal } = plan(config);
  const corpus = await withVal;
  const data = planData(corpus, config);
  assert.equal(data.trainTokens, train.ids.length);
  assert.equal(data.valTokens, [...valText].length);
  // The validation batches hold the file's text, tokenized with the training vocabulary ('z' and 'b' of zebra unseen → unknown).
  const seen: number[] = [];
  for (let i = 0; i < data.val.batchesPerEpoch; i++) {
    const b = data.val.batchAt(0, i).batch;
    seen.push(...b.inputs);
  }
  const expected = Array.from(train.tokenizer.encode(valText));
  assert.ok(expected.includes(train.tokenizer.unknownId));
  // Row 0 of the first batch is the file's first seqLength tokens.
  assert.deepEqual(seen.slice(0, 8), expected.slice(0, 8));
  assert.match(corpus.notes.at(-1)!, /validating on val\.txt: 40 tokens, 1 of them outside the training vocabulary/);
  // Without the file, the end of the training text validates.
  assert.ok(planData(train, config).trainTokens < train.ids.length);
});

test('val file, lines mode: the training lines all train and the file\'s lines validate', async () => {
  const config = { ...defaultTrainConfig, mode: 'lines' as const, batchSize: 4 };
  const { train, withVal } = plan(config);
  const data = planData(await withVal, config);
  assert.equal(data.trainTokens, train.ids.length);
  assert.equal(data.valSentences, 2);
});

test('val file: a missing or empty file is one message naming the setting and the file', async () => {
  const train = corpusFromText(trainText, corpusOptions(defaultTrainConfig));
  writeFileSync(join(work, 'empty.txt'), '');
  const missing = await withValidationFile(train, { ...defaultTrainConfig, valFile: 'nope.txt' }, work).catch((e) => e);
  assert.equal(renderErrorMessage(missing, 'cli'), `the validation file (--val-file) cannot be used: ${join(work, 'nope.txt')} does not exist; check the path.`);
  assert.match(renderErrorMessage(missing, 'editor'), /rnnLab\.valFile/);
  const empty = await withValidationFile(train, { ...defaultTrainConfig, valFile: 'empty.txt' }, work).catch((e) => e);
  assert.match(renderErrorMessage(empty, 'cli'), /^the validation file \(--val-file\) cannot be used: empty\.txt is empty/);
  writeFileSync(join(work, 'short.txt'), 'abc');
  const short = await withValidationFile(train, { ...defaultTrainConfig, valFile: 'short.txt' }, work).catch((e) => e);
  assert.match(renderErrorMessage(short, 'cli'), /short\.txt \(--val-file\) has 3 tokens; validation needs at least 65/);
});
