import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rnnLab, samples } from './support/cli';
import { scratchFolder } from './support/scratch';
import { lastOfNewestRun } from './support/runs';
import { presets } from '../../src/engine/config/presets';
import { readCheckpointSummary } from '../../src/engine/model/io/checkpoint';


const { dir: work, file } = scratchFolder('cli');

test('bad input: non-zero exit, one line on stderr, no checkpoint folder', () => {
  const cases: Array<[string, string[], number, RegExp]> = [
    ['empty file', ['train', file('empty.txt', '')], 1, /rnnlab-cli-\w+\/empty\.txt is empty/],
    ['empty file in lines mode', ['train', file('empty-lines.txt', ''), '--mode', 'lines'], 1, /\/empty-lines\.txt is empty/],
    ['whitespace only', ['train', file('blank.txt', '  \n\n\t ')], 1, /blank\.txt contains only whitespace/],
    ['binary', ['train', file('data.bin', Uint8Array.from([0, 1, 2, 3, 0, 255, 0, 7]))], 1, /binary/],
    ['too short', ['train', file('short.txt', 'a few words only')], 1, /too short.*--seq/],
    ['missing file', ['train', join(work, 'nope.txt')], 1, /nope\.txt does not exist; check the path/],
    ['one enormous line in lines mode', ['train', file('one-line.txt', 'word '.repeat(3000)), '--mode', 'lines'], 1, /has a sentence of 14,999 characters .*--max-line-length 500/],
    ['a word-mode text of one word', ['train', file('one-word.txt', 'hello'), '--tokens', 'word'], 1, /only 1 word token.*--tokens char/],
    ['a vocabulary cap of 1', ['train', join(samples, 'prose.txt'), '--max-vocab', '1'], 2, /--max-vocab must be an integer from 2/],
    ['a vocabulary cap too small for lines', ['train', join(samples, 'captions.txt'), '--mode', 'lines', '--max-vocab', '3'], 1, /--max-vocab\) of 3 leaves no room.*try --max-vocab 4/],
    ['a window longer than the text', ['train', file('window.txt', 'a short text of some forty characters...'), '--mode', 'windows', '--window', '40'], 1, /window of 40 \(--window\) needs at least 82/],
    ['resume from a foreign file', ['train', '--resume', file('foreign.json', '{"format":"something else"}'), '--steps', '5'], 1, /foreign\.json is not a usable RNN Lab checkpoint/],
    ['resume from a future version', ['train', '--resume', file('future.json', '{"format":"rnn-lab-checkpoint","version":9}'), '--steps', '5'], 1, /future\.json .*version 9, written by a newer RNN Lab/],
    ['no file', ['train'], 2, /needs a FILE/],
    ['bad number', ['train', join(samples, 'prose.txt'), '--steps', 'ten'], 2, /--steps needs an integer/],
    ['bad value', ['train', join(samples, 'prose.txt'), '--lr=-1'], 2, /--lr must be a number above 0/],
    ['out of range', ['train', join(samples, 'prose.txt'), '--seq', '5000'], 2, /--seq must be an integer from 1 to 2048 \(got 5000\); try --seq 2048/],
    ['no validation', ['train', join(samples, 'prose.txt'), '--val-fraction', '0'], 2, /--val-fraction must be/],
    ['dash value', ['train', join(samples, 'prose.txt'), '--lr', '-1'], 2, /--lr/],
    ['unknown flag', ['train', join(samples, 'prose.txt'), '--colour'], 2, /colour/],
    ['unavailable backend', ['train', join(samples, 'prose.txt'), '--backend', 'cuda', '--steps', '1'], 1, /CUDA GPU backend is not available: GPU not used: no NVIDIA driver: could not load \/nonexistent\/libcuda\.so\.1/],
    ['unknown command', ['fly'], 2, /unknown command/],
    ['corrupt checkpoint', ['sample', '--checkpoint', file('broken.rnnlab.json', '{"format":"rnn-lab-checkpoint","vers')], 1, /not a usable RNN Lab checkpoint/],
  ];
  for (const [name, args, code, pattern] of cases) {
    const r = rnnLab(args, work);
    assert.equal(r.code, code, `${name}: exit ${r.code}, stderr ${r.stderr}`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${name}: ${r.stderr}`);
    assert.match(lines[0], pattern, name);
    assert.ok(!existsSync(join(work, '.rnnlab')), `${name} created a checkpoint folder`);
  }
});

test('train --json prints evaluation lines, the last one final; sample and probs use the checkpoint', async () => {
  const r = rnnLab(['train', join(samples, 'captions.txt'), '--steps', '12', '--eval-interval', '5', '--hidden', '16', '--batch', '8', '--seq', '16',
    '--sample-length', '30', '--backend', 'js', '--json', '--checkpoint-dir', 'ckpt'], work);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines[0].type, 'started');
  assert.equal(lines[0].backend, 'js');
  const evals = lines.filter((l) => l.type === 'eval');
  assert.deepEqual(evals.map((e) => e.step), [0, 5, 10, 12]);
  // Step 0: before any update, beside ln V.
  assert.ok(Math.abs(evals[0].valLoss - evals[0].baselineLoss) < 0.2, `${evals[0].valLoss} vs ${evals[0].baselineLoss}`);
  const finished = lines[lines.length - 1];
  assert.equal(finished.type, 'finished');
  assert.equal(finished.bestPath, join(work, 'ckpt', 'captions-best.rnnlab'), 'the file\'s best model');
  const last = lines[lines.length - 2];
  assert.equal(last.type, 'eval');
  assert.equal(last.step, 12);
  for (const key of ['step', 'loss', 'valLoss', 'valBitsPerChar', 'valBitsPerToken', 'valPerplexity', 'bestValLoss', 'bestStep', 'charsPerSec', 'sample']) assert.ok(key in last, key);
  assert.ok(Math.abs(last.valPerplexity - Math.exp(last.valLoss)) < 1e-9);
  assert.ok(Math.abs(last.valBitsPerChar - last.valLoss / Math.LN2) < 1e-9);
  const checkpoint = join(finished.runDir, 'last.rnnlab');
  assert.ok(existsSync(checkpoint));
  assert.ok(existsSync(finished.bestPath));
  assert.equal((await readCheckpointSummary(checkpoint)).step, 12);

  const s = rnnLab(['sample', '--checkpoint', checkpoint, '--prime', 'a man ', '--length', '40', '--seed', '3', '--json'], work);
  assert.equal(s.code, 0, s.stderr);
  const sample = JSON.parse(s.stdout);
  assert.equal([...sample.text].length, 40);
  assert.equal(rnnLab(['sample', '--checkpoint', checkpoint, '--prime', 'a man ', '--length', '40', '--seed', '3', '--json'], work).stdout, s.stdout);

  const p = rnnLab(['probs', '--checkpoint', checkpoint, '--prefix', 'a dog ', '--top', '3', '--json'], work);
  assert.equal(p.code, 0, p.stderr);
  const probs = JSON.parse(p.stdout);
  assert.equal(probs.prefix, 'a dog ');
  assert.equal(probs.top.length, 3);
  assert.ok(probs.top[0].p >= probs.top[1].p && probs.top[1].p >= probs.top[2].p);
  assert.ok(probs.entropyBits > 0);
});

test('plain train output names the backend and corpus first, then one line per evaluation', () => {
  const r = rnnLab(['train', join(samples, 'nonsense.txt'), '--steps', '4', '--eval-interval', '2', '--hidden', '8', '--batch', '4', '--seq', '8',
    '--backend', 'reference', '--no-checkpoint'], work);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], /^backend reference .*nonsense\.txt: [\d,]+ chars .*vocab \d+, params [\d,]+/);
  // Training and validation loss side by side, in the same unit.
  assert.match(lines[1], /^step 0  val \d+\.\d{3} bits\/char \(\d+\.\d{3} nats\) before training; uniform guess ln V = \d+\.\d{3} nats/);
  assert.match(lines[2], /^step 2  train \d+\.\d{3}  val \d+\.\d{3} bits\/char.*chars\/s.*sample:/);
  assert.match(lines[3], /^step 4 /);
  assert.ok(!existsSync(join(work, '.rnnlab')));
});

test('word models: the banner counts words, sample keeps a space after the prime, decode spaces its columns', () => {
  const r = rnnLab(['train', join(samples, 'prose.txt'), '--tokens', 'word', '--steps', '3', '--eval-interval', '3', '--hidden', '8', '--batch', '4', '--seq', '8',
    '--backend', 'js', '--checkpoint-dir', 'words'], work);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.split('\n')[0], /: [\d,]+ chars \([\d,]+ train, [\d,]+ val words\)/);
  const checkpoint = lastOfNewestRun(join(work, 'words'), 'prose.txt');
  const s = rnnLab(['sample', '--checkpoint', checkpoint, '--prime', 'the', '--length', '5', '--seed', '2'], work);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /^the [^\s]/, s.stdout);
  const d = rnnLab(['decode', '--checkpoint', checkpoint, '--line', 'the cat ran a dog'], work);
  assert.equal(d.code, 0, d.stderr);
  // A stream word model has no line start to read first: one column per word after the first.
  const next = d.stdout.split('\n')[0].replace(/^next: +/, '').trim().split(/ +/);
  assert.equal(next.length, 4, d.stdout);
});

test('decode on a character model predicts the first character of the line too', () => {
  const r = rnnLab(['train', join(samples, 'prose.txt'), '--steps', '2', '--eval-interval', '2', '--hidden', '8', '--batch', '4', '--seq', '8',
    '--backend', 'js', '--checkpoint-dir', 'chars'], work);
  assert.equal(r.code, 0, r.stderr);
  const d = rnnLab(['decode', '--checkpoint', lastOfNewestRun(join(work, 'chars'), 'prose.txt'), '--line', 'to take away', '--json'], work);
  assert.equal(d.code, 0, d.stderr);
  const result = JSON.parse(d.stdout);
  assert.equal(result.steps.filter((s: { target?: string }) => s.target !== undefined).map((s: { target: string }) => s.target).join(''), 'to take away');
  assert.equal(result.total, 12);
  const plain = rnnLab(['decode', '--checkpoint', lastOfNewestRun(join(work, 'chars'), 'prose.txt'), '--line', 'to take away'], work);
  assert.match(plain.stdout, /^next: +to take away/, plain.stdout);
});

test('a run whose best is the untrained model says so, why, and what would help', () => {
  const short = file('short-selection.txt', readFileSync(join(samples, 'prose.txt'), 'utf8').slice(0, 216));
  const r = rnnLab(['train', short, '--steps', '200', '--eval-interval', '20', '--hidden', '64', '--lr', '0.05', '--backend', 'js', '--no-checkpoint'], work);
  assert.equal(r.code, 0, r.stderr);
  const end = r.stdout.trimEnd().split('\n').at(-1)!;
  assert.match(end, /at step 0; .*The best weights are the untrained ones: validation loss rose from the first evaluation on \([\d.]+ at step 0 to [\d.]+ bits per symbol at step \d+\)/, end);
  assert.match(end, /Try more text \(\d+ training symbols.*fewer steps \(--steps: .*a smaller model \(--hidden: .* or a lower learning rate \(--lr, now 0\.05\)\.$/, end);
});

test('auto backend selection without a GPU says why once, with what to do, not again in the banner', () => {
  const r = rnnLab(['train', join(samples, 'nonsense.txt'), '--steps', '2', '--eval-interval', '2', '--hidden', '8', '--batch', '4', '--seq', '8', '--no-checkpoint'], work);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((r.stdout + r.stderr).match(/GPU not used/g)?.length, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /GPU not used: no NVIDIA driver: .*install the NVIDIA driver/);
  assert.match(r.stdout, /^backend \S/);
});

test('rnn-lab presets lists every preset with its title, text and flags', () => {
  const r = rnnLab(['presets', '--json'], work);
  assert.equal(r.code, 0, r.stderr);
  const listed = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(listed.map((p) => p.name), presets.map((p) => p.name));
  for (const p of listed) {
    assert.ok(p.title.length > 20, p.name);
    assert.ok(existsSync(join(samples, p.corpus)), `${p.name}: samples/${p.corpus}`);
    assert.ok(p.flags.length > 0);
  }
  const plain = rnnLab(['presets'], work);
  assert.match(plain.stdout, /captions\n  Captions, as in the Keras lab \(seed 004\)/);
  assert.equal(rnnLab(['train', '--preset', 'nope'], work).code, 2);
});

test('--preset applies a preset on its bundled text; explicit flags override it', () => {
  const r = rnnLab(['train', '--preset', 'captions', '--steps', '2', '--eval-interval', '2', '--hidden', '16', '--sample-length', '10',
    '--no-checkpoint', '--json'], work);
  assert.equal(r.code, 0, r.stderr);
  const started = JSON.parse(r.stdout.split('\n')[0]);
  const captions = presets.find((p) => p.name === 'captions')!;
  assert.equal(started.config.hiddenSize, 16, 'the flag wins');
  assert.equal(started.config.optimizer, captions.config.optimizer);
  assert.equal(started.config.hiddenDense, captions.config.hiddenDense);
  assert.equal(started.config.mode, 'lines');
  assert.deepEqual([started.config.steps, started.config.epochs], [2, 0], 'naming --steps replaces the preset\'s budget');
});

test('each preset trains for a few steps from the CLI', () => {
  for (const preset of presets) {
    const r = rnnLab(['train', '--preset', preset.name, '--steps', '3', '--eval-interval', '3', '--sample-length', '20', '--no-checkpoint', '--json'], work);
    assert.equal(r.code, 0, `${preset.name}: ${r.stderr}`);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const evals = lines.filter((l) => l.type === 'eval');
    assert.ok(evals.length >= 1 && Number.isFinite(evals.at(-1).valLoss), preset.name);
  }
});
