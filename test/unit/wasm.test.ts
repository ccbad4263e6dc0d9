// The WebAssembly backend, for each build of the kernels (plain SIMD128 and relaxed SIMD) with
// their own matrix products, and with the native products (AVX2 / AVX-512, Linux x86-64): the
// backend conformance suite (support/backendConformance.ts: parity with the float64 reference,
// masks, carried state, steppers, dropout, resume on another backend), and what only this backend
// has: kernel tiles, thread-count invariance (1 to 16 threads, whatever the core count), the
// kernels' own optimizer update and dropout hash. Needs `npm run build` (dist/kernels.wasm; dist/kernels-relaxed.wasm when
// clang-16 is installed, else those tests are skipped and say why; dist/products-linux-x64.so).
import { availableParallelism } from 'node:os';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import type { Backend, FloatArray, Network, TokenBatch } from '../../src/engine/backends/types';
import { createWasmBackend, wasmUnavailableReason, type KernelsVariant, type WasmBackendOptions } from '../../src/engine/backends/wasm';
import { nativeProductsUnavailableReason, nativeProductsWidth } from '../../src/engine/backends/wasm/native';
import { createSharedMemory, instantiate, kernelsModule, kernelsUnavailableReason } from '../../src/engine/backends/wasm/runtime';
import type { CellType, ModelSpec } from '../../src/engine/model/spec';
import { Rng } from '../../src/engine/random';
import { assertClose, relError } from './support/compare';
import { describeBackendConformance } from './support/backendConformance';
import { clipGlobalNorm } from '../../src/engine/optim/clip';
import { Adam, createOptimizer, type OptimizerName } from '../../src/engine/optim/optimizers';

const reference = createReferenceBackend('float64');

function spec(cell: CellType, layers: number, embeddingSize: number, extra: Partial<ModelSpec> = {}): ModelSpec {
  return { cell, vocabSize: 11, hiddenSize: 6, layers, embeddingSize, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu', ...extra };
}

function randomBatch(rng: Rng, B: number, T: number, V: number, masked: boolean): TokenBatch {
  const inputs = Int32Array.from({ length: B * T }, () => rng.int(V));
  const targets = Int32Array.from({ length: B * T }, () => rng.int(V));
  // Padded rows: each row counts only its first few steps (as in lines mode).
  const mask = masked ? Float32Array.from({ length: B * T }, (_, i) => (i % T < T - (Math.floor(i / T) % 3) ? 1 : 0)) : undefined;
  return { batchSize: B, steps: T, inputs, targets, mask };
}

/** Random weights of a useful size everywhere (biases included), identical in both networks. */
function sameRandomWeights(a: Network, b: Network, seed: number): void {
  const rng = new Rng(seed);
  for (let i = 0; i < a.params.length; i++) a.params[i] = rng.uniform(-0.6, 0.6);
  b.params.set(a.params);
  a.params.set(b.params); // both now hold the float32-rounded values
}

/** What a backend's description says of its products. */
function productsNote(native: boolean): string {
  return native ? ` with native ${nativeProductsWidth()} products` : '';
}

/** Native products are built for Linux x86-64; there they must load (the build makes them). */
const nativeSkip = process.platform === 'linux' && process.arch === 'x64' ? false : `native products are for Linux x86-64, not ${process.platform}-${process.arch}`;

describe('wasm backend: choosing the kernels', () => {
  it('runs at all (the plain build is always there)', () => {
    const reason = wasmUnavailableReason();
    assert.equal(reason, undefined, `the WebAssembly kernels are not usable: ${reason}`);
  });

  it('prefers the relaxed-SIMD build where this runtime has it, and says which it uses', async () => {
    const relaxedReason = kernelsUnavailableReason('relaxed');
    const backend = await createWasmBackend(2);
    try {
      const native = nativeProductsUnavailableReason() === undefined;
      const expected = `WebAssembly SIMD${relaxedReason ? '' : ' (relaxed FMA)'}${productsNote(native)}, 2 threads`;
      assert.equal(backend.info.description, expected, relaxedReason ?? '');
    } finally {
      backend.dispose();
    }
    const plain = await createWasmBackend(1, { kernels: 'plain', nativeProducts: false });
    assert.equal(plain.info.description, 'WebAssembly SIMD, 1 thread');
    plain.dispose();
  });

  it('runs its matrix products natively on Linux x86-64, and says at which width', { skip: nativeSkip }, async () => {
    assert.equal(nativeProductsUnavailableReason(), undefined, 'dist/products-linux-x64.so should load here (npm run build)');
    const backend = await createWasmBackend(1, { kernels: 'plain' });
    try {
      assert.match(backend.info.description, /^WebAssembly SIMD with native (AVX2|AVX-512) products, 1 thread$/);
    } finally {
      backend.dispose();
    }
  });

  it('caps a thread count above the cores, and says so', async () => {
    const cores = availableParallelism();
    const backend = await createWasmBackend(cores + 2, { kernels: 'plain', nativeProducts: false });
    try {
      assert.equal(backend.info.threads, cores);
      assert.equal(backend.info.description, `WebAssembly SIMD, ${cores} thread${cores === 1 ? '' : 's'} (capped: this machine has ${cores} core${cores === 1 ? '' : 's'})`);
    } finally {
      backend.dispose();
    }
  });
});

// Each build of the kernels with its own products, and the relaxed build with the native ones.
const FLAVOURS: Array<{ variant: KernelsVariant; native: boolean }> = [
  { variant: 'plain', native: false },
  { variant: 'relaxed', native: false },
  { variant: 'relaxed', native: true },
];
for (const { variant, native } of FLAVOURS) {
  const unavailable = kernelsUnavailableReason(variant) ?? (native ? nativeSkip : undefined);
  describe(`wasm backend, ${variant} kernels, ${native ? 'native' : 'WebAssembly'} products`, { skip: unavailable }, () => suite(variant, native));
}

function suite(variant: KernelsVariant, native: boolean): void {
  let wasm1: Backend;
  let wasm2: Backend;
  const flavour: WasmBackendOptions = { kernels: variant, nativeProducts: native };

  before(async () => {
    wasm1 = await createWasmBackend(1, flavour);
    wasm2 = await createWasmBackend(2, { ...flavour, oversubscribe: true });
  });
  after(() => {
    wasm1?.dispose();
    wasm2?.dispose();
  });

  it('describes itself', () => {
    assert.equal(wasm1.info.name, 'wasm');
    assert.equal(wasm1.info.threads, 1);
    assert.equal(wasm2.info.threads, 2);
    assert.equal(wasm2.info.description, `WebAssembly SIMD${variant === 'relaxed' ? ' (relaxed FMA)' : ''}${productsNote(native)}, 2 threads`);
  });

  // Parity with the reference, masks, carried state, steppers, dropout, and a run that resumes on
  // the TypeScript backend: the checks every backend passes.
  describeBackendConformance(`wasm (${variant} kernels, ${native ? 'native' : 'WebAssembly'} products, 1 and 2 threads)`, {
    open: async () => [await createWasmBackend(1, flavour), await createWasmBackend(2, { ...flavour, oversubscribe: true })],
    // 21 rows: two chunks of the batch split, the second ragged.
    rows: 21,
    full: true,
    resume: { otherName: 'js', other: () => createReferenceBackend('float32'), steps: 4 },
  });

  it('matches the reference at kernel-friendly sizes (full 4x8 tiles, several KC blocks, split among threads)', () => {
    const s: ModelSpec = { cell: 'lstm', vocabSize: 40, hiddenSize: 72, layers: 2, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' };
    const ref = reference.createNetwork(s);
    const net = wasm2.createNetwork(s);
    sameRandomWeights(ref, net, 5);
    for (let i = 0; i < ref.params.length; i++) ref.params[i] = net.params[i] *= 0.3;
    const batch = randomBatch(new Rng(8), 40, 40, s.vocabSize, false);
    const a = net.forwardBackward(batch, { carryState: false });
    const b = ref.forwardBackward(batch, { carryState: false });
    assertClose(a.lossSum, b.lossSum, 1e-5, 'loss');
    assert.ok(relError(net.grads, ref.grads) <= 1e-4, `gradients: ${relError(net.grads, ref.grads)}`);
    net.dispose();
  });

  it('batch-1 stepper matches the reference where its matrix-vector product walks column blocks', () => {
    // 4H = 72 and V = 40: blocks of 32 columns plus ragged rest, in every product of a step.
    const s: ModelSpec = { cell: 'lstm', vocabSize: 40, hiddenSize: 18, layers: 2, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' };
    const ref = reference.createNetwork(s);
    const net = wasm1.createNetwork(s);
    sameRandomWeights(ref, net, 31);
    const a = net.createStepper(1);
    const b = ref.createStepper(1);
    const rng = new Rng(6);
    for (let t = 0; t < 8; t++) {
      const x = Int32Array.of(rng.int(s.vocabSize));
      const la = a.step(x).slice();
      const lb = b.step(x);
      assert.ok(relError(la, lb) <= 1e-5, `step ${t} logits: ${relError(la, lb)}`);
    }
    assert.ok(relError(a.getState(), b.getState()) <= 1e-5, 'states agree');
    a.dispose();
    net.dispose();
  });

  // The team splits each phase by rows and by hidden units, differently for each thread count (the
  // LSTM's 40 rows make 2 groups of rows, whose 32 units are split 2 ways at 4 threads and 4 ways
  // at 16; the GRU's 9 rows only split units), on any machine (more threads than cores only run
  // slower); no split may change a single bit.
  for (const [what, s, B] of [
    ['LSTM, 2 layers, one-hot, dropout', { cell: 'lstm', vocabSize: 30, hiddenSize: 32, layers: 2, embeddingSize: 0, dropout: 0.25, hiddenDense: 0, hiddenActivation: 'relu' }, 40],
    ['GRU, embedding, ragged sizes, Dense hidden layer', { cell: 'gru', vocabSize: 13, hiddenSize: 21, layers: 1, embeddingSize: 7, dropout: 0, hiddenDense: 6, hiddenActivation: 'tanh' }, 9],
  ] as Array<[string, ModelSpec, number]>) {
    it(`1, 2, 3, 4 and 16 threads give identical losses and gradients over several Adam steps (${what})`, async () => {
      const runs: Array<{ threads: number; losses: number[]; grads: FloatArray }> = [];
      for (const threads of [1, 2, 3, 4, 16]) {
        const backend = await createWasmBackend(threads, { ...flavour, oversubscribe: true });
        try {
          assert.equal(backend.info.threads, threads);
          const net = backend.createNetwork(s);
          const rng = new Rng(9);
          for (let i = 0; i < net.params.length; i++) net.params[i] = rng.uniform(-0.2, 0.2);
          const adam = new Adam(0.01, net.params.length);
          const losses: number[] = [];
          const data = new Rng(10);
          for (let step = 0; step < 4; step++) {
            const batch = randomBatch(data, B, 12, s.vocabSize, step % 2 === 1);
            const r = net.forwardBackward(batch, { carryState: true, train: true, dropoutSeed: 100 + step });
            losses.push(r.lossSum / r.count);
            adam.step(net.params, net.grads);
          }
          losses.push(net.evaluate(randomBatch(data, B, 12, s.vocabSize, false), { carryState: true }).lossSum);
          runs.push({ threads, losses, grads: net.grads.slice() });
          net.dispose();
        } finally {
          backend.dispose();
        }
      }
      assert.ok(runs[0].losses[3] < runs[0].losses[0], `loss falls: ${runs[0].losses}`);
      for (const run of runs.slice(1)) {
        assert.deepEqual(run.losses, runs[0].losses, `${run.threads} threads: losses`);
        assert.deepEqual(run.grads, runs[0].grads, `${run.threads} threads: gradients`);
      }
    });
  }

  // The kernels' update (kernels/update.c) against the TypeScript path the other backends take:
  // 17,350 parameters make 5 chunks of the gradient norm, which 3 threads share unevenly.
  it('trainStep clips and updates as clipGlobalNorm and the TypeScript optimizer do, bit for bit, on 1 and 3 threads, for every optimizer', async () => {
    const s: ModelSpec = { cell: 'lstm', vocabSize: 30, hiddenSize: 32, layers: 2, embeddingSize: 0, dropout: 0.1, hiddenDense: 0, hiddenActivation: 'relu' };
    const wasm3 = await createWasmBackend(3, { ...flavour, oversubscribe: true });
    try {
      for (const name of ['sgd', 'momentum', 'rmsprop', 'adam', 'adagrad', 'adadelta'] as OptimizerName[]) {
        const host = wasm1.createNetwork(s);
        const hostOptimizer = createOptimizer(name, 0, host.params.length);
        const onKernels = [wasm1.createNetwork(s), wasm3.createNetwork(s)];
        const rng = new Rng(9);
        for (let i = 0; i < host.params.length; i++) host.params[i] = rng.uniform(-0.2, 0.2);
        for (const net of onKernels) net.params.set(host.params);
        const data = new Rng(10);
        let clipped = 0;
        const step = (nets: Network[], i: number, clipNorm: number) => {
          const batch = randomBatch(data, 8, 10, s.vocabSize, i % 2 === 1);
          const options = { carryState: true, train: true, dropoutSeed: 100 + i };
          const rule = { optimizer: name, learningRate: 0.02 * (1 + (i % 3)), clipNorm };
          const r = host.forwardBackward(batch, options);
          const norm = clipGlobalNorm(host.grads, clipNorm);
          if (clipNorm > 0 && norm > clipNorm) clipped++;
          hostOptimizer.learningRate = rule.learningRate;
          hostOptimizer.step(host.params, host.grads);
          for (const net of nets) {
            const d = net.trainStep!(batch, options, rule);
            assert.deepEqual([d.lossSum, d.count], [r.lossSum, r.count], `${name} step ${i}: loss`);
            assert.equal(d.gradNorm, norm, `${name} step ${i}: gradient norm`);
            assert.deepEqual(net.grads, host.grads, `${name} step ${i}: clipped gradients`);
            assert.deepEqual(net.params, host.params, `${name} step ${i}: parameters`);
          }
        };
        // The first norm is 0.14: step 0 clips, step 1 has a higher threshold, step 3 none.
        [0.1, 0.2, 0.1, 0].forEach((clipNorm, i) => step(onKernels, i, clipNorm));
        assert.ok(clipped >= 1, `${name}: some steps clipped`);
        const state = hostOptimizer.getState();
        for (const net of onKernels) assert.deepEqual(net.getOptimizerState!(), state, `${name}: optimizer state`);

        // A network handed that state (a resumed checkpoint) continues the same way.
        const resumed = wasm3.createNetwork(s);
        resumed.params.set(host.params);
        resumed.setCarriedState!(host.getCarriedState!());
        resumed.setOptimizerState!(state);
        step([resumed], 4, 0.1);
        for (const net of [host, resumed, ...onKernels]) net.dispose();
      }
    } finally {
      wasm3.dispose();
    }
  });

  it('dropout drops about p of the units (the hash of kernels/net.c)', () => {
    // The documented mask: dropped when hash < p * 2^32, so about p of the units.
    const kernels = instantiate(kernelsModule(variant), createSharedMemory());
    let dropped = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) if (kernels.dropout_hash(7, i % 3, i % 64, i % 100, i) >>> 0 < 0.3 * 2 ** 32) dropped++;
    assert.ok(Math.abs(dropped / n - 0.3) < 0.01, `dropped fraction ${dropped / n}`);
  });

  it('rejects out-of-range ids and keeps working after a batch-size change', () => {
    const s = spec('lstm', 1, 0);
    const net = wasm2.createNetwork(s);
    const bad = randomBatch(new Rng(1), 2, 3, s.vocabSize, false);
    bad.inputs[4] = s.vocabSize;
    assert.throws(() => net.forwardBackward(bad, { carryState: false }), RangeError);
    const r1 = net.forwardBackward(randomBatch(new Rng(2), 8, 3, s.vocabSize, false), { carryState: true });
    const r2 = net.forwardBackward(randomBatch(new Rng(2), 3, 9, s.vocabSize, false), { carryState: true });
    assert.ok(Number.isFinite(r1.lossSum) && Number.isFinite(r2.lossSum));
    assertClose(r2.lossSum / r2.count, Math.log(s.vocabSize), 1e-6, 'zero weights predict uniformly');
    net.dispose();
  });
}
