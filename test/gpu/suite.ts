/**
 * The GPU backend's correctness tests, against the float64 reference and the WebAssembly backend.
 * `npm run test:gpu` runs them on the machine's NVIDIA GPU (gpu.test.ts); the unit tests run a
 * smaller selection through a stand-in driver that executes the same kernels on the CPU
 * (test/unit/cudaStandIn.test.ts), which checks the host code, not the GPU.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CudaError, CudaNetwork } from '../../src/engine/backends/cuda';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import type { Backend, Network } from '../../src/engine/backends/types';
import { createWasmBackend } from '../../src/engine/backends/wasm';
import { initParams } from '../../src/engine/model/init';
import { assertClose } from '../unit/support/compare';
import { lastOfNewestRun } from '../unit/support/runs';
import type { CellType, ModelSpec } from '../../src/engine/model/spec';
import { createOptimizer, clipGlobalNorm } from '../../src/engine/optim';
import { defaultTrainConfig, type TrainConfig } from '../../src/protocol/messages';
import { corpusFromText } from '../../src/engine/data/corpus';
import { loadCheckpoint } from '../../src/engine/model/io/checkpoint';
import { TrainingRun } from '../../src/engine/train/run';
import { randomBatch } from '../unit/support/batches';

export interface SuiteOptions {
  /** Every combination and the longer runs (the GPU); false: a selection that is quick on the stand-in. */
  full: boolean;
  samplesDir: string;
}

const LOSS_TOLERANCE = 1e-5;
const GRAD_TOLERANCE = 1e-4;

function spec(cell: CellType, layers: number, embeddingSize: number, extra: Partial<ModelSpec> = {}): ModelSpec {
  return { cell, vocabSize: 13, hiddenSize: 10, layers, embeddingSize, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu', ...extra };
}

/** Largest gradient difference of each tensor, relative to that tensor's largest reference gradient. */
function gradErrors(ref: Network, gpu: Network): Array<[string, number]> {
  const gpuGrads = gpu.grads;
  return ref.layout.slots.map((slot) => {
    let scale = 1e-12;
    let worst = 0;
    for (let i = slot.offset; i < slot.offset + slot.size; i++) scale = Math.max(scale, Math.abs(ref.grads[i]));
    for (let i = slot.offset; i < slot.offset + slot.size; i++) worst = Math.max(worst, Math.abs(ref.grads[i] - gpuGrads[i]) / scale);
    return [slot.name, worst];
  });
}


export function registerGpuSuite(openGpu: () => Backend, options: SuiteOptions): void {
  let gpu: Backend;
  test.before(() => {
    gpu = openGpu();
  });
  test.after(() => gpu?.dispose());

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
  const cells: CellType[] = ['lstm', 'gru', 'rnn'];
  const cases: Array<{ cell: CellType; layers: number; embedding: number; mask: boolean; dropout: number }> = [];
  for (const cell of cells) {
    for (const layers of [1, 2]) {
      for (const embedding of [0, 5]) {
        if (options.full) {
          for (const mask of [false, true]) for (const dropout of [0, 0.25]) cases.push({ cell, layers, embedding, mask, dropout });
        } else {
          cases.push({ cell, layers, embedding, mask: layers === 2, dropout: layers === 2 ? 0.25 : 0 });
        }
      }
    }
  }

  for (const c of cases) {
    const name = `${c.cell} x${c.layers} ${c.embedding ? 'embedding' : 'one-hot'}${c.mask ? ', masked' : ''}${c.dropout ? ', dropout' : ''}: loss and gradients match the float64 reference, fresh and with carried state`;
    test(name, () => {
      const s = spec(c.cell, c.layers, c.embedding, { dropout: c.dropout });
      onBoth(s, 11, (ref, net) => {
        const batch = randomBatch(options.full ? 4 : 3, 7, s.vocabSize, 3, c.mask);
        for (const [i, carryState] of [false, true, true].entries()) {
          const opts = { carryState, train: true, dropoutSeed: 100 + i };
          const a = ref.forwardBackward(batch, opts);
          const b = net.forwardBackward(batch, opts);
          assert.equal(b.count, a.count);
          assertClose(b.lossSum, a.lossSum, LOSS_TOLERANCE, `pass ${i} loss`);
          for (const [slot, err] of gradErrors(ref, net)) assert.ok(err <= GRAD_TOLERANCE, `pass ${i}: ${slot} gradient off by ${err.toExponential(2)} of its scale`);
        }
        const e1 = ref.evaluate(batch, { carryState: true });
        const e2 = net.evaluate(batch, { carryState: true });
        assertClose(e2.lossSum, e1.lossSum, LOSS_TOLERANCE, 'evaluate loss');
      });
    });
  }

  for (const cell of cells) {
    for (const hiddenSize of [[5, 9], [9, 4, 6]]) {
      test(`${cell} with layers of ${hiddenSize.join(', ')} units, masked, dropout${cell === 'rnn' ? ', Dense hidden layer' : ''}: loss, gradients and carried state match the float64 reference`, () => {
        const s = spec(cell, hiddenSize.length, cell === 'gru' ? 5 : 0, { hiddenSize, dropout: 0.25, ...(cell === 'rnn' ? { hiddenDense: 7 } : {}) });
        onBoth(s, 13, (ref, net) => {
          const batch = randomBatch(3, 6, s.vocabSize, 4, true);
          for (const [i, carryState] of [false, true].entries()) {
            const opts = { carryState, train: true, dropoutSeed: 200 + i };
            const a = ref.forwardBackward(batch, opts);
            const b = net.forwardBackward(batch, opts);
            assertClose(b.lossSum, a.lossSum, LOSS_TOLERANCE, `pass ${i} loss`);
            for (const [slot, err] of gradErrors(ref, net)) assert.ok(err <= GRAD_TOLERANCE, `pass ${i}: ${slot} gradient off by ${err.toExponential(2)} of its scale`);
            const carried = net.getCarriedState!()!;
            const expected = ref.getCarriedState!()!;
            assert.equal(carried.values.length, expected.values.length);
            for (let j = 0; j < expected.values.length; j++) assert.ok(Math.abs(carried.values[j] - expected.values[j]) <= 1e-4, `pass ${i}: carried state ${j}`);
          }
          // The carried state goes back in as it came out.
          const state = ref.getCarriedState!()!;
          net.setCarriedState!(state);
          assert.deepEqual(Array.from(net.getCarriedState!()!.values), Array.from(Float32Array.from(state.values)));
        });
      });
    }
  }

  for (const activation of ['relu', 'tanh', 'linear'] as const) {
    if (!options.full && activation !== 'tanh') continue;
    test(`Dense hidden layer (${activation}) matches the float64 reference`, () => {
      const s = spec('lstm', 2, 4, { hiddenDense: 7, hiddenActivation: activation, dropout: 0.2 });
      onBoth(s, 2, (ref, net) => {
        const batch = randomBatch(3, 6, s.vocabSize, 8, true);
        const a = ref.forwardBackward(batch, { carryState: false, train: true, dropoutSeed: 9 });
        const b = net.forwardBackward(batch, { carryState: false, train: true, dropoutSeed: 9 });
        assertClose(b.lossSum, a.lossSum, LOSS_TOLERANCE, 'loss');
        for (const [slot, err] of gradErrors(ref, net)) assert.ok(err <= GRAD_TOLERANCE, `${slot} gradient off by ${err.toExponential(2)}`);
      });
    });
  }

  test('large products (128- and 64-wide tiles, split-K weight gradients) match the float64 reference', () => {
    const s = spec('lstm', 2, 0, { vocabSize: 70, hiddenSize: 96 });
    onBoth(s, 4, (ref, net) => {
      const batch = randomBatch(options.full ? 64 : 32, 40, s.vocabSize, 5);
      const a = ref.forwardBackward(batch, { carryState: false });
      const b = net.forwardBackward(batch, { carryState: false });
      assertClose(b.lossSum, a.lossSum, LOSS_TOLERANCE, 'loss');
      for (const [slot, err] of gradErrors(ref, net)) assert.ok(err <= GRAD_TOLERANCE, `${slot} gradient off by ${err.toExponential(2)}`);
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

  const steps = options.full ? 50 : 4;
  test(`a ${steps}-step training run matches the WebAssembly backend's losses; its checkpoint continues on the CPU`, async () => {
    const text = readFileSync(join(options.samplesDir, 'prose.txt'), 'utf8').slice(0, 20000);
    const corpus = corpusFromText(text, { maxVocab: 64, name: 'prose.txt' });
    const config: TrainConfig = {
      ...defaultTrainConfig,
      hiddenSize: 32, layers: 2, batchSize: 8, seqLength: 20, learningRate: 0.01, steps, evalInterval: steps, sampleLength: 20,
      dropout: 0.1, optimizer: 'adam', clipNorm: 1, seed: 3,
    };
    const wasm = await createWasmBackend(1);
    const dir = mkdtempSync(join(tmpdir(), 'rnnlab-gpu-'));
    try {
      const run = (backend: Backend, checkpointDir?: string) => {
        const losses: number[] = [];
        const r = new TrainingRun({ runId: 'g', sourceName: 'prose.txt', text: corpus, config, backend, checkpointDir, events: { step: (m) => losses.push(m.loss) } });
        return r.run().then((finished) => ({ losses, finished, r }));
      };
      const onGpu = await run(gpu, dir);
      const onCpu = await run(wasm);
      assert.equal(onGpu.losses.length, steps);
      // Float32 on both sides, summed in different orders: the runs drift apart slowly.
      onGpu.losses.forEach((loss, i) => assertClose(loss, onCpu.losses[i], 2e-3, `step ${i + 1} loss`));
      assertClose(onGpu.finished.bestValLoss, onCpu.finished.bestValLoss, 2e-3, 'validation loss');
      const saved = await loadCheckpoint(lastOfNewestRun(dir, 'prose.txt'));
      assert.deepEqual(Array.from(saved.params), Array.from(onGpu.r.network.params), 'the checkpoint holds the GPU weights');
      const cont = new TrainingRun({ runId: 'c', sourceName: 'prose.txt', text: corpus, config: { ...config, steps: 1 }, backend: wasm, events: {}, initialParams: saved.params });
      assertClose(cont.validationLoss(), onGpu.r.validationLoss(), 1e-4, 'the checkpoint evaluates the same on the CPU');
      // --resume: the GPU's optimizer state and carried state are in the checkpoint; the run goes on alike on either backend.
      const resumed = async (backend: Backend) => {
        const losses: number[] = [];
        const r = new TrainingRun({ runId: 'r', sourceName: 'prose.txt', text: corpus, config: { ...config, steps: steps + 3 }, backend, events: { step: (m) => losses.push(m.loss) }, resumeFrom: saved });
        await r.run();
        return losses;
      };
      const [gpuMore, cpuMore] = [await resumed(gpu), await resumed(wasm)];
      assert.equal(gpuMore.length, 3);
      gpuMore.forEach((loss, i) => assertClose(loss, cpuMore[i], 2e-3, `resumed step ${i + 1} loss`));
    } finally {
      wasm.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('sampling runs on the CPU with a copy of the weights taken when the stepper is made', () => {
    const s = spec('lstm', 1, 0);
    const net = gpu.createNetwork(s);
    const ref = reference.createNetwork(s);
    try {
      initParams(s, ref.params, 12);
      net.params.set(ref.params);
      net.paramsChanged();
      const tokens = Int32Array.of(3);
      const expected = ref.createStepper(1).step(tokens);
      const stepper = net.createStepper(1);
      const got = stepper.step(tokens);
      for (let i = 0; i < expected.length; i++) assertClose(got[i], expected[i], 1e-5, `logit ${i}`);
    } finally {
      net.dispose();
      ref.dispose();
    }
  });
}

