import { test } from 'node:test';
import { renderErrorMessage } from '../../src/engine/config/render';
import assert from 'node:assert/strict';
import { openSync, writeSync, closeSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { corpusFromText, readCorpusFromFile } from '../../src/engine/data/corpus';
import { UserInputError } from '../../src/engine/text/errors';
import { binaryReason, LineEndNormaliser, MAX_TEXT_BYTES } from '../../src/engine/text/read';
import { planData, VALIDATION_TOKEN_CAP } from '../../src/engine/data/batcher';
import { minimumTokens, splitTrainVal, StreamBatcher } from '../../src/engine/data/streamBatcher';
import { assertTrainable } from '../../src/engine/data/validate';
import { CharTokenizer as Vocabulary, codePointLength, UNKNOWN_SYMBOL } from '../../src/engine/data/charTokenizer';
import { UNKNOWN_ID } from '../../src/engine/data/tokenizer';
import { defaultTrainConfig } from '../../src/protocol/messages';
import { scratchFolder } from './support/scratch';

const { dir, file } = scratchFolder('text');

test('vocabulary: frequency order, ⟨unk⟩ at 0, cap, JSON round trip', () => {
  const v = Vocabulary.fromText('aaabbc', 3);
  assert.deepEqual(v.symbols, [UNKNOWN_SYMBOL, 'a', 'b']);
  assert.deepEqual(Array.from(v.encode('abcx')), [1, 2, UNKNOWN_ID, UNKNOWN_ID]);
  assert.equal(v.decode([1, 2, 1]), 'aba');
  const back = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
  assert.deepEqual(back.symbols, v.symbols);
  assert.throws(() => Vocabulary.fromJSON({ format: 'rnn-lab-vocab/1', symbols: [UNKNOWN_SYMBOL, 'ab'] }), UserInputError);
});

test('emoji and other astral characters are one symbol each', () => {
  const text = 'hi 👋🏽 there 🌊🌊 ok';
  const corpus = corpusFromText(text, { maxVocab: 96 });
  assert.equal(corpus.charCount, codePointLength(text));
  assert.equal(corpus.charCount, [...text].length);
  assert.ok(corpus.tokenizer.symbols.includes('🌊'));
  assert.ok(corpus.tokenizer.symbols.slice(1).every((s) => [...s].length === 1));
  assert.equal(corpus.tokenizer.decode(corpus.ids), text);
});

test('ids take one byte per character up to 256 symbols, two bytes beyond', () => {
  assert.ok(corpusFromText('hello world', { maxVocab: 96 }).ids instanceof Uint8Array);
  let wide = '';
  for (let i = 0; i < 300; i++) wide += String.fromCodePoint(0x4e00 + i);
  const c = corpusFromText(wide, { maxVocab: 1000 });
  assert.ok(c.ids instanceof Uint16Array);
  assert.equal(c.tokenizer.decode(c.ids), wide);
});

test('CRLF becomes LF, also across chunk boundaries; a BOM is dropped', async () => {
  const lines = new LineEndNormaliser();
  assert.equal(lines.push('a\r') + lines.push('\nb\r\nc') + lines.flush(), 'a\nb\nc');
  assert.equal(lines.crlfCount, 2);
  const p = file('crlf.txt', '\ufeffone\r\ntwo\r\nthree\n');
  const corpus = await readCorpusFromFile(p, { maxVocab: 96 });
  assert.equal(corpus.tokenizer.decode(corpus.ids), 'one\ntwo\nthree\n');
  assert.ok(corpus.notes.some((n) => /2 CRLF/.test(n)));
  assert.ok(!corpus.tokenizer.symbols.includes('\r'));
});

test('invalid UTF-8 bytes are replaced, not fatal, and reported', async () => {
  const bytes = Buffer.concat([Buffer.from('good text '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(' more text ✓')]);
  const corpus = await readCorpusFromFile(file('bad-utf8.txt', bytes), { maxVocab: 96 });
  const text = corpus.tokenizer.decode(corpus.ids);
  assert.ok(text.startsWith('good text '));
  assert.ok(text.endsWith(' more text ✓'));
  assert.ok(text.includes('\uFFFD'));
  assert.ok(corpus.notes.some((n) => /invalid UTF-8/.test(n)));
});

test('empty, whitespace-only and binary files are refused with a clear message', async () => {
  await assert.rejects(readCorpusFromFile(file('empty.txt', ''), { maxVocab: 96 }), (e: Error) => e instanceof UserInputError && /empty/.test(e.message));
  await assert.rejects(readCorpusFromFile(file('blank.txt', ' \n\t \r\n  '), { maxVocab: 96 }), (e: Error) => e instanceof UserInputError && /only whitespace/.test(e.message));
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);
  await assert.rejects(readCorpusFromFile(file('image.png', png), { maxVocab: 96 }), (e: Error) => e instanceof UserInputError && /binary/.test(e.message));
  assert.match(binaryReason(Uint8Array.from([1, 2, 3, 4, 5, 65])) ?? '', /control/);
  assert.equal(binaryReason(new TextEncoder().encode('plain text\twith tabs\n')), undefined);
  await assert.rejects(readCorpusFromFile(join(dir, 'missing.txt'), { maxVocab: 96 }), UserInputError);
  assert.throws(() => corpusFromText('   ', { maxVocab: 96 }), UserInputError);
});

test('too-short text names how many characters are needed and what to change', () => {
  const corpus = corpusFromText('short text here', { maxVocab: 96 });
  assert.equal(minimumTokens(64), 130);
  assert.throws(() => assertTrainable(corpus, { ...defaultTrainConfig, seqLength: 64 }), (e: UserInputError) =>
    e instanceof UserInputError && /15 characters/.test(e.message) && /at least 130/.test(e.message) &&
    e.setting?.key === 'seqLength' && e.setting.suggestion === 6 && /--seq 6 or less/.test(renderErrorMessage(e, 'cli')));
  assert.doesNotThrow(() => assertTrainable(corpus, { ...defaultTrainConfig, seqLength: 6 }));
});

test('stream batches: contiguous rows that continue across batches; split keeps validation apart', () => {
  const ids = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
  const split = splitTrainVal(ids.length, 0.1, 8);
  assert.deepEqual(split, { trainStart: 0, trainEnd: 900, valStart: 900, valEnd: 1000 });
  const s = new StreamBatcher(ids, split.trainStart, split.trainEnd, 4, 8);
  assert.equal(s.segmentLength, Math.floor(899 / 4));
  const first = s.batchAt(0, 0);
  assert.equal(first.carry, false);
  const b0 = { ...first.batch, inputs: first.batch.inputs.slice(), targets: first.batch.targets.slice() };
  const next = s.batchAt(0, 1);
  assert.equal(next.carry, true);
  const b1 = next.batch;
  for (let b = 0; b < 4; b++) {
    // Targets are inputs shifted by one; the next batch continues the row.
    for (let t = 0; t < 7; t++) assert.equal(b0.targets[b * 8 + t], b0.inputs[b * 8 + t + 1]);
    assert.equal(b1.inputs[b * 8], b0.targets[b * 8 + 7]);
  }
  const last = s.batchAt(0, s.batchesPerEpoch - 1).batch;
  assert.ok(Math.max(...last.targets) < 251);
  // Validation never reads training characters, and is capped.
  const corpus = corpusFromText('abcdefghij'.repeat(100), { maxVocab: 96 });
  const plan = planData(corpus, { ...defaultTrainConfig, batchSize: 4, seqLength: 8 });
  assert.equal(plan.trainTokens, 900);
  const val = plan.val as StreamBatcher;
  assert.ok(val.batchAt(0, 0).batch.inputs.every((x, i) => x === corpus.ids[900 + Math.floor(i / 8) * val.segmentLength + (i % 8)]));
  const big = corpusFromText('a b'.repeat(400_000), { maxVocab: 96 });
  const capped = planData(big, { ...defaultTrainConfig, valFraction: 0.5, seqLength: 64 });
  assert.ok(capped.val.tokensPerEpoch <= VALIDATION_TOKEN_CAP);
  // A tiny text still gets one row.
  assert.equal(new StreamBatcher(ids, 0, 10, 32, 8).batchSize, 1);
});

test('a 20 MB file streams into one byte per character without a full-string copy', async () => {
  const p = join(dir, 'big.txt');
  const fd = openSync(p, 'w');
  const paragraph = 'The river carries the past forward and is shaped by it, bend by bend. ';
  const block = paragraph.repeat(Math.ceil(1_000_000 / paragraph.length)).slice(0, 1_000_000);
  for (let i = 0; i < 20; i++) writeSync(fd, block);
  closeSync(fd);
  global.gc?.();
  const before = process.memoryUsage();
  let peak = 0;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.heapUsed + m.arrayBuffers - before.heapUsed - before.arrayBuffers);
  }, 5);
  const corpus = await readCorpusFromFile(p, { maxVocab: 96 });
  clearInterval(timer);
  const after = process.memoryUsage();
  peak = Math.max(peak, after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers);
  assert.equal(corpus.charCount, 20_000_000);
  assert.ok(corpus.ids instanceof Uint8Array);
  assert.equal(corpus.ids.byteLength, 20_000_000);
  // A JS string of 20 M characters alone would be 20-40 MB on the heap; the whole read stays near 1x.
  assert.ok(peak < 3 * 20_000_000, `peak growth ${(peak / 1e6).toFixed(1)} MB`);
  rmSync(p);
});

test('a file over the size limit is refused before anything is read', async () => {
  // A sparse file: its size is past the limit, but it takes no disk space.
  const huge = file('huge.txt', 'a');
  truncateSync(huge, MAX_TEXT_BYTES + 1);
  await assert.rejects(readCorpusFromFile(huge, { maxVocab: 96 }), (e: Error) => e instanceof UserInputError && /GiB/.test(e.message) && /part of it/.test(e.message));
});
