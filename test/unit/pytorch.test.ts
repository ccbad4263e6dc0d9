/**
 * The PyTorch round trip: `export --pytorch` writes a folder whose model.py computes our
 * next-symbol distribution; its train.py (one process, and torchrun with two gloo processes)
 * continues a run in every data mode; RNN Lab reads the result back and agrees with predict.py.
 *
 * Needs PyTorch: RNN_LAB_PYTHON (default /usr/bin/python3, Debian's python3-torch). Without it the
 * tests fail, saying what to install: they are the only check that the exported files work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import { CharTokenizer } from '../../src/engine/data/charTokenizer';
import { nextSymbolsAfter } from '../../src/engine/labs/nextSymbols';
import { loadWeights, type LoadedModel } from '../../src/engine/model/io/load';
import { loadPytorchFolder } from '../../src/engine/model/io/pytorch';
import { writePytorchFolder } from '../../src/engine/model/io/pytorchExport';
import type { CellType, ModelSpec } from '../../src/engine/model/spec';
import { randomFill } from './support/batches';
import { rnnLab, samples } from './support/cli';
import { scratchFolder } from './support/scratch';

const python = process.env.RNN_LAB_PYTHON ?? '/usr/bin/python3';
// Debian's PyTorch runs its matrix products at full speed with the OpenMP build of OpenBLAS.
const openblas = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
const pythonEnv = { ...process.env, ...(existsSync(openblas) ? { LD_LIBRARY_PATH: openblas } : {}), OMP_NUM_THREADS: '1' };
const scratch = scratchFolder('pytorch');

function runPython(args: string[], cwd: string, timeout = 120_000): string {
  const r = spawnSync(python, args, { cwd, env: pythonEnv, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${python} did not run (${r.error.message}): install PyTorch (apt-get install python3-torch libopenblas0-openmp) or point RNN_LAB_PYTHON at a python3 that has torch`);
  assert.equal(r.status, 0, `${python} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test('PyTorch is there (RNN_LAB_PYTHON, default /usr/bin/python3)', () => {
  runPython(['-c', 'import torch'], scratch.dir);
});

const text = 'the cat sat on the mat. a dog ran after it!\nThe end, or not?\n';

/** A model with random weights, every symbol of `text` in its vocabulary. */
function randomModel(spec: Omit<ModelSpec, 'vocabSize'>, seed: number): LoadedModel {
  const tokenizer = CharTokenizer.fromText(text, 100);
  const full: ModelSpec = { ...spec, vocabSize: tokenizer.size };
  const net = createReferenceBackend('float64').createNetwork(full);
  randomFill(net.params, 0.5, seed);
  // Exported weights are float32: start from float32 values so both sides compute with the same weights.
  const params = Float64Array.from(Float32Array.from(net.params));
  return { kind: 'checkpoint', path: `random-${seed}`, spec: full, params, tokenizer, notes: [] };
}

function rnnLabDistribution(model: LoadedModel, prefix: string): { p: Map<string, number>; entropyBits: number } {
  const net = createReferenceBackend('float64').createNetwork(model.spec);
  net.params.set(model.params);
  const result = nextSymbolsAfter(net.createStepper(1), model.tokenizer, prefix, { top: model.tokenizer.size });
  return { p: new Map(result.top.map((e) => [e.symbol, e.p])), entropyBits: result.entropyBits };
}

interface ProbsJson {
  prefix: string;
  top: Array<{ symbol: string; p: number }>;
  entropyBits: number;
}

function assertSameDistribution(ours: { p: Map<string, number>; entropyBits: number }, theirs: ProbsJson, what: string, tolerance = 1e-5): void {
  assert.equal(theirs.top.length, ours.p.size, `${what}: every symbol`);
  for (const { symbol, p } of theirs.top) {
    const q = ours.p.get(symbol);
    assert.ok(q !== undefined && Math.abs(q - p) <= tolerance, `${what}: p(${JSON.stringify(symbol)}) is ${p} in PyTorch, ${q} in RNN Lab`);
  }
  assert.ok(Math.abs(ours.entropyBits - theirs.entropyBits) <= 1e-4, `${what}: entropy ${theirs.entropyBits} vs ${ours.entropyBits}`);
}

test('model.py gives RNN Lab\'s next-symbol distribution: every cell × one-hot/embedding × 1/2 layers × Dense or not', async () => {
  const cases: Array<{ name: string; model: LoadedModel; dir: string }> = [];
  let seed = 1;
  for (const cell of ['lstm', 'gru', 'rnn'] as CellType[]) {
    for (const embeddingSize of [0, 5]) {
      for (const layers of [1, 2]) {
        for (const hiddenDense of [0, 6]) {
          const spec = { cell, hiddenSize: layers === 2 ? [7, 4] : 7, layers, embeddingSize, dropout: 0.2, hiddenDense, hiddenActivation: (seed % 2 ? 'tanh' : 'relu') as 'tanh' | 'relu' };
          const name = `${cell}-emb${embeddingSize}-l${layers}-dense${hiddenDense}`;
          const model = randomModel(spec, seed++);
          const dir = join(scratch.dir, 'parity', name);
          await writePytorchFolder(dir, model);
          // The folder reads back as the very same float32 weights.
          const back = await loadPytorchFolder(dir);
          assert.deepEqual(back.spec, model.spec, `${name}: spec`);
          assert.deepEqual(Float32Array.from(back.params), Float32Array.from(model.params), `${name}: weights`);
          cases.push({ name, model, dir });
        }
      }
    }
  }
  assert.equal(cases.length, 24);
  const prefix = 'the cat sat on';
  // One Python process reads every folder with its own model.py and predict.py (torch takes a second to import).
  const driver = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(cases[0].dir)})`,
    'import torch',
    'from model import load_model',
    'from predict import next_symbols',
    'out = []',
    'for d in json.loads(sys.argv[1]):',
    '    model, config, vocab = load_model(d, torch.float64)',
    `    out.append(next_symbols(model, config, vocab, ${JSON.stringify(prefix)}, 1000))`,
    'print(json.dumps(out))',
  ].join('\n');
  const results = JSON.parse(runPython(['-c', driver, JSON.stringify(cases.map((c) => c.dir))], scratch.dir)) as ProbsJson[];
  cases.forEach((c, i) => assertSameDistribution(rnnLabDistribution(c.model, prefix), results[i], c.name));
  // predict.py as a user runs it prints the same fields as `rnn-lab probs --json`.
  const c = cases[5];
  const printed = JSON.parse(runPython(['predict.py', '--prefix', prefix, '--top', '3', '--json'], c.dir)) as ProbsJson;
  const probs = rnnLab(['probs', '--pytorch-weights', c.dir, '--prefix', prefix, '--top', '3', '--json'], scratch.dir);
  assert.equal(probs.code, 0, probs.stderr);
  const ours = JSON.parse(probs.stdout) as ProbsJson;
  assert.deepEqual(Object.keys(printed), Object.keys(ours));
  assert.deepEqual(printed.top.map((e) => e.symbol), ours.top.map((e) => e.symbol));
});

/** A short RNN Lab run in `mode`, exported with --pytorch; returns the folder. */
function exportedRun(mode: 'stream' | 'lines' | 'windows', extra: string[]): string {
  const runDir = join(scratch.dir, `run-${mode}`);
  const textFile = join(samples, mode === 'lines' ? 'sentences.txt' : 'prose.txt');
  const train = rnnLab(['train', textFile, '--mode', mode, '--steps', '5', '--eval-interval', '5', '--hidden', '24', '--batch', '16', '--checkpoint-dir', runDir, ...extra], scratch.dir);
  assert.equal(train.code, 0, train.stderr);
  const best = join(runDir, `${mode === 'lines' ? 'sentences' : 'prose'}-best.rnnlab`);
  const dir = join(scratch.dir, `pt-${mode}`);
  const exported = rnnLab(['export', '--checkpoint', best, '--pytorch', dir], scratch.dir);
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stdout, /weights\.safetensors, config\.json, vocab\.json, model\.py, train\.py, predict\.py, README\.md/);
  return dir;
}

/** The validation history in config.json ([step, loss] pairs): RNN Lab's, then train.py's. */
function valHistory(dir: string): Array<[number, number]> {
  return (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { valHistory: Array<[number, number]> }).valHistory;
}

for (const [mode, extra, prefix] of [
  ['stream', ['--seq', '16'], 'The qu'],
  ['lines', ['--tokens', 'word', '--embedding', '8', '--bptt-truncate', '6'], 'the'],
  ['windows', ['--window', '12', '--window-step', '5', '--cell', 'gru', '--layers', '2', '--hidden-dense', '10'], 'The qu'],
] as const) {
  test(`torchrun --nproc_per_node=2 (gloo) continues a ${mode} run: validation loss falls, and RNN Lab reads the result as PyTorch does`, async () => {
    const dir = exportedRun(mode, [...extra]);
    const out = join(dir, 'continued');
    // Debian's torchrun (PyTorch 1.13 on Python 3.11) needs explicit --redirects/--tee values.
    const log = runPython(['-m', 'torch.distributed.run', '--redirects', '1', '--tee', '1', '--standalone', '--nproc_per_node=2', 'train.py', '--steps', '30', '--eval-interval', '10', '--out', out], dir, 180_000);
    assert.match(log, /2 process\(es\) on cpu/);
    const before = valHistory(dir);
    const history = valHistory(out);
    assert.deepEqual(history.slice(0, before.length), before, 'RNN Lab\'s history comes first');
    const continued = history.slice(before.length);
    assert.deepEqual(continued.map(([step]) => step), [5, 15, 25, 35], 'validations at the start and every 10 steps');
    assert.ok(continued[3][1] < continued[0][1], `validation loss falls: ${JSON.stringify(continued)}`);
    const opened = await loadWeights(out);
    assert.equal(opened.kind, 'pytorch');
    assert.equal(opened.checkpoint?.step, 35);
    assert.equal(opened.checkpoint?.config.mode, mode);
    const theirs = JSON.parse(runPython(['predict.py', '--weights', out, '--prefix', prefix, '--top', '1000', '--json'], dir)) as ProbsJson;
    const probs = rnnLab(['probs', '--pytorch-weights', out, '--prefix', prefix, '--top', '1000', '--json'], scratch.dir);
    assert.equal(probs.code, 0, probs.stderr);
    const ours = JSON.parse(probs.stdout) as ProbsJson;
    assert.equal(ours.prefix, theirs.prefix);
    assertSameDistribution({ p: new Map(ours.top.map((e) => [e.symbol, e.p])), entropyBits: ours.entropyBits }, theirs, `${mode} after torchrun`);
  });
}

test('train.py runs as one process too, resuming from an earlier --out', () => {
  const dir = join(scratch.dir, 'pt-stream');
  const first = join(dir, 'continued');
  assert.ok(existsSync(join(first, 'weights.safetensors')), 'the torchrun test wrote it');
  const out = join(dir, 'again');
  const log = runPython(['train.py', '--weights', first, '--steps', '10', '--eval-interval', '10', '--out', out], dir);
  assert.match(log, /^step 35: .*1 process\(es\)/m);
  const history = valHistory(out);
  const earlier = valHistory(first);
  assert.deepEqual(history.slice(0, earlier.length), earlier, 'the history goes on');
  assert.deepEqual(history.slice(earlier.length).map(([step]) => step), [35, 45]);
});

test('a folder without config.json, weights of another shape, a vocabulary of the wrong size: each message names the file and the tensor', async () => {
  const good = join(scratch.dir, 'bad', 'good');
  await writePytorchFolder(good, randomModel({ cell: 'lstm', hiddenSize: 7, layers: 1, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' }, 50));
  const other = join(scratch.dir, 'bad', 'other');
  await writePytorchFolder(other, randomModel({ cell: 'lstm', hiddenSize: 9, layers: 1, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' }, 51));
  const copy = (name: string) => {
    const dir = join(scratch.dir, 'bad', name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const f of ['config.json', 'vocab.json', 'weights.safetensors']) copyFileSync(join(good, f), join(dir, f));
    return dir;
  };
  const noConfig = copy('no-config');
  rmSync(join(noConfig, 'config.json'));
  const shape = copy('shape');
  copyFileSync(join(other, 'weights.safetensors'), join(shape, 'weights.safetensors'));
  const vocab = copy('vocab');
  const tokenizer = JSON.parse(readFileSync(join(vocab, 'vocab.json'), 'utf8')) as { symbols: string[] };
  tokenizer.symbols.pop();
  writeFileSync(join(vocab, 'vocab.json'), JSON.stringify(tokenizer));
  await assert.rejects(loadWeights(noConfig), (e: Error) => e.message.includes(noConfig) && /no config\.json/.test(e.message));
  await assert.rejects(loadWeights(shape), (e: Error) => e.message.includes(join(shape, 'weights.safetensors')) && /tensor layers\.0\.weight_ih_l0 .*shape \[36, \d+\] .*needs \[28, \d+\]/.test(e.message));
  await assert.rejects(loadWeights(vocab), (e: Error) => e.message.includes(join(vocab, 'vocab.json')) && /tensor output\.bias/.test(e.message));
  // The CLI says the same, and a file where a folder belongs is refused by name.
  const cli = rnnLab(['probs', '--pytorch-weights', shape, '--prefix', 'the'], scratch.dir);
  assert.equal(cli.code === 0, false);
  assert.match(cli.stderr, /tensor layers\.0\.weight_ih_l0/);
  const notFolder = rnnLab(['probs', '--pytorch-weights', join(good, 'config.json'), '--prefix', 'the'], scratch.dir);
  assert.match(notFolder.stderr, /--pytorch-weights takes a folder/);
  // train.py and predict.py name the tensor too.
  const r = spawnSync(python, ['predict.py', '--weights', shape, '--prefix', 'the'], { cwd: good, env: pythonEnv, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /tensor layers\.0\.weight_ih_l0 has shape \[36, \d+\], the model needs \[28, \d+\]/);
});

test('export --pytorch refuses what PyTorch\'s cells cannot compute (a Keras 1 hard_sigmoid model)', async () => {
  const model = randomModel({ cell: 'gru', hiddenSize: 4, layers: 1, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu', recurrentActivation: 'hard_sigmoid' }, 60);
  await assert.rejects(writePytorchFolder(join(scratch.dir, 'hard'), model), /cannot be exported to PyTorch: PyTorch's LSTM and GRU cannot compute hard_sigmoid gates/);
});
