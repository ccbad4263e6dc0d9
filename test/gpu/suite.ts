/**
 * The GPU backend's correctness tests: the backend conformance suite (test/unit/support/
 * backendConformance.ts: against the float64 reference, and a run resumed on the WebAssembly
 * backend), and what only this backend has: its tiles, the optimizers' update on the device, CUDA
 * graphs, out-of-memory errors. `npm run test:gpu` runs them on the machine's NVIDIA GPU
 * (gpu.test.ts); the unit tests run a smaller selection through a stand-in driver that executes
 * the same kernels on the CPU (test/unit/cudaStandIn.test.ts), which checks the host code, not the GPU.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CudaError, CudaNetwork } from '../../src/engine/backends/cuda';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import type { Backend, Network } from '../../src/engine/backends/types';
import { createWasmBackend } from '../../src/engine/backends/wasm';
import { initParams } from '../../src/engine/model/init';
import { assertClose } from '../unit/support/compare';
import type { CellType, ModelSpec } from '../../src/engine/model/spec';
import { createOptimizer, clipGlobalNorm } from '../../src/engine/optim';
import { randomBatch } from '../unit/support/batches';
import { describeBackendConformance } from '../unit/support/backendConformance';
import { gradErrors } from '../unit/support/networks';

export interface SuiteOptions {
  /** Every combination and the longer runs (the GPU); false: a selection that is quick on the stand-in. */
  full: boolean;
}

const LOSS_TOLERANCE = 1e-5;
const GRAD_TOLERANCE = 1e-4;

function spec(cell: CellType, layers: number, embeddingSize: number, extra: Partial<ModelSpec> = {}): ModelSpec {
  return { cell, vocabSize: 13, hiddenSize: 10, layers, embeddingSize, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu', ...extra };
}


export function registerGpuSuite(openGpu: () => Backend, options: SuiteOptions): void {
  let gpu: Backend;
  test.before(() => {
    gpu = openGpu();
  });
  test.after(() => gpu?.dispose());

  // Parity with the reference, masks, carried state, steppers (on the CPU, with a copy of the
  // weights), dropout, and a run that resumes on the WebAssembly backend: the checks every backend passes.
  describeBackendConformance(options.full ? 'cuda' : 'cuda (stand-in driver)', {
    open: () => [openGpu()],
    rows: options.full ? 4 : 3,
    full: options.full,
    // Carried states summed on the device in another order than the reference's.
    tolerance: { state: 1e-4 },
    resume: { otherName: 'wasm', other: () => createWasmBackend(1), steps: options.full ? 50 : 4 },
  });

  const reference = createReferenceBackend('float64');

  /** The float64 reference and the GPU network of `s`, with the same initial weights (seeded), for `body`; both disposed after. */
  function onBoth<T extends Network>(s: ModelSpec, seed: number, body: (ref: Network, net: T) => void): void {
    const ref = reference.createNetwork(s);
    const net = gpu.createNetwork(s) as T;
    try {
      initParams(s, ref.params, seed);
      net.params.set(ref.params);
      net.paramsChanged();
      body(ref, net);
    } finally {
      ref.dispose();
      net.dispose();
    }
  }
  test('large products (128- and 64-wide tiles, split-K weight gradients) match the float64 reference', () => {
    const s = spec('lstm', 2, 0, { vocabSize: 70, hiddenSize: 96 });
    onBoth(s, 4, (ref, net) => {
      const batch = randomBatch(options.full ? 64 : 32, 40, s.vocabSize, 5);
      const a = ref.forwardBackward(batch, { carryState: false });
      const b = net.forwardBackward(batch, { carryState: false });
      assertClose(b.lossSum, a.lossSum, LOSS_TOLERANCE, 'loss');
      for (const [slot, err] of gradErrors(net, ref)) assert.ok(err <= GRAD_TOLERANCE, `${slot} gradient off by ${err.toExponential(2)}`);
    });
  });

  for (const optimizer of ['sgd', 'momentum', 'rmsprop', 'adam', 'adagrad', 'adadelta'] as const) {
    test(`${optimizer} with global-norm clipping on the device matches optim/ over 3 steps`, () => {
      const s = spec('gru', 1, 0);
      onBoth<CudaNetwork>(s, 6, (ref, net) => {
        const cpu = createOptimizer(optimizer, 0.05, ref.params.length);
        const clipNorm = 0.5;
        for (let step = 0; step < 3; step++) {
          const batch = randomBatch(3, 5, s.vocabSize, 20 + step);
          const a = ref.forwardBackward(batch, { carryState: step > 0 });
          const norm = clipGlobalNorm(ref.grads, clipNorm);
          cpu.step(ref.params, ref.grads);
          const b = net.trainStep(batch, { carryState: step > 0 }, { optimizer, learningRate: 0.05, clipNorm });
          assertClose(b.lossSum, a.lossSum, LOSS_TOLERANCE, `step ${step} loss`);
          assertClose(b.gradNorm, norm, 1e-5, `step ${step} gradient norm`);
        }
        const params = net.params;
        let worst = 0;
        for (let i = 0; i < params.length; i++) worst = Math.max(worst, Math.abs(params[i] - ref.params[i]));
        assert.ok(worst < 2e-5, `parameters differ by ${worst}`);
      });
    });
  }

  test('a training step replayed as a CUDA graph gives exactly what launching each kernel gives', () => {
    const s = spec('lstm', 2, 6, { dropout: 0.1, hiddenDense: 5 });
    const nets = [gpu.createNetwork(s), gpu.createNetwork(s)] as CudaNetwork[];
    try {
      initParams(s, nets[0].params, 7);
      nets[1].params.set(nets[0].params);
      nets.forEach((n) => n.paramsChanged());
      nets[1].useGraphs = false;
      const losses: number[][] = [[], []];
      for (let step = 0; step < 6; step++) {
        const batch = randomBatch(4, 6, s.vocabSize, 40 + step, step % 2 === 1);
        nets.forEach((n, k) => losses[k].push(n.trainStep(batch, { carryState: step % 3 !== 0, train: true, dropoutSeed: step }, { optimizer: 'adam', learningRate: 0.01, clipNorm: 1 }).lossSum));
      }
      assert.deepEqual(losses[0], losses[1]);
      assert.deepEqual(Array.from(nets[0].params), Array.from(nets[1].params));
    } finally {
      nets.forEach((n) => n.dispose());
    }
  });

  test('a model and batch too big for the GPU memory is a clear out-of-memory error', () => {
    const huge: ModelSpec = spec('lstm', 8, 0, { hiddenSize: 4096, vocabSize: 256 });
    assert.throws(() => gpu.createNetwork(huge, { batchSize: 4096, steps: 2048 }), (e: Error) => {
      assert.ok(e instanceof CudaError, String(e));
      assert.equal(e.kind, 'out-of-memory');
      assert.match(e.message, /^cuMemAlloc of [\d.]+ [MG]iB for .* of a 8x4096 LSTM \([\d.]+ [MG]iB free of [\d.]+ [MG]iB\) failed: CUDA_ERROR_OUT_OF_MEMORY \(2\)/);
      return true;
    });
    // The failed network released what it had taken: a small one still fits.
    const small = gpu.createNetwork(spec('rnn', 1, 0));
    small.dispose();
  });
}
