import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend, type ReferenceNetwork } from '../../src/engine/backends/reference';
import { CharTokenizer } from '../../src/engine/data/charTokenizer';
import { gradientFlow, stateGradientNorms } from '../../src/engine/labs/gradientFlow';
import { topHiddenSize, type CellType, type ModelSpec } from '../../src/engine/model/spec';
import { LabDesk } from '../../src/trainer/labs';
import { randomFill } from './support/batches';

const specOf = (cell: CellType, layers = 1, embeddingSize = 0): ModelSpec => ({
  cell, vocabSize: 7, hiddenSize: 5, layers, embeddingSize, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu',
});
const inputs = [1, 4, 2, 6, 3, 5, 0, 2];
const target = 3;

/**
 * ∂L_T/∂h_t by central differences: run the first t+1 inputs, perturb one unit of the top layer's
 * carried h (the cell state untouched), run the rest, and read the loss of the last prediction.
 */
function finiteDifferenceGradient(spec: ModelSpec, params: Float64Array, t: number): number[] {
  const net = createReferenceBackend('float64').createNetwork(spec) as ReferenceNetwork;
  net.params.set(params);
  const run = (ids: number[], last: boolean) => {
    const targets = new Int32Array(ids.length);
    const mask = new Float32Array(ids.length);
    if (last) {
      targets[ids.length - 1] = target;
      mask[ids.length - 1] = 1;
    }
    return net.evaluate({ batchSize: 1, steps: ids.length, inputs: Int32Array.from(ids), targets, mask }, { carryState: true });
  };
  net.resetState();
  run(inputs.slice(0, t + 1), false);
  const state = net.snapshotState()!;
  const top = spec.layers - 1;
  const eps = 1e-6;
  const gradient: number[] = [];
  for (let j = 0; j < topHiddenSize(spec); j++) {
    const loss = (delta: number) => {
      const moved = { ...state, h: state.h.map((h, l) => (l === top ? h.map((v, k) => (k === j ? v + delta : v)) : h.slice())) };
      net.restoreState(moved);
      return run(inputs.slice(t + 1), true).lossSum;
    };
    gradient.push((loss(eps) - loss(-eps)) / (2 * eps));
  }
  return gradient;
}

for (const [cell, layers, embedding] of [['rnn', 1, 0], ['gru', 2, 0], ['lstm', 2, 3], ['lstm', 1, 0]] as const) {
  test(`gradient flow: ‖∂L_T/∂h_t‖ of a ${layers}-layer ${cell} agrees with finite differences at every step`, () => {
    const spec = specOf(cell, layers, embedding);
    const net = createReferenceBackend('float64').createNetwork(spec);
    randomFill(net.params, 0.8, 11);
    const params = Float64Array.from(net.params);
    const norms = stateGradientNorms(spec, params, inputs, target);
    assert.equal(norms.length, inputs.length);
    // The last step's state has no future: its gradient comes from the output alone, and it is not zero.
    assert.ok(norms[inputs.length - 1] > 0);
    for (let t = 0; t < inputs.length - 1; t++) {
      const fd = finiteDifferenceGradient(spec, params, t);
      const fdNorm = Math.hypot(...fd);
      assert.ok(Math.abs(norms[t] - fdNorm) <= 1e-6 + 1e-5 * fdNorm, `step ${t}: backward ${norms[t]} vs finite differences ${fdNorm}`);
    }
  });
}

test('gradient flow: the model and fresh RNN, GRU and LSTM of its size; with seed 003\'s uniform initialisation the fresh RNN\'s gradient vanishes far faster than the LSTM\'s', () => {
  const vocab = CharTokenizer.fromText('the cat sat on the mat and the dog sat on the log', 96);
  const spec: ModelSpec = { ...specOf('gru'), vocabSize: vocab.size, hiddenSize: 16 };
  const net = createReferenceBackend('float64').createNetwork(spec);
  randomFill(net.params, 0.3, 5);
  const line = 'the cat sat on the mat and the dog sat on the log';
  const answer = gradientFlow(spec, net.params, vocab, line, 1, { kind: 'uniform' });
  assert.deepEqual(answer.curves.map((c) => c.label), ['this model', 'fresh RNN', 'fresh GRU', 'fresh LSTM']);
  assert.equal(answer.symbols, [...line].length - 1);
  assert.equal(answer.target, 'g');
  for (const c of answer.curves) assert.equal(c.norms.length, answer.symbols);
  const byCell = (label: string) => answer.curves.find((c) => c.label === label)!.norms;
  // How much of the gradient survives 40 steps back, relative to the last step.
  const kept = (norms: number[]) => norms[norms.length - 41] / norms[norms.length - 1];
  for (const c of answer.curves) assert.ok(Math.abs(c.perStep ** (answer.symbols - 1) - c.norms[0] / c.norms[answer.symbols - 1]) < 1e-6 * c.norms[0] / c.norms[answer.symbols - 1]);
  assert.ok(kept(byCell('fresh LSTM')) > 1000 * kept(byCell('fresh RNN')), `LSTM ${kept(byCell('fresh LSTM'))} vs RNN ${kept(byCell('fresh RNN'))}`);
});

test('gradient flow: the trainer answers the card on the model it holds; a line too short is a calm note', () => {
  const vocab = CharTokenizer.fromText('the cat sat on the mat\nthe dog ran\n', 96);
  const spec: ModelSpec = { ...specOf('lstm'), vocabSize: vocab.size, hiddenSize: 6 };
  const net = createReferenceBackend('float64').createNetwork(spec);
  randomFill(net.params, 1, 4);
  const model = { spec, vocab, backend: { name: 'reference', description: 'reference', threads: 1 }, createStepper: () => net.createStepper(1), seed: 9, params: net.params };
  const desk = new LabDesk({ send: () => {}, sendAndExit: () => {} });
  const answer = desk.answer(model, { kind: 'gradientFlow', line: 'the cat sat', lineNumber: 3 });
  assert.ok(answer.kind === 'gradientFlow', JSON.stringify(answer));
  assert.equal(answer.lineNumber, 3);
  assert.equal(answer.target, 't');
  assert.deepEqual(answer.curves[0].norms, stateGradientNorms(spec, net.params, Array.from(vocab.encode('the cat sa')), vocab.encode('t')[0]));
  const short = desk.answer(model, { kind: 'gradientFlow', line: 'a', lineNumber: 1 });
  assert.ok(short.kind === 'error' && /too short/.test(short.message));
  assert.equal(desk.answer(undefined, { kind: 'gradientFlow', line: 'the cat', lineNumber: 1 }).kind, 'error');
});

test('gradient flow chart: whole decades on the log axis; steps back until a hundredth', async () => {
  const { decadeRange } = await import('../../webview/shared/logChart');
  const { stepsToHundredth } = await import('../../webview/lab/gradientFlow');
  assert.deepEqual(decadeRange([0.003, 2.5, 0, -1, Infinity]), { min: -3, max: 1 });
  assert.deepEqual(decadeRange([10]), { min: 0, max: 2 });
  assert.deepEqual(decadeRange([]), { min: -1, max: 1 });
  assert.equal(stepsToHundredth([1e-5, 1e-3, 0.02, 0.5, 1]), 3);
  assert.equal(stepsToHundredth([0.5, 0.8, 1]), undefined);
});
