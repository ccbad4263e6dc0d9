import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rnnLab, samples } from './support/cli';
import { lastOfNewestRun } from './support/runs';
import { modelHeadline } from '../../src/engine/model/headline';
import { modelSummary } from '../../src/engine/model/summary';


const work = mkdtempSync(join(tmpdir(), 'rnnlab-summary-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

const seed004 = { cell: 'lstm' as const, vocabSize: 38, hiddenSize: 128, layers: 1, embeddingSize: 0, dropout: 0, hiddenDense: 128, hiddenActivation: 'relu' as const };

test('summary: the layers and parameter counts Keras prints for seed 004\'s model (LSTM 128, Dense 128, Dense 38)', () => {
  const s = modelSummary(seed004);
  assert.deepEqual(s.rows.map((r) => [r.name, r.type, r.outputShape, r.params]), [
    ['lstm', 'LSTM', [null, null, 128], 85504], ['dense', 'Dense', [null, null, 128], 16512], ['dense_1', 'Dense', [null, null, 38], 4902],
  ]);
  assert.equal(s.total, 106918);
  const gru = modelSummary({ ...seed004, cell: 'gru', layers: 2, hiddenSize: 256, embeddingSize: 32, hiddenDense: 0, vocabSize: 60 });
  assert.deepEqual(gru.rows.map((r) => [r.name, r.params]), [['embedding', 1920], ['gru', 222720], ['gru_1', 394752], ['dense', 15420]]);
  assert.equal(gru.rows.reduce((a, r) => a + r.params, 0), gru.total);
  assert.equal(modelHeadline({ ...seed004, layers: 2, hiddenSize: 256, hiddenDense: 0, vocabSize: 64 }), 'LSTM 2×256, 870,464 parameters — details: rnn-lab summary');
  assert.equal(modelHeadline({ ...seed004, cell: 'rnn', embeddingSize: 10 }), 'RNN 128 + Dense 128, embedding 10, 39,586 parameters — details: rnn-lab summary');
});

test('rnn-lab summary: a fresh model from train\'s flags, a checkpoint, and clear errors', () => {
  const fresh = rnnLab(['summary', '--vocab-size', '38', '--hidden-dense', '128'], work);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.match(fresh.stdout, /lstm \(LSTM\)\s+\(None, None, 128\)\s+85504/);
  assert.match(fresh.stdout, /dense_1 \(Dense\)\s+\(None, None, 38\)\s+4902/);
  assert.match(fresh.stdout, /Total params: 106,918/);

  const train = rnnLab(['train', join(samples, 'captions.txt'), '--mode', 'lines', '--hidden', '12', '--steps', '4', '--eval-interval', '2', '--batch', '8',
    '--sample-length', '10', '--backend', 'js', '--json', '--checkpoint-dir', 'ckpt'], work);
  assert.equal(train.code, 0, train.stderr);
  const evals = train.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((o) => o.type === 'eval');
  // The global gradient norm of the latest step, before clipping; none before the first step.
  assert.equal(evals[0].gradNorm, null);
  for (const e of evals.slice(1)) assert.ok(typeof e.gradNorm === 'number' && e.gradNorm > 0, JSON.stringify(e));
  const checkpoint = lastOfNewestRun(join(work, 'ckpt'), 'captions.txt');
  const json = JSON.parse(rnnLab(['summary', '--checkpoint', checkpoint, '--json'], work).stdout);
  const started = JSON.parse(train.stdout.split('\n')[0]);
  assert.equal(json.totalParams, started.params);
  assert.deepEqual(json.layers.map((l: { name: string }) => l.name), ['lstm', 'dense']);

  const none = rnnLab(['summary'], work);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^rnn-lab: summary needs --checkpoint FILE, --pytorch-weights DIR, --keras-weights FILE\.h5, a text FILE or --vocab-size N\n$/);
  assert.match(rnnLab(['summary', '--vocab-size', 'x'], work).stderr, /--vocab-size must be an integer/);

  // Lab Q1 and Q4 from the command line, through the cards' engine functions.
  const q1 = rnnLab(['lab', 'q1', '--checkpoint', checkpoint, '--json'], work);
  assert.equal(q1.code, 0, q1.stderr);
  const timing = JSON.parse(q1.stdout);
  assert.equal(timing.timing.stepsPerEpoch, started.stepsPerEpoch);
  assert.equal(timing.timing.stepsDone, 4);
  assert.ok(timing.timing.msPerStep > 0 && Math.abs(timing.timing.avgEpochMs - timing.timing.msPerStep * started.stepsPerEpoch) < 1e-6 * timing.timing.avgEpochMs);
  assert.ok(timing.hardware.cores > 0 && timing.hardware.cpuModel.length > 0);
  assert.match(rnnLab(['lab', 'q1', '--checkpoint', checkpoint], work).stdout, /^time per epoch: .*10 epochs: /);

  const q4 = rnnLab(['lab', 'q4', '--checkpoint', checkpoint, '--count', '3', '--json'], work);
  assert.equal(q4.code, 0, q4.stderr);
  const reset = JSON.parse(q4.stdout);
  assert.equal(reset.withReset.length, 3);
  assert.equal(reset.withoutReset.length, 3);
  // The first sentence of the chain starts from a fresh state too: no drift; later ones carry a state.
  assert.equal(reset.drift[0].totalVariation, 0);
  assert.ok(reset.drift[1].stateRms > 0);
  assert.equal(reset.withReset[0], reset.withoutReset[0]);
  assert.match(rnnLab(['lab', 'q4', '--checkpoint', checkpoint], work).stdout, /with reset_states\(\) before each sentence/);
  const bad = rnnLab(['lab', 'q7'], work);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown lab question "q7"/);
  assert.match(rnnLab(['--help'], work).stdout, /rnn-lab summary .*\n[^]*rnn-lab lab q1 --checkpoint FILE/);
});
