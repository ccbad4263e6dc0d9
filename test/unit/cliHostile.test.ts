import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { defaultTrainConfig } from '../../src/engine/config/settings';
import { assertFitsInMemory } from '../../src/engine/data/validate';
import { isUserInputError } from '../../src/engine/text/errors';
import { rnnLab, samples } from './support/cli';
import { scratchFolder } from './support/scratch';
import { lastOfNewestRun } from './support/runs';

// The built CLI, on inputs no one should give it.
const { dir: work, file } = scratchFolder('hostile');

/** One line on stderr, matching `pattern`, with no stack trace and no "internal error". */
function assertOneLine(r: { code: number | null; stderr: string }, code: number, pattern: RegExp, name: string): void {
  assert.equal(r.code, code, `${name}: exit ${r.code}, stderr ${r.stderr.slice(0, 2000)}`);
  const lines = r.stderr.trimEnd().split('\n').filter((l) => !/^rnn-lab: (info|note|warn):/.test(l));
  assert.equal(lines.length, 1, `${name}: ${r.stderr.slice(0, 2000)}`);
  assert.doesNotMatch(lines[0], /internal error|\n\s+at |HDF5-DIAG|ambiguous/, name);
  assert.ok(lines[0].length < 600, `${name}: a ${lines[0].length}-character line`);
  assert.match(lines[0], pattern, name);
}

const checkpointDir = join(work, 'ck');
let checkpoint = '';
test.before(() => {
  const r = rnnLab(['train', join(samples, 'prose.txt'), '--steps', '2', '--hidden', '8', '--checkpoint-dir', checkpointDir], work);
  assert.equal(r.code, 0, r.stderr);
  checkpoint = join(checkpointDir, 'prose-best.rnnlab');
  assert.ok(existsSync(checkpoint));
});

test('negative numbers are values: out of range gets the range message, not "ambiguous"', () => {
  assertOneLine(rnnLab(['train', join(samples, 'prose.txt'), '--lr', '-1'], work), 2, /--lr must be a number above 0/, '--lr -1');
  assertOneLine(rnnLab(['train', join(samples, 'prose.txt'), '--steps', '-5'], work), 2, /--steps must be an integer from 0/, '--steps -5');
  assertOneLine(rnnLab(['sample', '--checkpoint', checkpoint, '--temperature', '-1'], work), 2, /--temperature/, '--temperature -1');
});

test('series files: a device is refused, a line too long is named', () => {
  assertOneLine(rnnLab(['series', '/dev/zero'], work), 1, /\/dev\/zero is not a regular file/, '/dev/zero');
  const long = file('long-line.csv', '1\n2\n' + '7'.repeat(3 * 1024 * 1024) + '\n');
  assertOneLine(rnnLab(['series', long], work), 1, /long-line\.csv, line 3: longer than 1,048,576 characters/, 'long line');
});

test('sample --length is capped as training samples are', () => {
  assertOneLine(rnnLab(['sample', '--checkpoint', checkpoint, '--length', '1000000000'], work), 2, /--length must be at most 100,000/, 'huge length');
});

test('a run that cannot fit in memory is refused before initialising, with the estimate and what to change', () => {
  const start = Date.now();
  assertOneLine(rnnLab(['train', join(samples, 'prose.txt'), '--hidden', '4096', '--layers', '8', '--no-checkpoint'], work), 1, /needs about [\d.]+ GiB .*--hidden/, 'huge model');
  assert.ok(Date.now() - start < 30_000);
  const words = file('words.txt', Array.from({ length: 70_000 }, (_, i) => `w${i}`).join(' ') + '\n');
  assertOneLine(rnnLab(['train', words, '--tokens', 'word', '--max-vocab', '65535', '--no-checkpoint'], work), 1, /65,535 symbols fed one-hot.*--embedding 256/, 'huge vocabulary');
  // The engine check itself, as the VS Code trainer reaches it.
  assert.throws(() => assertFitsInMemory({ ...defaultTrainConfig, tokens: 'word', maxVocab: 65535 }, 65535), (e) => isUserInputError(e) && /embedding/.test(e.message));
  assert.doesNotThrow(() => assertFitsInMemory(defaultTrainConfig, 100));
});

test('weights files: truncated, random and zip files get one line naming them', () => {
  const h5 = join(work, 'model.h5');
  const r = rnnLab(['export', '--checkpoint', checkpoint, '--keras', h5], work);
  assert.equal(r.code, 0, r.stderr);
  const truncated = file('truncated.h5', readFileSync(h5).subarray(0, 3000));
  assertOneLine(rnnLab(['sample', '--keras-weights', truncated, '--vocab', join(work, 'model.vocab.json')], work), 1, /truncated\.h5/, 'truncated h5');
  const random = file('random.bin', Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919 + 13) % 256));
  assertOneLine(rnnLab(['sample', '--keras-weights', random], work), 1, /random\.bin is not an HDF5 file/, 'random --keras-weights');
  assertOneLine(rnnLab(['sample', '--checkpoint', random], work), 1, /random\.bin is neither an RNN Lab checkpoint nor an HDF5 file/, 'random --checkpoint');
  const zip = file('model.keras', Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4]));
  assertOneLine(rnnLab(['sample', '--keras-weights', zip], work), 1, /model\.keras is a zip archive.*save_weights/, '.keras zip');
});

test('export: the output folder is created; an output that is an input is refused', () => {
  const out = join(work, 'new', 'folder', 'm.h5');
  const r = rnnLab(['export', '--checkpoint', checkpoint, '--keras', out], work);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(out));
  const before = readFileSync(checkpoint, 'utf8');
  assertOneLine(rnnLab(['export', '--checkpoint', checkpoint, '--keras', checkpoint], work), 1, /--keras .* is the --checkpoint file/, 'output = input');
  assert.equal(readFileSync(checkpoint, 'utf8'), before);
});

test('a long --prime is not echoed back; --prime-file reads the prime from a file', () => {
  const r = rnnLab(['train', join(samples, 'prose.txt'), '--prime', 'a'.repeat(10_001)], work);
  assertOneLine(r, 2, /--prime must be text of at most 10000 characters \(got 10,001 characters/, 'long prime');
  const prime = file('prime.txt', 'The prime ');
  const s = rnnLab(['sample', '--checkpoint', checkpoint, '--prime-file', prime, '--length', '5'], work);
  assert.equal(s.code, 0, s.stderr);
  assert.ok(s.stdout.startsWith('The prime '), s.stdout);
  assertOneLine(rnnLab(['sample', '--checkpoint', checkpoint, '--prime-file', work], work), 1, /--prime-file .* is a folder/, 'prime-file folder');
});

test('--init-from refuses model flags; --resume accepts flags equal to its own settings', () => {
  assertOneLine(rnnLab(['train', join(samples, 'prose.txt'), '--init-from', checkpoint, '--hidden', '64', '--no-checkpoint'], work), 2, /--init-from .*--hidden cannot change/, 'init-from --hidden');
  const last = lastOfNewestRun(checkpointDir, 'prose.txt');
  const r = rnnLab(['train', '--resume', last, '--hidden', '8', '--steps', '3', '--no-checkpoint'], work);
  assert.equal(r.code, 0, r.stderr);
  assertOneLine(rnnLab(['train', '--resume', last, '--hidden', '16', '--steps', '3', '--no-checkpoint'], work), 2, /--hidden cannot change/, 'resume --hidden 16');
});

test('sweep: every command on a folder, /dev/null, an empty file, random bytes and a missing file', () => {
  const folder = join(work, 'a-folder');
  mkdirSync(folder, { recursive: true });
  const inputs: Array<[string, string]> = [
    ['folder', folder], ['/dev/null', '/dev/null'], ['empty', file('empty.bin', '')],
    ['random', file('noise.bin', Uint8Array.from({ length: 4096 }, (_, i) => (i * 104729 + 7) % 256))], ['missing', join(work, 'missing.txt')],
  ];
  const commands: Array<(path: string) => string[]> = [
    (p) => ['train', p, '--steps', '1', '--no-checkpoint'],
    (p) => ['train', join(samples, 'prose.txt'), '--resume', p],
    (p) => ['train', join(samples, 'prose.txt'), '--init-from', p, '--steps', '1', '--no-checkpoint'],
    (p) => ['sample', '--checkpoint', p],
    (p) => ['sample', '--keras-weights', p],
    (p) => ['sample', '--checkpoint', checkpoint, '--prime-file', p],
    (p) => ['probs', '--checkpoint', p, '--prefix', 'a'],
    (p) => ['decode', '--checkpoint', p, '--line', 'a'],
    (p) => ['export', '--checkpoint', p, '--keras', join(work, 'out.h5')],
    (p) => ['series', p],
  ];
  for (const command of commands) {
    for (const [kind, path] of inputs) {
      const args = command(path);
      const r = rnnLab(args, work);
      const name = `${args.join(' ')} (${kind})`;
      if (r.code === 0 && kind === 'empty' && args.includes('--prime-file')) continue; // an empty prime is a valid one
      assert.ok(r.code === 1 || r.code === 2, `${name}: exit ${r.code}, ${r.stderr}`);
      assertOneLine(r, r.code!, /./, name);
      assert.ok(r.stderr.includes(basename(path)) || /--\w/.test(r.stderr), `${name}: names neither the file nor a flag: ${r.stderr}`);
    }
  }
  const numbers: Array<[string[], string]> = [];
  for (const value of ['-1', '0', '1e12', 'NaN']) {
    numbers.push([['train', join(samples, 'prose.txt'), '--hidden', value, '--no-checkpoint'], '--hidden']);
    numbers.push([['train', join(samples, 'prose.txt'), '--batch', value, '--no-checkpoint'], '--batch']);
    numbers.push([['sample', '--checkpoint', checkpoint, '--top-k', value], '--top-k']);
    numbers.push([['probs', '--checkpoint', checkpoint, '--prefix', 'a', '--top', value], '--top']);
  }
  for (const [args, flag] of numbers) {
    const r = rnnLab(args, work);
    if (r.code === 0) continue; // a value in range (--top-k 0 is "no limit")
    assertOneLine(r, r.code!, new RegExp(flag), args.join(' '));
  }
});
