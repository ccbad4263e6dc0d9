import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import { createBackend, resolveThreads } from '../../src/engine/backends/select';
import { backendRegistry, runsOnGpu } from '../../src/engine/backends/registry';
import { initParams } from '../../src/engine/model/init';
import { layerHiddenSize, paramLayout, type ModelSpec } from '../../src/engine/model/spec';
import { UserInputError } from '../../src/engine/text/errors';
import { describeBackendConformance } from './support/backendConformance';
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

// The TypeScript backends run the checks every backend passes: float64 (against itself, which
// still checks carried state, masks, steppers, dropout and resuming on float32) and float32.
describeBackendConformance('reference (float64)', {
  open: () => [createReferenceBackend('float64')],
  full: true,
  resume: { otherName: 'js', other: () => createReferenceBackend('float32'), steps: 4 },
});
describeBackendConformance('js (float32)', {
  open: () => [createReferenceBackend('float32')],
  full: true,
  resume: { otherName: 'reference', other: () => createReferenceBackend('float64'), steps: 4 },
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

test('the backend registry: one entry per name; auto always ends on a backend that runs everywhere; the timing card\'s GPU line follows the kinds', async () => {
  const names = backendRegistry.map((entry) => entry.name);
  assert.deepEqual([...new Set(names)], names);
  const auto = backendRegistry.filter((entry) => entry.auto);
  const last = auto[auto.length - 1];
  assert.equal(last.kind, 'cpu');
  assert.equal(await last.probe({ threads: 1 }), undefined, `${last.name} is what 'auto' falls back to last: it must run anywhere`);
  assert.ok(backendRegistry.some((entry) => entry.kind === 'cpu' && entry.auto && entry.everyModel), 'a model only the TypeScript backends compute needs an auto CPU backend that computes every model');
  for (const entry of backendRegistry) {
    assert.equal(runsOnGpu(entry.name), entry.kind === 'gpu', entry.name);
  }
});
