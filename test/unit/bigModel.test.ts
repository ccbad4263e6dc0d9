/**
 * A model over 30M parameters (the size that once failed: its checkpoint was one JSON string too
 * long) trains, saves, resumes and loads through the CLI, with the trainer's peak memory a small
 * multiple of its weights and optimizer state, never a string copy of the checkpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, readCheckpointSummary } from '../../src/engine/model/io/checkpoint';
import { cli } from './support/cli';

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-big-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Prints the process's peak resident set (KiB) to stderr as it exits; loaded with --require.
 * VmHWM, the high-water mark of this program's memory: getrusage's maxRSS would count the test
 * process's own size, which a spawned child inherits through fork and exec.
 */
const peakProbe = join(dir, 'peak.js');
writeFileSync(peakProbe, `process.on('exit', () => {
  const fs = require('node:fs');
  let kib;
  try { kib = Number(/VmHWM:\\s*(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]); } catch { kib = process.resourceUsage().maxRSS; }
  fs.writeSync(2, '\\npeak-rss-kib=' + kib + '\\n');
});
`);

/** Runs the built CLI; returns its output and its peak RSS in bytes. */
function rnnLab(args: string[]) {
  const env = { ...process.env, RNN_LAB_CUDA_DRIVER: '/nonexistent/libcuda.so.1' };
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--require', peakProbe, cli, ...args], { cwd: dir, encoding: 'utf8', timeout: 180_000, env, maxBuffer: 16 * 1024 * 1024 });
  const peaks = [...r.stderr.matchAll(/peak-rss-kib=(\d+)/g)].map((m) => Number(m[1]) * 1024);
  assert.equal(r.status, 0, `rnn-lab ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  assert.ok(peaks.length > 0, 'the probe reported the peak RSS');
  return { stdout: r.stdout, peak: Math.max(...peaks), seconds: (Date.now() - started) / 1000 };
}

/** The run folder a training run reports. */
const runFolder = (stdout: string) => /^Run folder: (.*?)(;|$)/m.exec(stdout)![1];

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

test('a 31M-parameter LSTM trains, saves, resumes and loads through the CLI, its peak RSS a small multiple of weights + Adam state', { timeout: 300_000 }, async () => {
  // A short text and a tiny validation file: evaluation costs little next to the model's size.
  const text = 'a cat sat on a mat. a dog sat on a log. '.repeat(8);
  writeFileSync(join(dir, 'tiny.txt'), text);
  writeFileSync(join(dir, 'tiny-val.txt'), 'a cat sat on a log.');
  // Glorot: the orthogonal initialisation of 1600x6400 recurrent kernels alone takes minutes in JavaScript.
  const model = ['--hidden', '1600', '--layers', '2', '--init', 'glorot', '--lr', '0.001'];
  const quick = ['--seq', '2', '--batch', '1', '--val-file', 'tiny-val.txt', '--eval-interval', '100', '--sample-length', '4', '--backend', 'wasm', '--threads', '1'];

  const first = rnnLab(['train', 'tiny.txt', ...model, ...quick, '--steps', '1']);
  const params = Number(/params ([\d,]+)/.exec(first.stdout)![1].replace(/,/g, ''));
  assert.ok(params >= 30_000_000, `${params} parameters`);
  const last1 = join(runFolder(first.stdout), 'last.rnnlab');
  // Weights, best weights and Adam's two moments, float64: the file is the tensors, plus a small header.
  const stateBytes = 4 * 8 * params;
  assert.ok(statSync(last1).size < stateBytes + 2 ** 20, `${mib(statSync(last1).size)} for ${params} parameters`);

  // Resume for one more step: the run goes on in its folder, its last checkpoint now at step 2.
  const resumed = rnnLab(['train', '--resume', last1, '--steps', '2', '--eval-interval', '100', '--sample-length', '4', '--backend', 'wasm', '--threads', '1']);
  const last2 = join(runFolder(resumed.stdout), 'last.rnnlab');
  assert.equal(last2, last1);
  assert.equal((await readCheckpointSummary(last2)).step, 2);

  // The same two steps without the interruption give the very same weights: nothing was lost on the way through the file.
  const straightDir = join(dir, 'straight');
  const straight = rnnLab(['train', 'tiny.txt', ...model, ...quick, '--steps', '2', '--checkpoint-dir', straightDir]);
  const a = await loadCheckpoint(last2);
  let b = await loadCheckpoint(join(runFolder(straight.stdout), 'last.rnnlab'));
  assert.equal(a.params.length, params);
  assert.ok(Buffer.from(a.params.buffer).equals(Buffer.from(b.params.buffer)), 'resumed and straight weights are identical');
  assert.ok(Buffer.from(a.training!.optimizer.buffers[1].buffer).equals(Buffer.from(b.training!.optimizer.buffers[1].buffer)), 'and so is Adam\'s state');
  b = undefined as never;

  // sample and summary read the checkpoint back in another process.
  const sampled = rnnLab(['sample', '--checkpoint', last2, '--length', '5', '--backend', 'wasm']);
  assert.ok(sampled.stdout.length > 0);
  const summary = rnnLab(['summary', '--checkpoint', last2, '--json']);
  assert.equal(JSON.parse(summary.stdout).totalParams, params);

  // Bounded: a small multiple of weights + optimizer state (3 x 8 bytes a parameter), plus Node and the engine.
  // Measured (AMD EPYC, 1 thread): training 2.7x, resuming 3.5x (the loaded checkpoint, the live state and the
  // copies gathered to write one), sampling 0.6x, summary 0.3x. A JSON/base64 copy of the checkpoint would add
  // 4/3 of the file as one string (and fail above 512 MiB).
  const bound = 4 * 24 * params + 256 * 2 ** 20;
  const report = { first, resumed, sampled, summary };
  console.log(`      ${params.toLocaleString('en-US')} parameters, weights + Adam ${mib(24 * params)}: ${Object.entries(report)
    .map(([k, r]) => `${k} ${r.seconds.toFixed(1)} s, peak ${mib(r.peak)} (${(r.peak / (24 * params)).toFixed(2)}x)`).join('; ')}`);
  for (const [what, r] of Object.entries(report)) assert.ok(r.peak < bound, `${what}: peak RSS ${mib(r.peak)} over the bound ${mib(bound)}`);
  // Sampling and a summary need the weights alone (8 bytes a parameter), not Adam's state.
  const weightsBound = 2 * 8 * params + 256 * 2 ** 20;
  for (const [what, r] of Object.entries({ sampled, summary })) assert.ok(r.peak < weightsBound, `${what}: peak RSS ${mib(r.peak)} over the weights-only bound ${mib(weightsBound)}`);
});
