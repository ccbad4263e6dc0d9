import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend, type ReferenceNetwork } from '../../src/engine/backends/reference';
import { createBackend, resolveThreads } from '../../src/engine/backends/select';
import { initParams } from '../../src/engine/model/init';
import { paramLayout, type ModelSpec } from '../../src/engine/model/spec';
import { UserInputError } from '../../src/engine/text/errors';
import { randomBatch, randomFill } from './helpers/batches';

const spec: ModelSpec = { cell: 'lstm', vocabSize: 7, hiddenSize: 5, layers: 2, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' };

test('initialisation is seeded, bounded by 1/sqrt(H), with LSTM forget bias 1', () => {
  const layout = paramLayout(spec);
  const a = new Float64Array(layout.total);
  const b = new Float64Array(layout.total);
  const c = new Float64Array(layout.total);
  initParams(spec, a, 1);
  initParams(spec, b, 1);
  initParams(spec, c, 2);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const bound = 1 / Math.sqrt(spec.hiddenSize);
  const kernel = layout.byName.get('l1.recurrent_kernel')!;
  for (let i = kernel.offset; i < kernel.offset + kernel.size; i++) assert.ok(Math.abs(a[i]) <= bound);
  const bias = layout.byName.get('l0.bias')!;
  const H = spec.hiddenSize;
  for (let j = 0; j < 4 * H; j++) assert.equal(a[bias.offset + j], j >= H && j < 2 * H ? 1 : 0);
  const gru = { ...spec, cell: 'gru' as const, embeddingSize: 3 };
  const g = new Float64Array(paramLayout(gru).total);
  initParams(gru, g, 1);
  const gruBias = paramLayout(gru).byName.get('l0.bias')!;
  assert.ok(g.subarray(gruBias.offset, gruBias.offset + gruBias.size).every((v) => v === 0));
});

test('float32 backend agrees with float64 on the same weights', () => {
  for (const cell of ['rnn', 'gru', 'lstm'] as const) {
    const s = { ...spec, cell };
    const n64 = createReferenceBackend('float64').createNetwork(s);
    const n32 = createReferenceBackend('float32').createNetwork(s);
    randomFill(n64.params, 0.5, 4);
    n32.params.set(n64.params);
    const batch = randomBatch(3, 6, s.vocabSize, 5);
    const l64 = n64.forwardBackward(batch, { carryState: false });
    const l32 = n32.forwardBackward(batch, { carryState: false });
    assert.ok(Math.abs(l64.lossSum - l32.lossSum) / l64.lossSum < 1e-5, `${cell} loss`);
    let maxErr = 0;
    let maxG = 0;
    for (let i = 0; i < n64.grads.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(n64.grads[i] - n32.grads[i]));
      maxG = Math.max(maxG, Math.abs(n64.grads[i]));
    }
    assert.ok(maxErr / maxG < 1e-4, `${cell} gradients differ by ${maxErr / maxG}`);
  }
});

test('carried state: two halves with carryState equal one long pass', () => {
  const net = createReferenceBackend('float64').createNetwork(spec);
  randomFill(net.params, 0.5, 8);
  const full = randomBatch(2, 8, spec.vocabSize, 9);
  const half = (from: number) => {
    const inputs = new Int32Array(8);
    const targets = new Int32Array(8);
    for (let b = 0; b < 2; b++) for (let t = 0; t < 4; t++) {
      inputs[b * 4 + t] = full.inputs[b * 8 + from + t];
      targets[b * 4 + t] = full.targets[b * 8 + from + t];
    }
    return { batchSize: 2, steps: 4, inputs, targets };
  };
  const whole = net.evaluate(full, { carryState: false }).lossSum;
  const first = net.evaluate(half(0), { carryState: false }).lossSum;
  const second = net.evaluate(half(4), { carryState: true }).lossSum;
  assert.ok(Math.abs(whole - (first + second)) < 1e-10);
  // Without the carried state the second half is scored from zeros: a different loss.
  net.evaluate(half(0), { carryState: false });
  net.resetState();
  const fresh = net.evaluate(half(4), { carryState: true }).lossSum;
  assert.ok(Math.abs(fresh - second) > 1e-6);
});

test('stepper reproduces the network forward pass and exposes its state', () => {
  for (const cell of ['rnn', 'gru', 'lstm'] as const) {
    const s = { ...spec, cell, embeddingSize: 4 };
    const net = createReferenceBackend('float64').createNetwork(s);
    randomFill(net.params, 0.5, 10);
    const batch = randomBatch(1, 6, s.vocabSize, 11);
    const expected = net.evaluate(batch, { carryState: false }).lossSum;
    const stepper = net.createStepper(1);
    let loss = 0;
    for (let t = 0; t < 6; t++) {
      const logits = stepper.step(Int32Array.of(batch.inputs[t]));
      const max = Math.max(...logits);
      const lse = max + Math.log(logits.reduce((acc, z) => acc + Math.exp(z - max), 0));
      loss += lse - logits[batch.targets[t]];
    }
    assert.ok(Math.abs(loss - expected) < 1e-5, `${cell}: stepper ${loss} vs network ${expected}`);
    const state = stepper.getState();
    assert.equal(state.length, s.layers * (cell === 'lstm' ? 2 : 1) * s.hiddenSize);
    const next = Array.from(stepper.step(Int32Array.of(1)));
    stepper.setState(state);
    // The state travels as float32, so the replay agrees to float32 precision.
    const replay = stepper.step(Int32Array.of(1));
    next.forEach((z, k) => assert.ok(Math.abs(z - replay[k]) < 1e-5));
    stepper.reset();
    assert.ok(stepper.getState().every((v) => v === 0));
  }
});

test('a mask removes positions from the loss and the count', () => {
  const net = createReferenceBackend('float64').createNetwork(spec) as ReferenceNetwork;
  randomFill(net.params, 0.5, 12);
  const batch = randomBatch(2, 4, spec.vocabSize, 13);
  const all = net.evaluate(batch, { carryState: false });
  const mask = new Float32Array(8).fill(1);
  mask[3] = 0;
  mask[7] = 0;
  const masked = net.evaluate({ ...batch, mask }, { carryState: false });
  assert.equal(all.count, 8);
  assert.equal(masked.count, 6);
  assert.ok(masked.lossSum < all.lossSum);
  assert.throws(() => net.evaluate({ ...batch, inputs: Int32Array.of(0, 1, 2, 99, 0, 0, 0, 0) }, { carryState: false }), RangeError);
});

test('createBackend picks the requested backend and explains what is unavailable', async () => {
  assert.equal((await createBackend('reference', 1)).info.name, 'reference');
  assert.equal((await createBackend('js', 1)).info.name, 'js');
  const auto = await createBackend('auto', 1);
  assert.ok(['wasm', 'js'].includes(auto.info.name));
  await assert.rejects(createBackend('tfjs', 1), (e: Error) => e instanceof UserInputError && /TensorFlow\.js/.test(e.message));
  assert.equal(resolveThreads(3), 3);
  assert.ok(resolveThreads(0) >= 1);
});
