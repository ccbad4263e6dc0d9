import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend, type ReferenceNetwork } from '../../src/engine/backends/reference';
import { createBackend, resolveThreads } from '../../src/engine/backends/select';
import { initParams } from '../../src/engine/model/init';
import { layerHiddenSize, paramLayout, stateSizePerRow, type ModelSpec } from '../../src/engine/model/spec';
import { UserInputError } from '../../src/engine/text/errors';
import { randomBatch, randomFill } from './support/batches';
import { withEnv } from './support/env';

const spec: ModelSpec = { cell: 'lstm', vocabSize: 7, hiddenSize: 5, layers: 2, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' };

test('initialisation is seeded; LSTM forget bias as set, other biases 0', () => {
  const layout = paramLayout(spec);
  const a = new Float64Array(layout.total);
  const b = new Float64Array(layout.total);
  const c = new Float64Array(layout.total);
  initParams(spec, a, 1);
  initParams(spec, b, 1);
  initParams(spec, c, 2);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const bias = layout.byName.get('l0.bias')!;
  const H = layerHiddenSize(spec, 0);
  for (let j = 0; j < 4 * H; j++) assert.equal(a[bias.offset + j], j >= H && j < 2 * H ? 1 : 0);
  initParams(spec, a, 1, { forgetBias: 2.5 });
  for (let j = 0; j < 4 * H; j++) assert.equal(a[bias.offset + j], j >= H && j < 2 * H ? 2.5 : 0);
  const gru = { ...spec, cell: 'gru' as const, embeddingSize: 3 };
  const g = new Float64Array(paramLayout(gru).total);
  initParams(gru, g, 1);
  const gruBias = paramLayout(gru).byName.get('l0.bias')!;
  assert.ok(g.subarray(gruBias.offset, gruBias.offset + gruBias.size).every((v) => v === 0));
});

test('initialisation schemes: glorot and uniform bounds, orthogonal recurrent rows, gaussian sd', () => {
  const s: ModelSpec = { ...spec, hiddenSize: 16, vocabSize: 30, hiddenDense: 8 };
  const layout = paramLayout(s);
  const p = new Float64Array(layout.total);
  const values = (name: string) => { const slot = layout.byName.get(name)!; return { slot, v: p.subarray(slot.offset, slot.offset + slot.size) }; };
  initParams(s, p, 3, { kind: 'glorot' });
  for (const name of ['l0.kernel', 'l1.recurrent_kernel', 'dense.kernel', 'output.kernel']) {
    const { slot, v } = values(name);
    const limit = Math.sqrt(6 / (slot.shape[0] + slot.shape[1]));
    assert.ok(v.every((x) => Math.abs(x) <= limit), name);
    assert.ok(Math.max(...v.map(Math.abs)) > 0.8 * limit, `${name} fills its range`);
  }
  initParams(s, p, 3, { kind: 'orthogonal' });
  const { v: U } = values('l1.recurrent_kernel');
  const cols = 4 * 16;
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j <= i; j++) {
      let dot = 0;
      for (let k = 0; k < cols; k++) dot += U[i * cols + k] * U[j * cols + k];
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-9, `rows ${i}, ${j}: ${dot}`);
    }
  }
  initParams(s, p, 3, { kind: 'uniform' });
  const { v: W0 } = values('l0.kernel');
  assert.ok(W0.every((x) => Math.abs(x) <= 1 / Math.sqrt(30)));
  const { v: U1 } = values('l1.recurrent_kernel');
  assert.ok(U1.every((x) => Math.abs(x) <= 1 / Math.sqrt(16)));
  initParams(s, p, 3, { kind: 'gaussian', scale: 0.005 });
  const { v: all } = values('l1.kernel');
  const sd = Math.sqrt(all.reduce((acc, x) => acc + x * x, 0) / all.length);
  assert.ok(Math.abs(sd - 0.005) < 0.0005, `sd ${sd}`);
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
    assert.equal(state.length, stateSizePerRow(s));
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
  // Without an NVIDIA driver (forced here, so the test means the same on a GPU machine): 'cuda'
  // is a clear error, and 'auto' uses the CPU and says why the GPU was not used.
  await withEnv({ RNN_LAB_CUDA_DRIVER: '/nonexistent/libcuda.so.1' }, async () => {
    const logs: string[] = [];
    const auto = await createBackend('auto', 1, (_level, message) => logs.push(message));
    assert.ok(['wasm', 'js'].includes(auto.info.name));
    assert.match(auto.info.description, /\(GPU not used: no NVIDIA driver\)$/);
    assert.match(logs[0], /^GPU not used: no NVIDIA driver: could not load \/nonexistent\/libcuda\.so\.1 .*; using the WebAssembly SIMD backend\.$/);
    auto.dispose();
    await assert.rejects(createBackend('cuda', 1), (e: Error) => e instanceof UserInputError && /GPU not used: no NVIDIA driver/.test(e.message));
  });
  assert.equal(resolveThreads(3), 3);
  assert.ok(resolveThreads(0) >= 1);
});
