// The pieces of a training step around the optimizer: learning-rate schedule, weight decay and
// clipping, the best weights and early stopping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultTrainConfig, type EvalMetrics, type TrainConfig } from '../../src/protocol/messages';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import { corpusFromText } from '../../src/engine/data/corpus';
import { paramLayout, type ModelSpec } from '../../src/engine/model/spec';
import { BestWeights } from '../../src/engine/train/bestWeights';
import { GradientProcessing } from '../../src/engine/train/regularisation';
import { LearningRateSchedule } from '../../src/engine/train/schedule';
import { TrainingRun } from '../../src/engine/train/run';

test('learning rate: decays once per epoch, halves when validation rises', () => {
  const s = new LearningRateSchedule(0.1, 0.5, true);
  assert.equal(s.atEpoch(0), 0.1);
  assert.equal(s.atEpoch(0), 0.1);
  assert.equal(s.atEpoch(2), 0.025);
  assert.equal(s.afterEvaluation(2.0, 2.1), false, 'a fall keeps the rate');
  assert.equal(s.afterEvaluation(2.2, 2.0), true);
  assert.equal(s.rate, 0.0125);
  const off = new LearningRateSchedule(0.1, 1, false);
  assert.equal(off.atEpoch(10), 0.1);
  assert.equal(off.afterEvaluation(3, 2), false);
});

test('weight decay on kernels and the embedding only; clipping by value, then by global norm', () => {
  const spec: ModelSpec = { cell: 'rnn', vocabSize: 3, hiddenSize: 2, layers: 1, embeddingSize: 2, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' };
  const layout = paramLayout(spec);
  const params = new Float64Array(layout.total).fill(2);
  const grads = new Float64Array(layout.total).fill(0.1);
  new GradientProcessing(layout, 0.01, 0, 0).apply(grads, params);
  for (const slot of layout.slots) {
    const expected = slot.name.endsWith('bias') ? 0.1 : 0.12;
    for (let i = slot.offset; i < slot.offset + slot.size; i++) assert.ok(Math.abs(grads[i] - expected) < 1e-12, `${slot.name}: ${grads[i]}`);
  }
  const g = Float64Array.of(5, -7, 0.5, 0);
  const norm = new GradientProcessing({ slots: [], total: 4, byName: new Map() }, 0, 1, 1).apply(g, new Float64Array(4));
  // Clamped to ±1 first (norm of [1, -1, 0.5, 0] = 1.5), then scaled to norm 1.
  assert.ok(Math.abs(norm - 1.5) < 1e-12);
  assert.deepEqual(Array.from(g, (x) => +x.toFixed(6)), [0.666667, -0.666667, 0.333333, 0]);
});

test('best weights: kept at each improvement; patience counts evaluations without one', () => {
  const best = new BestWeights(2);
  assert.equal(best.record(0, 3, Float64Array.of(1, 2)), true);
  assert.equal(best.record(10, 2.5, Float64Array.of(3, 4)), true);
  assert.equal(best.record(20, 2.6, Float64Array.of(5, 6)), false);
  assert.equal(best.shouldStop, false);
  assert.equal(best.record(25, 2.7, Float64Array.of(5, 6), false), false, 'an extra evaluation off the interval');
  assert.equal(best.shouldStop, false, 'does not count toward the patience');
  assert.equal(best.record(30, 2.5, Float64Array.of(7, 8)), false, 'equal is not better');
  assert.equal(best.shouldStop, true);
  assert.deepEqual(Array.from(best.weights!), [3, 4]);
  assert.equal(best.step, 10);
  assert.equal(new BestWeights(0).shouldStop, false);
});

test('a run stops early when validation stops improving, and keeps the best weights', async () => {
  const text = readFileSync(join(__dirname, '../../../samples/nonsense.txt'), 'utf8').slice(0, 5000);
  const corpus = corpusFromText(text, { maxVocab: 96, name: 'nonsense.txt' });
  // A learning rate far below float64 resolution: the weights never change, so validation never improves.
  const config: TrainConfig = { ...defaultTrainConfig, hiddenSize: 8, batchSize: 4, seqLength: 8, optimizer: 'sgd', learningRate: 1e-300, clipNorm: 0, earlyStop: 2, evalInterval: 2, steps: 100, sampleLength: 5 };
  const evals: EvalMetrics[] = [];
  const finished = await new TrainingRun({ runId: 'e', sourceName: 'n', text: corpus, config, backend: createReferenceBackend('float64'), events: { eval: (e) => evals.push(e) } }).run();
  assert.equal(finished.stoppedEarly, true);
  assert.equal(finished.step, 4);
  assert.equal(finished.bestStep, 0);
  assert.deepEqual(evals.map((e) => e.step), [0, 2, 4]);
  assert.match(finished.message, /Stopped early at step 4: validation did not improve for 2 evaluations\. Best validation [\d.]+ bits\/char at step 0/);
  assert.ok(evals.every((e) => e.bestStep === 0));
});
