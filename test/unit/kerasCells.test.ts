import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend, type ReferenceNetwork } from '../../src/engine/backends/reference';
import { createBackendFor } from '../../src/engine/backends/select';
import type { CellType, ModelSpec } from '../../src/engine/model/spec';
import { assertGradientsMatch } from './support/gradcheck';
import { randomBatch, randomFill } from './support/batches';

// Keras 1 and multi-backend Keras 2 gate with hard_sigmoid; models read from their files keep it.
for (const cell of ['gru', 'lstm'] as CellType[]) {
  test(`hard_sigmoid gates: gradients match finite differences (${cell}, 2 layers, Dense hidden layer)`, () => {
    const spec: ModelSpec = { cell, vocabSize: 5, hiddenSize: 3, layers: 2, embeddingSize: 0, dropout: 0, hiddenDense: 4, hiddenActivation: 'tanh', recurrentActivation: 'hard_sigmoid' };
    const net = createReferenceBackend('float64').createNetwork(spec) as ReferenceNetwork;
    randomFill(net.params, 0.5, 7);
    const batch = randomBatch(2, 4, 5, 2, true);
    assertGradientsMatch(net, batch, { carryState: false }, 1 / 2);
    // It is a different function from the sigmoid network on the same weights.
    const sig = createReferenceBackend('float64').createNetwork({ ...spec, recurrentActivation: undefined });
    sig.params.set(net.params);
    assert.notEqual(sig.evaluate(batch, { carryState: false }).lossSum, net.evaluate(batch, { carryState: false }).lossSum);
  });
}

// Keras 1's GRU (and Keras 2's with reset_after=False) resets the state before the recurrent product.
for (const recurrentActivation of ['sigmoid', 'hard_sigmoid'] as const) {
  test(`reset_after=False GRU (${recurrentActivation}): gradients match finite differences, carried state, embedding, 2 layers`, () => {
    const spec: ModelSpec = { cell: 'gru', vocabSize: 5, hiddenSize: 3, layers: 2, embeddingSize: 2, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu', recurrentActivation, gruResetAfter: false };
    const net = createReferenceBackend('float64').createNetwork(spec) as ReferenceNetwork;
    randomFill(net.params, 0.6, 9);
    net.forwardBackward(randomBatch(2, 3, 5, 1), { carryState: false });
    const batch = randomBatch(2, 4, 5, 2, true);
    assertGradientsMatch(net, batch, { carryState: true }, 1 / 2);
    const after = createReferenceBackend('float64').createNetwork({ ...spec, gruResetAfter: true });
    after.params.set(net.params);
    assert.notEqual(after.evaluate(batch, { carryState: false }).lossSum, net.evaluate(batch, { carryState: false }).lossSum, 'a different cell');
  });
}

test('hard_sigmoid and reset_after=False models run on the TypeScript backend under auto, and the wasm backend refuses them', async () => {
  const spec: ModelSpec = { cell: 'lstm', vocabSize: 5, hiddenSize: 3, layers: 1, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu', recurrentActivation: 'hard_sigmoid' };
  const messages: string[] = [];
  const backend = await createBackendFor(spec, 'auto', 1, (_level, message) => messages.push(message));
  assert.equal(backend.info.name, 'js');
  assert.match(messages.join('\n'), /hard_sigmoid/);
  await assert.rejects(createBackendFor(spec, 'wasm', 1), /wasm backend cannot run this model \(hard_sigmoid.*try backend = js/);
  const resetBefore: ModelSpec = { ...spec, cell: 'gru', recurrentActivation: undefined, gruResetAfter: false };
  assert.equal((await createBackendFor(resetBefore, 'auto', 1)).info.name, 'js');
  await assert.rejects(createBackendFor(resetBefore, 'wasm', 1), /reset_after=False GRU/);
});
