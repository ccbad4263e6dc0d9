// The WebAssembly backend, for each build of the kernels (plain SIMD128 and relaxed SIMD) with
// their own matrix products, with this platform's native products (AVX2 / AVX-512 on x86-64 Linux
// and Windows, NEON on ARM64 Linux), and with the large products through CBLAS (cblas.ts:
// Accelerate on macOS; on Linux x86-64 the same binding against OpenBLAS, libopenblas.so.0 from
// Debian's libopenblas0-openmp, which must be installed there): the backend conformance suite
// (support/backendConformance.ts: parity with the float64 reference, masks, carried state,
// steppers, dropout, resume on another backend), and what only this backend has: kernel tiles,
// thread-count invariance (1 to 16 threads, whatever the core count), the kernels' own optimizer
// update and dropout hash. Needs `npm run build` (dist/kernels.wasm; dist/kernels-relaxed.wasm
// when clang-16 is installed, else those tests are skipped and say why; the platform's products
// library).
import { availableParallelism } from 'node:os';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import type { Backend, Network } from '../../src/engine/backends/types';
import type { FloatArray } from '../../src/engine/tensor';
import { createWasmBackend, wasmUnavailableReason, type KernelsVariant, type WasmBackendOptions } from '../../src/engine/backends/wasm';
import { ACCELERATE_LIBRARY } from '../../src/engine/backends/wasm/cblas';
import { nativeProductsLibrary, nativeProductsName, nativeProductsUnavailableReason } from '../../src/engine/backends/wasm/native';
import { createSharedMemory, instantiate, kernelsModule, kernelsUnavailableReason } from '../../src/engine/backends/wasm/runtime';
import type { ModelSpec } from '../../src/engine/model/spec';
import { Rng } from '../../src/engine/random';
import { assertClose, relError } from './support/compare';
import { describeBackendConformance } from './support/backendConformance';
import { clipGlobalNorm } from '../../src/engine/optim/clip';
import { Adam, createOptimizer, type OptimizerName } from '../../src/engine/optim/optimizers';
import { tinySpec, paddedRandomBatch, sameRandomWeights } from './support/networks';

const reference = createReferenceBackend('float64');

/** What a backend's description says of its products. */
function productsNote(native: boolean, cblasLibrary?: string): string {
  return native ? ` with ${nativeProductsName(cblasLibrary)}` : '';
}

/** Where the build makes a native products library, it must load. */
const ownLibrary = nativeProductsLibrary();
const nativeSkip = ownLibrary && 'file' in ownLibrary ? false : `the engine builds no native products library for ${process.platform}-${process.arch}`;

/**
 * The CBLAS library the binding is tested against: Accelerate on macOS, OpenBLAS on Linux x86-64
 * (there a missing libopenblas.so.0 fails the tests: the binding would go untested).
 */
const cblasLibrary = process.platform === 'darwin' ? ACCELERATE_LIBRARY : process.platform === 'linux' && process.arch === 'x64' ? 'libopenblas.so.0' : undefined;

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

  it('runs its matrix products natively where the build makes them, and says at which width', { skip: nativeSkip }, async () => {
    const file = ownLibrary && 'file' in ownLibrary ? ownLibrary.file : '';
    assert.equal(nativeProductsUnavailableReason(), undefined, `dist/${file} should load here (npm run build)`);
    const backend = await createWasmBackend(1, { kernels: 'plain' });
    try {
      const expected = { 'products-linux-x64.so': /^WebAssembly SIMD with native (AVX2|AVX-512) products, 1 thread$/, 'products-win32-x64.dll': /^WebAssembly SIMD with native (AVX2|AVX-512) products \(Windows\), 1 thread$/, 'products-linux-arm64.so': /^WebAssembly SIMD with native NEON products, 1 thread$/ }[file];
      assert.ok(expected, file);
      assert.match(backend.info.description, expected);
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

// Each build of the kernels with its own products, and the relaxed build with the native ones and
// with CBLAS's.
const FLAVOURS: Array<{ variant: KernelsVariant; native: boolean; cblas?: boolean }> = [
  { variant: 'plain', native: false },
  { variant: 'relaxed', native: false },
  { variant: 'relaxed', native: true },
  { variant: 'relaxed', native: true, cblas: true },
];
for (const { variant, native, cblas } of FLAVOURS) {
  const productsSkip = cblas ? (cblasLibrary ? false : `the CBLAS binding is tested on Linux x86-64 (OpenBLAS) and macOS (Accelerate), not ${process.platform}-${process.arch}`) : native ? nativeSkip : false;
  const unavailable = kernelsUnavailableReason(variant) ?? productsSkip;
  describe(`wasm backend, ${variant} kernels, ${cblas ? 'CBLAS' : native ? 'native' : 'WebAssembly'} products`, { skip: unavailable }, () => suite(variant, native, cblas ? cblasLibrary : undefined));
}

function suite(variant: KernelsVariant, native: boolean, cblas?: string): void {
  let wasm1: Backend;
  let wasm2: Backend;
  const flavour: WasmBackendOptions = { kernels: variant, nativeProducts: native, cblasLibrary: cblas };

  before(async () => {
    const missing = cblas && nativeProductsUnavailableReason(cblas);
    if (missing) throw new Error(`${missing}: the CBLAS binding is tested against it (on Debian: apt-get install libopenblas0, which scripts/setup.sh installs)`);
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
    assert.equal(wasm2.info.description, `WebAssembly SIMD${variant === 'relaxed' ? ' (relaxed FMA)' : ''}${productsNote(native, cblas)}, 2 threads`);
  });

  // Parity with the reference, masks, carried state, steppers, dropout, and a run that resumes on
  // the TypeScript backend: the checks every backend passes.
  describeBackendConformance(`wasm (${variant} kernels, ${cblas ? 'CBLAS' : native ? 'native' : 'WebAssembly'} products, 1 and 2 threads)`, {
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
    const batch = paddedRandomBatch(new Rng(8), 40, 40, s.vocabSize, false);
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
            const batch = paddedRandomBatch(data, B, 12, s.vocabSize, step % 2 === 1);
            const r = net.forwardBackward(batch, { carryState: true, train: true, dropoutSeed: 100 + step });
            losses.push(r.lossSum / r.count);
            adam.step(net.params, net.grads);
          }
          losses.push(net.evaluate(paddedRandomBatch(data, B, 12, s.vocabSize, false), { carryState: true }).lossSum);
          runs.push({ threads, losses, grads: net.grads.slice() });
          net.dispose();
        } finally {
          backend.dispose();
        }
      }
      assert.ok(runs[0].losses[3] < runs[0].losses[0], `loss falls: ${runs[0].losses}`);
      for (const run of runs.slice(1)) {
        if (cblas) {
          // A BLAS picks its blocking and kernels by the shape of each call, and each thread's
          // tile of a product has a shape that depends on the thread count: the sums agree to
          // float rounding, not to the bit (cblas.ts).
          for (let i = 0; i < run.losses.length; i++) assertClose(run.losses[i], runs[0].losses[i], 1e-5, `${run.threads} threads: loss ${i}`);
          assert.ok(relError(run.grads, runs[0].grads) <= 1e-4, `${run.threads} threads: gradients ${relError(run.grads, runs[0].grads)}`);
          continue;
        }
        assert.deepEqual(run.losses, runs[0].losses, `${run.threads} threads: losses`);
        assert.deepEqual(run.grads, runs[0].grads, `${run.threads} threads: gradients`);
      }
    });
  }

  // The kernels' update (kernels/update.c) against the TypeScript path the other backends take:
  // 17,350 parameters make 5 chunks of the gradient norm, which 3 threads share unevenly.
  it('trainStep clips and updates as clipGlobalNorm and the TypeScript optimizer do, bit for bit, on 1 and 3 threads, for every optimizer', async () => {
    const s: ModelSpec = { cell: 'lstm', vocabSize: 30, hiddenSize: 32, layers: 2, embeddingSize: 0, dropout: 0.1, hiddenDense: 0, hiddenActivation: 'relu' };
    // With a CBLAS library, 3 threads' products differ from 1 thread's in the last bits (see the
    // thread-count test above), so that flavour compares on 1 thread only; the update's own split
    // among threads is the same code in every flavour, and tested on 3 threads in the others.
    const wasm3 = await createWasmBackend(cblas ? 1 : 3, { ...flavour, oversubscribe: true });
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
          const batch = paddedRandomBatch(data, 8, 10, s.vocabSize, i % 2 === 1);
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
    const s = tinySpec('lstm', 1, 0);
    const net = wasm2.createNetwork(s);
    const bad = paddedRandomBatch(new Rng(1), 2, 3, s.vocabSize, false);
    bad.inputs[4] = s.vocabSize;
    assert.throws(() => net.forwardBackward(bad, { carryState: false }), RangeError);
    const r1 = net.forwardBackward(paddedRandomBatch(new Rng(2), 8, 3, s.vocabSize, false), { carryState: true });
    const r2 = net.forwardBackward(paddedRandomBatch(new Rng(2), 3, 9, s.vocabSize, false), { carryState: true });
    assert.ok(Number.isFinite(r1.lossSum) && Number.isFinite(r2.lossSum));
    assertClose(r2.lossSum / r2.count, Math.log(s.vocabSize), 1e-6, 'zero weights predict uniformly');
    net.dispose();
  });
}
