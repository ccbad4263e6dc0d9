import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend, type ReferenceNetwork } from '../../src/engine/backends/reference';
import { hiddenActivations, type CellType, type ModelSpec } from '../../src/engine/model/spec';
import { assertGradientsMatch, gradCheck } from './support/gradcheck';
import { randomBatch, randomFill } from './support/batches';

const backend = createReferenceBackend('float64');

function tinyNetwork(spec: ModelSpec, seed: number): ReferenceNetwork {
  const net = backend.createNetwork(spec) as ReferenceNetwork;
  // Weights larger than the training init so every gate is away from its linear regime.
  randomFill(net.params, 0.8, seed);
  return net;
}

for (const cell of ['rnn', 'gru', 'lstm'] as CellType[]) {
  for (const embeddingSize of [0, 3]) {
    for (const layers of [1, 2]) {
      const name = `${cell}, ${embeddingSize ? 'embedding' : 'one-hot'}, ${layers} layer${layers > 1 ? 's' : ''}`;
      test(`gradients match finite differences: ${name}, masked, carried state`, () => {
        const spec: ModelSpec = { cell, vocabSize: 5, hiddenSize: 3, layers, embeddingSize, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' };
        const net = tinyNetwork(spec, 11 + layers);
        // A first pass leaves a non-zero state that the checked pass starts from.
        net.forwardBackward(randomBatch(2, 3, 5, 1), { carryState: false });
        const batch = randomBatch(2, 4, 5, 2, true);
        assertGradientsMatch(net, batch, { carryState: true }, 1 / 2);
      });
    }
  }
}

for (const cell of ['rnn', 'gru', 'lstm'] as CellType[]) {
  for (const hiddenActivation of hiddenActivations) {
    test(`gradients match finite differences: ${cell} + Dense hidden layer (${hiddenActivation}), embedding, 2 layers, masked, dropout`, () => {
      const spec: ModelSpec = { cell, vocabSize: 5, hiddenSize: 3, layers: 2, embeddingSize: 2, dropout: 0.2, hiddenDense: 4, hiddenActivation };
      const net = tinyNetwork(spec, 17);
      const layout = net.layout;
      // Positive Dense biases keep most ReLU units active, so their gradients are exercised.
      const bias = layout.byName.get('dense.bias')!;
      for (let i = 0; i < bias.size; i++) net.params[bias.offset + i] = 0.5 + 0.1 * i;
      assert.deepEqual(layout.byName.get('dense.kernel')?.shape, [3, 4]);
      assert.deepEqual(layout.byName.get('dense.bias')?.shape, [4]);
      assert.deepEqual(layout.byName.get('output.kernel')?.shape, [4, 5]);
      // The Dense layer sits after the recurrent layers and before the output.
      assert.equal(layout.slots.at(-3)?.name, 'dense.bias');
      net.forwardBackward(randomBatch(2, 3, 5, 1), { carryState: false });
      const batch = randomBatch(2, 4, 5, 2, true);
      assertGradientsMatch(net, batch, { carryState: true, train: true, dropoutSeed: 3 }, 1 / 2);
    });
  }
}

for (const cell of ['rnn', 'gru', 'lstm'] as CellType[]) {
  test(`gradients with dropout (fixed mask seed) match finite differences: ${cell}`, () => {
    const spec: ModelSpec = { cell, vocabSize: 5, hiddenSize: 4, layers: 2, embeddingSize: 0, dropout: 0.3, hiddenDense: 0, hiddenActivation: 'relu' };
    const net = tinyNetwork(spec, 5);
    const batch = randomBatch(2, 4, 5, 3);
    assertGradientsMatch(net, batch, { carryState: false, train: true, dropoutSeed: 42 });
    // The masks really drop units: another seed gives another loss.
    const a = net.forwardBackward(batch, { carryState: false, train: true, dropoutSeed: 42 }).lossSum;
    const b = net.forwardBackward(batch, { carryState: false, train: true, dropoutSeed: 43 }).lossSum;
    const plain = net.evaluate(batch, { carryState: false }).lossSum;
    assert.notEqual(a, b);
    assert.notEqual(a, plain);
  });
}

test('gradient check would catch a wrong gradient', () => {
  const spec: ModelSpec = { cell: 'lstm', vocabSize: 5, hiddenSize: 3, layers: 1, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' };
  const net = tinyNetwork(spec, 3);
  const batch = randomBatch(2, 4, 5, 9);
  const original = net.forwardBackward.bind(net);
  // Corrupt one gradient entry after each pass: the check must notice.
  net.forwardBackward = (b, o) => {
    const r = original(b, o);
    net.grads[7] *= 1.01;
    return r;
  };
  const result = gradCheck(net, batch, { carryState: false });
  assert.ok(result.maxRelativeError > 1e-3);
});

for (const cell of ['rnn', 'gru', 'lstm'] as CellType[]) {
  for (const embeddingSize of [0, 3]) {
    test(`gradients match finite differences: ${cell}, layers of 5 then 9 units, ${embeddingSize ? 'embedding' : 'one-hot'}, masked, carried state, dropout`, () => {
      const spec: ModelSpec = { cell, vocabSize: 6, hiddenSize: [5, 9], layers: 2, embeddingSize, dropout: 0.2, hiddenDense: 0, hiddenActivation: 'relu' };
      const net = tinyNetwork(spec, 23);
      // Layer 1 reads layer 0's 5 units; the output reads layer 1's 9.
      const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
      assert.deepEqual(net.layout.byName.get('l0.recurrent_kernel')?.shape, [5, G * 5]);
      assert.deepEqual(net.layout.byName.get('l1.kernel')?.shape, [5, G * 9]);
      assert.deepEqual(net.layout.byName.get('l1.recurrent_kernel')?.shape, [9, G * 9]);
      assert.deepEqual(net.layout.byName.get('output.kernel')?.shape, [9, 6]);
      net.forwardBackward(randomBatch(2, 3, 6, 1), { carryState: false });
      const state = net.getCarriedState()!;
      assert.equal(state.values.length, 2 * (cell === 'lstm' ? 2 : 1) * (5 + 9));
      const batch = randomBatch(2, 4, 6, 2, true);
      assertGradientsMatch(net, batch, { carryState: true, train: true, dropoutSeed: 7 }, 1 / 2);
    });
  }
  test(`gradients match finite differences: ${cell}, layers of 9 then 5 units + Dense hidden layer`, () => {
    const spec: ModelSpec = { cell, vocabSize: 5, hiddenSize: [9, 5], layers: 2, embeddingSize: 2, dropout: 0, hiddenDense: 4, hiddenActivation: 'tanh' };
    const net = tinyNetwork(spec, 29);
    assert.deepEqual(net.layout.byName.get('dense.kernel')?.shape, [5, 4]);
    const batch = randomBatch(2, 4, 5, 4, true);
    assertGradientsMatch(net, batch, { carryState: false }, 1 / 2);
  });
}
