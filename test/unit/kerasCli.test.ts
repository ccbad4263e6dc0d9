import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kerasForward, randomNet, writeKerasFile, type KerasNet } from './support/kerasFiles';

// The built CLI on Keras files the test writes: seed 004's model (LSTM 128, Dense 128, Dense V).
const cli = join(__dirname, '../../../dist/cli.js');
const samples = join(__dirname, '../../../samples');
const work = mkdtempSync(join(tmpdir(), 'rnnlab-keras-cli-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

function rnnLab(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lastJson(stdout: string) {
  const lines = stdout.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

// Seed 004's printed char2id, in id order (S and E last).
const seedSymbols = [...'a veryclndwotmpbhifksugzqjx254390617SE'];
const vocabPath = join(work, 'char2id.json');
writeFileSync(vocabPath, JSON.stringify(seedSymbols));
const display = (s: string, k: number) => (k === 36 ? '⟨s⟩' : k === 37 ? '⟨/s⟩' : s);

const files: Array<{ name: string; net: KerasNet; path: string; extra: string[] }> = [];
const base = randomNet({ cell: 'lstm', V: 38, E: 0, H: 128, layers: 1, D: 128, hiddenActivation: 'relu', gateActivation: 'hard_sigmoid' }, 21, 0.3);

test.before(async () => {
  // Keras 1.0 weights only (as the seed's save_weights wrote them): the activations are not in the file.
  const k1 = { name: 'Keras 1.x', net: base, path: join(work, 'weights-keras1.hdf5'), extra: ['--hidden-activation', 'relu'] };
  await writeKerasFile(k1.path, k1.net, 'keras1.0', { timeDistributed: true });
  // tf.keras 2, a full-model file with model_config.
  const k2 = { name: 'tf.keras 2', net: { ...base, gateActivation: 'sigmoid' as const }, path: join(work, 'model-tfkeras2.h5'), extra: [] };
  await writeKerasFile(k2.path, k2.net, 'tfkeras2-full', { timeDistributed: true });
  files.push(k1, k2);
});

test('probs, sample and decode on Keras 1.x and tf.keras 2 files of the seed 004 model', () => {
  for (const f of files) {
    const source = ['--keras-weights', f.path, '--vocab', vocabPath, ...f.extra];
    // Lab question 2: the most probable first characters, after S.
    const p = rnnLab(['probs', ...source, '--start', '--prefix', '', '--top', '10', '--json', '--backend', 'reference']);
    assert.equal(p.code, 0, `${f.name}: ${p.stderr}`);
    const probs = lastJson(p.stdout);
    assert.equal(probs.prefix, '');
    assert.equal(probs.top.length, 10);
    const expected = kerasForward(f.net, [36])[0];
    for (const row of probs.top) {
      const k = seedSymbols.findIndex((s, i) => display(s, i) === row.symbol);
      assert.ok(Math.abs(row.p - expected[k]) < 1e-6, `${f.name}: p(${row.symbol}) = ${row.p}, Keras computes ${expected[k]}`);
    }
    const sorted = [...expected].sort((a, b) => b - a);
    assert.ok(Math.abs(probs.top[0].p - sorted[0]) < 1e-6, 'most probable first');

    // A prefix, without the start symbol; the default backend (float32) agrees to float32 precision.
    const q = rnnLab(['probs', ...source, '--prefix', 'a man', '--top', '3', '--json']);
    assert.equal(q.code, 0, q.stderr);
    const after = kerasForward(f.net, [...'a man'].map((c) => seedSymbols.indexOf(c)));
    const last = after[after.length - 1];
    for (const row of lastJson(q.stdout).top) assert.ok(Math.abs(row.p - last[seedSymbols.indexOf(row.symbol)]) < 1e-5, `${f.name}: after "a man"`);

    // Lab question 5: five sentences, each ending at E.
    const s = rnnLab(['sample', ...source, '--sentences', '5', '--seed', '4', '--json']);
    assert.equal(s.code, 0, s.stderr);
    const sample = lastJson(s.stdout);
    assert.equal(sample.sentences.length, 5, s.stdout);
    for (const sentence of sample.sentences) assert.ok([...sentence].every((c) => seedSymbols.slice(0, 36).includes(c)), `only text characters: ${JSON.stringify(sentence)}`);

    // Section 4: teacher-forced argmax at every position.
    const line = 'a bicycle is parked';
    const d = rnnLab(['decode', ...source, '--line', line, '--json', '--backend', 'reference']);
    assert.equal(d.code, 0, d.stderr);
    const decoded = lastJson(d.stdout);
    const inputs = [36, ...[...line].map((c) => seedSymbols.indexOf(c))];
    const forward = kerasForward(f.net, inputs);
    assert.equal(decoded.steps.length, line.length + 1);
    decoded.steps.forEach((step: { input: string; predicted: string; target: string }, t: number) => {
      const best = forward[t].indexOf(Math.max(...forward[t]));
      assert.equal(step.predicted, display(seedSymbols[best], best), `${f.name}: position ${t}`);
      assert.equal(step.target, t < line.length ? line[t] : '⟨/s⟩');
    });
    assert.equal(decoded.total, line.length + 1);
    const plain = rnnLab(['decode', ...source, '--line', line]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^next: {6}a bicycle is parked⟨\/s⟩\npredicted: .+\n\d+ of 20 next symbols predicted/);
  }
  // Without the hidden activation, the Keras 1 file loads with a note saying what was assumed.
  const noted = rnnLab(['probs', '--keras-weights', files[0].path, '--vocab', vocabPath, '--prefix', 'a', '--json']);
  assert.equal(noted.code, 0, noted.stderr);
  assert.match(noted.stderr, /note: .*assumed relu \(use --hidden-activation/);
});

test('model source errors: one line, exit code, the flag or file named', () => {
  const cases: Array<[string, string[], number, RegExp]> = [
    ['no model', ['probs', '--prefix', 'a'], 2, /--checkpoint FILE, --pytorch-weights DIR or --keras-weights FILE\.h5/],
    ['both', ['probs', '--checkpoint', 'x', '--keras-weights', 'y', '--prefix', 'a'], 2, /not --checkpoint and --keras-weights/],
    ['no vocabulary', ['probs', '--keras-weights', files[1].path, '--prefix', 'a'], 1, /carries no vocabulary: give one with --vocab FILE/],
    ['no prefix', ['probs', '--keras-weights', files[1].path, '--vocab', vocabPath], 2, /--prefix TEXT or --start/],
    ['bad activation', ['probs', '--keras-weights', files[0].path, '--vocab', vocabPath, '--prefix', 'a', '--hidden-activation', 'gelu'], 2, /--hidden-activation must be one of relu, tanh, linear/],
    ['hard_sigmoid on wasm', ['probs', '--keras-weights', files[0].path, '--vocab', vocabPath, '--prefix', 'a', '--backend', 'wasm'], 1, /cannot run this model \(hard_sigmoid/],
  ];
  for (const [name, args, code, pattern] of cases) {
    const r = rnnLab(args);
    assert.equal(r.code, code, `${name}: exit ${r.code}, stderr ${r.stderr}`);
    const lines = r.stderr.trimEnd().split('\n').filter((l) => !l.includes('note:'));
    assert.equal(lines.length, 1, `${name}: ${r.stderr}`);
    assert.match(lines[0], pattern, name);
  }
});

/** A python3 that has h5py, if this machine has one (CI does not need it). */
function pythonWithH5py(): string | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import h5py'], { encoding: 'utf8' });
    if (r.status === 0) return python;
  }
  return undefined;
}

test('export: a trained checkpoint becomes tf.keras 2 weights that load back with the same predictions', (t) => {
  const train = rnnLab(['train', join(samples, 'captions.txt'), '--mode', 'lines', '--steps', '3', '--hidden', '12', '--hidden-dense', '10', '--hidden-activation', 'tanh',
    '--batch', '4', '--backend', 'js', '--eval-interval', '3', '--checkpoint-dir', 'ckpt', '--json']);
  assert.equal(train.code, 0, train.stderr);
  const checkpoint = join(JSON.parse(train.stdout.trimEnd().split('\n').pop()!).runDir, 'last.rnnlab');
  const out = join(work, 'exported.h5');
  const e = rnnLab(['export', '--checkpoint', checkpoint, '--keras', out]);
  assert.equal(e.code, 0, e.stderr);
  const vocab = JSON.parse(readFileSync(join(work, 'exported.vocab.json'), 'utf8'));
  assert.deepEqual(vocab.slice(0, 3), ['⟨unk⟩', '⟨s⟩', '⟨/s⟩']);
  // The same question to the checkpoint and to the exported file (the vocabulary is found beside it).
  const ask = (source: string[]) => lastJson(rnnLab(['probs', ...source, '--start', '--prefix', 'a ', '--top', '5', '--json', '--backend', 'reference']).stdout);
  assert.deepEqual(ask(['--keras-weights', out]), ask(['--checkpoint', checkpoint]));
  const again = join(work, 'again.h5');
  assert.equal(rnnLab(['export', '--keras-weights', out, '--keras', again]).code, 0, 'a Keras file exports again');
  assert.deepEqual(ask(['--keras-weights', again]), ask(['--checkpoint', checkpoint]));
  assert.ok(existsSync(join(work, 'again.vocab.json')));

  const python = pythonWithH5py();
  if (!python) {
    t.diagnostic('h5py is not installed: dataset names and shapes not checked from Python');
    return;
  }
  const V = vocab.length;
  const script = `
import h5py, json, sys
f = h5py.File(sys.argv[1], 'r')
names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs['layer_names']]
out = {'layer_names': names, 'weights': {}}
for layer in names:
    for w in f[layer].attrs['weight_names']:
        w = w.decode() if isinstance(w, bytes) else w
        out['weights'][w] = list(f[layer][w].shape)
out['config'] = [l['class_name'] for l in json.loads(f.attrs['model_config'])['config']['layers']]
print(json.dumps(out))
`;
  const r = spawnSync(python, ['-c', script, out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    layer_names: ['lstm', 'dense', 'dense_1'],
    weights: {
      'lstm/lstm_cell/kernel:0': [V, 48],
      'lstm/lstm_cell/recurrent_kernel:0': [12, 48],
      'lstm/lstm_cell/bias:0': [48],
      'dense/kernel:0': [12, 10],
      'dense/bias:0': [10],
      'dense_1/kernel:0': [10, V],
      'dense_1/bias:0': [V],
    },
    config: ['InputLayer', 'LSTM', 'Dense', 'Dense'],
  });
});
