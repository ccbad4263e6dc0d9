import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import { nodeAt, readHdf5, writeHdf5 } from '../../src/engine/model/io/hdf5';
import { kerasTreeFromModel } from '../../src/engine/model/io/keras';
import { loadWeights, seed004Symbols, type LoadedModel } from '../../src/engine/model/io/load';
import { softmax } from '../../src/engine/sample/sampler';
import { UserInputError } from '../../src/engine/text/errors';
import { kerasForward, randomNet, writeKerasFile, type KerasNet, type Layout } from './support/kerasFiles';

const dir = mkdtempSync(join(tmpdir(), 'rnnlab-keras-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const V = 7;
const symbols = ['a', 'b', 'c', ' ', 'd', 'S', 'E'];
const vocabPath = join(dir, 'vocab.json');
writeFileSync(vocabPath, JSON.stringify(symbols));
const ids = [5, 0, 1, 3, 2, 4, 0, 0, 6, 1];

/** Our id of each of the Keras model's ids (its S and E are our ⟨s⟩ and ⟨/s⟩). */
function ourIds(model: LoadedModel, kerasSymbols: string[]): number[] {
  const n = kerasSymbols.length;
  return kerasSymbols.map((s, k) => model.tokenizer.symbols.indexOf(k === n - 2 && s === 'S' ? '⟨s⟩' : k === n - 1 && s === 'E' ? '⟨/s⟩' : s));
}

/**
 * Next-symbol probabilities after each Keras id, in Keras' id order, through our reference backend
 * (float64) on the loaded model; also checks that the ⟨unk⟩ the loader adds is never predicted.
 */
function ourForward(model: LoadedModel, input: number[], kerasSymbols = symbols): number[][] {
  const net = createReferenceBackend('float64').createNetwork(model.spec);
  net.params.set(model.params);
  const stepper = net.createStepper(1);
  stepper.reset();
  const map = ourIds(model, kerasSymbols);
  assert.ok(map.every((id) => id > 0), 'every Keras symbol has one of our ids');
  return input.map((id) => {
    const p = softmax(stepper.step(Int32Array.of(map[id])), 0, model.spec.vocabSize, new Float64Array(model.spec.vocabSize));
    assert.equal(p[0], 0, '⟨unk⟩ is never predicted');
    return map.map((ours) => p[ours]);
  });
}

function assertClose(ours: number[][], theirs: number[][], tol: number, what: string): void {
  let worst = 0;
  ours.forEach((row, t) => row.forEach((p, k) => (worst = Math.max(worst, Math.abs(p - theirs[t][k])))));
  assert.ok(worst < tol, `${what}: largest probability difference ${worst}`);
}

let fileCount = 0;
async function roundTrip(net: KerasNet, layout: Layout, options: { timeDistributed?: boolean; modelConfig?: boolean } = {}, load: Parameters<typeof loadWeights>[1] = {}): Promise<LoadedModel> {
  const path = join(dir, `m${fileCount++}.h5`);
  await writeKerasFile(path, net, layout, options);
  return loadWeights(path, { vocab: vocabPath, ...load });
}

const cases: Array<{ cell: KerasNet['cell']; resetAfter?: boolean; layouts: Layout[] }> = [
  { cell: 'lstm', layouts: ['tfkeras2', 'tfkeras2-full', 'keras1.0', 'keras1.1', 'keras3'] },
  { cell: 'gru', layouts: ['tfkeras2', 'tfkeras2-full', 'keras3'] },
  // Keras 1's GRU and Keras 2's reset_after=False: the reset gate before the recurrent product.
  { cell: 'gru', resetAfter: false, layouts: ['tfkeras2', 'tfkeras2-full', 'keras1.0', 'keras1.1', 'keras3'] },
  { cell: 'rnn', layouts: ['tfkeras2', 'tfkeras2-full', 'keras1.0', 'keras1.1', 'keras3'] },
];

for (const { cell, resetAfter, layouts } of cases) {
  for (const layout of layouts) {
    const name = `${cell}${resetAfter === false ? ' (reset_after=False)' : ''}`;
    test(`${name} in the ${layout} layout: forward probabilities match an independent computation to 1e-6`, async () => {
      // Two layers, an embedding (one-hot for Keras 1) and a hidden Dense layer where the file can say its activation.
      const keras1 = layout.startsWith('keras1');
      const gateActivation = keras1 ? 'hard_sigmoid' : 'sigmoid';
      const net = randomNet({ cell, V, E: keras1 ? 0 : 3, H: 5, layers: 2, D: 4, hiddenActivation: 'tanh', gateActivation, resetAfter }, 11 + fileCount);
      const model = await roundTrip(net, layout, {}, { hiddenActivation: 'tanh' });
      assert.equal(model.kind, 'keras');
      assert.equal(model.spec.cell, cell);
      assert.equal(model.spec.layers, 2);
      assert.equal(model.spec.hiddenDense, 4);
      assert.equal(model.spec.hiddenActivation, 'tanh');
      assert.equal(model.spec.recurrentActivation ?? 'sigmoid', cell === 'rnn' ? 'sigmoid' : gateActivation);
      assert.equal(model.spec.gruResetAfter ?? true, resetAfter ?? true);
      assertClose(ourForward(model, ids), kerasForward(net, ids), 1e-6, `${name} ${layout}`);
    });
  }
}

test("seed 004's model (LSTM 128, TimeDistributed Dense 128 + relu, Dense V + softmax) in Keras 1.x and tf.keras 2 layouts", async () => {
  const net = randomNet({ cell: 'lstm', V: 38, E: 0, H: 128, layers: 1, D: 128, hiddenActivation: 'relu', gateActivation: 'hard_sigmoid' }, 4, 0.2);
  const seedIds = [36, 0, 1, 15, 17, 6, 5, 6, 7, 3];
  const vocab38 = join(dir, 'vocab38.json');
  // Seed 004's printed char2id, in id order.
  const seedSymbols = [...'a veryclndwotmpbhifksugzqjx254390617SE'];
  writeFileSync(vocab38, JSON.stringify(seedSymbols));
  for (const [layout, config] of [['keras1.0', false], ['keras1.0', true], ['keras1.1', false], ['tfkeras2', true]] as const) {
    const n = layout === 'tfkeras2' ? { ...net, gateActivation: 'sigmoid' as const } : net;
    const path = join(dir, `seed004-${layout}-${config}.h5`);
    await writeKerasFile(path, n, layout, { timeDistributed: true, modelConfig: config });
    const model = await loadWeights(path, { vocab: vocab38 });
    // The seed prints 106,918 parameters; the added ⟨unk⟩ brings an input row (4·128) and an output column (128 + 1).
    assert.equal(model.params.length, 106918 + 512 + 129);
    assert.equal(model.tokenizer.startId, 1);
    assert.equal(model.tokenizer.endId, 2);
    assert.equal(model.tokenizer.symbols[3], 'a', "the seed's id 0");
    // Without model_config the file does not say the hidden activation: relu is assumed and said.
    assert.equal(model.notes.some((note) => /--hidden-activation/.test(note)), !config);
    assertClose(ourForward(model, seedIds, seedSymbols), kerasForward(n, seedIds), 1e-6, `seed 004 ${layout}`);
  }
});

test('export writes the tf.keras 2 layout that reads back to the same weights, names and shapes', async () => {
  const net = randomNet({ cell: 'gru', V, E: 3, H: 4, layers: 2, D: 5, hiddenActivation: 'relu', gateActivation: 'sigmoid' }, 3);
  const model = await roundTrip(net, 'keras3', {}, { hiddenActivation: 'relu' });
  const out = join(dir, 'exported.h5');
  await writeHdf5(out, kerasTreeFromModel(model.spec, model.params, model.tokenizer.symbols));
  const tree = await readHdf5(out);
  assert.deepEqual(tree.attrs.layer_names, ['embedding', 'gru', 'gru_1', 'dense', 'dense_1']);
  const shapes: Record<string, number[]> = {};
  const walk = (g: typeof tree, prefix: string) => {
    for (const [name, node] of g.children) node.kind === 'group' ? walk(node, `${prefix}${name}/`) : (shapes[`${prefix}${name}`] = node.shape);
  };
  walk(tree, '');
  assert.deepEqual(shapes, {
    'embedding/embedding/embeddings:0': [8, 3],
    'gru/gru/gru_cell/kernel:0': [3, 12],
    'gru/gru/gru_cell/recurrent_kernel:0': [4, 12],
    'gru/gru/gru_cell/bias:0': [2, 12],
    'gru_1/gru_1/gru_cell_1/kernel:0': [4, 12],
    'gru_1/gru_1/gru_cell_1/recurrent_kernel:0': [4, 12],
    'gru_1/gru_1/gru_cell_1/bias:0': [2, 12],
    'dense/dense/kernel:0': [4, 5],
    'dense/dense/bias:0': [5],
    'dense_1/dense_1/kernel:0': [5, 8],
    'dense_1/dense_1/bias:0': [8],
  });
  const back = await loadWeights(out);
  assert.deepEqual(back.spec, model.spec);
  assert.deepEqual(back.tokenizer.symbols, model.tokenizer.symbols, 'the vocabulary travels in the file');
  assert.deepEqual(Array.from(back.params), Array.from(Float32Array.from(model.params)));
  assertClose(ourForward(back, ids), kerasForward(net, ids), 1e-6, 'exported');
});

for (const cell of ['lstm', 'gru', 'rnn'] as const) {
  test(`${cell} layers of different sizes (as seed 003's 128 then 512, here 4 then 9) read, run and export back to the same model`, async () => {
    const net = randomNet({ cell, V, E: 0, H: 4, sizes: [4, 9], layers: 2, D: 0, hiddenActivation: 'relu', gateActivation: 'sigmoid' }, 5);
    const model = await roundTrip(net, 'tfkeras2');
    assert.deepEqual(model.spec.hiddenSize, [4, 9]);
    const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
    const layout = createReferenceBackend('float64').createNetwork(model.spec).layout;
    assert.deepEqual(layout.byName.get('l1.kernel')?.shape, [4, G * 9]);
    assert.deepEqual(layout.byName.get('output.kernel')?.shape, [9, model.spec.vocabSize]);
    assertClose(ourForward(model, ids), kerasForward(net, ids), 1e-6, `${cell} 4, 9`);
    const out = join(dir, `sizes-${cell}.h5`);
    await writeHdf5(out, kerasTreeFromModel(model.spec, model.params, model.tokenizer.symbols));
    const tree = await readHdf5(out);
    const name = cell === 'rnn' ? 'simple_rnn' : cell;
    const config = JSON.parse(String(tree.attrs.model_config)) as { config: { layers: Array<{ config: { units?: number } }> } };
    assert.deepEqual(config.config.layers.map((l) => l.config.units).filter((u) => u !== undefined), [4, 9, model.spec.vocabSize]);
    const kernel = nodeAt(tree, `${name}_1/${name}_1/${name}_cell_1/kernel:0`);
    assert.ok(kernel?.kind === 'dataset', 'the second layer\'s kernel');
    assert.deepEqual(kernel.shape, [4, G * 9]);
    const back = await loadWeights(out);
    assert.deepEqual(back.spec, model.spec);
    assert.deepEqual(Array.from(back.params), Array.from(Float32Array.from(model.params)));
    assertClose(ourForward(back, ids), kerasForward(net, ids), 1e-6, `${cell} 4, 9 exported`);
  });
}

test('mismatches name the layer, the dataset and both shapes; unsupported layers name themselves', async () => {
  const net = randomNet({ cell: 'lstm', V, E: 0, H: 4, layers: 1, D: 0, hiddenActivation: 'relu', gateActivation: 'sigmoid' }, 5);
  // A recurrent kernel one column short.
  const bad = join(dir, 'bad.h5');
  await writeKerasFile(bad, net, 'tfkeras2');
  await writeHdf5(bad, {
    kind: 'group',
    attrs: { layer_names: ['lstm', 'dense'] },
    children: [
      ['lstm', { kind: 'group', attrs: { weight_names: ['lstm/lstm_cell/kernel:0', 'lstm/lstm_cell/recurrent_kernel:0', 'lstm/lstm_cell/bias:0'] }, children: [['lstm', { kind: 'group', children: [['lstm_cell', { kind: 'group', children: [
        ['kernel:0', { kind: 'dataset', shape: [V, 16], values: new Float32Array(V * 16) }],
        ['recurrent_kernel:0', { kind: 'dataset', shape: [4, 16], values: new Float32Array(64) }],
        ['bias:0', { kind: 'dataset', shape: [15], values: new Float32Array(15) }],
      ] }]] }]] }],
      ['dense', { kind: 'group', attrs: { weight_names: ['dense/kernel:0', 'dense/bias:0'] }, children: [['dense', { kind: 'group', children: [
        ['kernel:0', { kind: 'dataset', shape: [4, V], values: new Float32Array(4 * V) }],
        ['bias:0', { kind: 'dataset', shape: [V], values: new Float32Array(V) }],
      ] }]] }],
    ],
  });
  await assert.rejects(loadWeights(bad, { vocab: vocabPath }), (e: Error) => e instanceof UserInputError && /layer lstm: dataset lstm\/lstm_cell\/bias:0 has shape \[15\], expected \[16\]/.test(e.message), 'shape mismatch');

  const conv = join(dir, 'conv.h5');
  await writeHdf5(conv, {
    kind: 'group',
    attrs: { model_config: JSON.stringify({ class_name: 'Sequential', config: { layers: [{ class_name: 'Conv1D', config: { name: 'conv1d' } }] } }) },
    children: [['model_weights', { kind: 'group', attrs: { layer_names: ['conv1d'] }, children: [['conv1d', { kind: 'group', attrs: { weight_names: ['conv1d/kernel:0'] }, children: [['conv1d', { kind: 'group', children: [['kernel:0', { kind: 'dataset', shape: [3, 7, 4], values: new Float32Array(84) }]] }]] }]] }]],
  });
  await assert.rejects(loadWeights(conv, { vocab: vocabPath }), /layer conv1d \(Conv1D\) is not supported/);

  // A vocabulary of the wrong size names both sizes.
  const ok = join(dir, 'ok.h5');
  await writeKerasFile(ok, net, 'tfkeras2');
  const small = join(dir, 'small.json');
  writeFileSync(small, JSON.stringify(['a', 'b', 'c']));
  await assert.rejects(loadWeights(ok, { vocab: small }), /has 3 symbols but .* has 7 outputs/);
  // No vocabulary at all: a message that says how to give one.
  await assert.rejects(loadWeights(ok), (e: Error & { needsVocabulary?: boolean }) => e.needsVocabulary === true && /--vocab FILE/.test(e.message));
  // Not HDF5, not a checkpoint.
  const text = join(dir, 'notes.h5');
  writeFileSync(text, 'hello');
  await assert.rejects(loadWeights(text), /notes\.h5 is (not (a usable )?an?|neither an) RNN Lab checkpoint/);
});

test('a reset_after=False GRU exports as one [3H] bias and reads back as the same cell; --gru-reset-after must agree with the file', async () => {
  const net = randomNet({ cell: 'gru', V, E: 0, H: 4, layers: 1, D: 0, hiddenActivation: 'relu', gateActivation: 'hard_sigmoid', resetAfter: false }, 6);
  const model = await roundTrip(net, 'keras1.1');
  const out = join(dir, 'reset-before.h5');
  await writeHdf5(out, kerasTreeFromModel(model.spec, model.params, model.tokenizer.symbols));
  const tree = await readHdf5(out);
  const bias = nodeAt(tree, 'gru/gru/gru_cell/bias:0');
  assert.ok(bias?.kind === 'dataset');
  assert.deepEqual(bias.shape, [12]);
  const back = await loadWeights(out);
  assert.equal(back.spec.gruResetAfter, false);
  assert.equal(back.spec.recurrentActivation, 'hard_sigmoid');
  assertClose(ourForward(back, ids), kerasForward(net, ids), 1e-6, 'reset_after=False exported');
  await assert.rejects(roundTrip(net, 'keras1.1', {}, { gruResetAfter: true }), /--gru-reset-after true disagrees with layer gru_2, whose weights say reset_after=false/);
});

test("the seed 004 vocabulary: characters by first appearance, then S and E", async () => {
  assert.deepEqual(seed004Symbols('a cat\nthe dog\n'), ['a', ' ', 'c', 't', 'h', 'e', 'd', 'o', 'g']);
  const text = join(dir, 'captions.txt');
  writeFileSync(text, 'abc d\nda\n');
  const net = randomNet({ cell: 'rnn', V, E: 0, H: 3, layers: 1, D: 0, hiddenActivation: 'relu', gateActivation: 'sigmoid' }, 8);
  const model = await roundTrip(net, 'tfkeras2', {}, { vocab: undefined, vocabText: text });
  assert.deepEqual(model.tokenizer.symbols, ['⟨unk⟩', '⟨s⟩', '⟨/s⟩', 'a', 'b', 'c', ' ', 'd']);
  assert.deepEqual(Array.from(model.tokenizer.encode('dz')), [7, 0]);
  assertClose(ourForward(model, ids), kerasForward(net, ids), 1e-6, 'vocabulary from a text');
});
