// The WebGPU backend (WGSL kernels on Dawn) against the float64 reference, on SwiftShader's Vulkan
// driver: every cell, one-hot and embedding input, 1 and 2 layers, masks, carried state, dropout,
// the Dense layer, the six optimizers with global-norm clipping, 50 training steps against the
// WebAssembly backend, and the bad cases (no adapter, a lost device, a model over a limit).
// Needs the optional npm package `webgpu` and SwiftShader (Debian's chromium package ships it, see
// support/swiftshader.ts); without them these tests FAIL, saying what is missing.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import { createBackend } from '../../src/engine/backends/select';
import type { Network, PassOptions } from '../../src/engine/backends/types';
import type { TokenBatch } from '../../src/engine/tensor';
import { createWasmBackend } from '../../src/engine/backends/wasm';
import { createWebGpuBackend, selfTestProblem, WebGpuError, type WebGpuBackend } from '../../src/engine/backends/webgpu';
import { KERNELS, kernelSource } from '../../src/engine/backends/webgpu/kernels';
import { chooseTile } from '../../src/engine/backends/webgpu/model';
import { stateSizePerRow, type ModelSpec } from '../../src/engine/model/spec';
import { clipGlobalNorm } from '../../src/engine/optim/clip';
import { createOptimizer, type OptimizerName } from '../../src/engine/optim/optimizers';
import { Rng } from '../../src/engine/random';
import { cli, samples } from './support/cli';
import { describeBackendConformance } from './support/backendConformance';
import { assertClose, relError } from './support/compare';
import { swiftShaderEnv, useSwiftShader } from './support/swiftshader';
import { tinySpec, paddedRandomBatch, sameRandomWeights } from './support/networks';

useSwiftShader();
const reference = createReferenceBackend('float64');

/** One training pass of `net` and of the reference on the same batch: the losses (1e-5) and the gradients (1e-4) agree. */
function assertSamePass(net: Network, ref: Network, batch: TokenBatch, options: PassOptions, what: string): void {
  const a = net.forwardBackward(batch, options);
  const b = ref.forwardBackward(batch, options);
  assert.equal(a.count, b.count, `${what} predicted positions`);
  assertClose(a.lossSum, b.lossSum, 1e-5, `${what} loss`);
  const err = relError(net.grads, ref.grads);
  assert.ok(err <= 1e-4, `${what} gradients: relative error ${err.toExponential(2)}`);
}

describeBackendConformance('webgpu (SwiftShader)', {
  open: () => [createWebGpuBackend(createReferenceBackend('float32'), { allowSoftware: true })],
  rows: 4,
  full: false,
  resume: { otherName: 'wasm', other: () => createWasmBackend(1), steps: 4 },
});

/** Over SwiftShader's 1 GiB a buffer: 64,000 rows of 5,000 logits. */
const huge: ModelSpec = { cell: 'lstm', vocabSize: 5000, hiddenSize: 4, layers: 1, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' };
const hugeBatch = { batchSize: 64, steps: 1000 };
const tooBig = /^the logits of a 1x4 LSTM need a 1220\.7 MiB GPU buffer, more than this WebGPU adapter allows in one buffer \(1024\.0 MiB\); use a smaller model, batch or sequence length/;

describe('webgpu backend on SwiftShader', () => {
  let gpu: WebGpuBackend;

  before(async () => {
    gpu = createWebGpuBackend(createReferenceBackend('float32'), { allowSoftware: true });
  });
  after(() => gpu?.dispose());

  it('opens the software adapter when asked by name, and names it', () => {
    assert.equal(gpu.info.name, 'webgpu');
    assert.equal(gpu.info.description, 'WebGPU, SwiftShader (CPU emulation)');
    assert.equal(gpu.adapter.software, true);
  });

  it('passes the self-test that auto runs before it trusts an adapter', () => {
    assert.equal(selfTestProblem(gpu.host, createReferenceBackend('float32')), undefined);
  });

  it('generates one WGSL module per kernel, with its parameters and bindings declared once', () => {
    const names = KERNELS.map((k) => k.name);
    assert.equal(new Set(names).size, names.length, 'kernel names are unique');
    for (const def of KERNELS) {
      const source = kernelSource(def);
      for (const [binding] of def.bindings) assert.match(source, new RegExp(`var<storage, read(_write)?> ${binding}:`), `${def.name}: ${binding}`);
    }
  });

  for (const cell of ['rnn', 'gru', 'lstm'] as const) {
    for (const embeddingSize of [0, 5]) {
      for (const layers of [1, 2]) {
        it(`matches the float64 reference: ${cell}, ${embeddingSize ? 'embedding' : 'one-hot'}, ${layers} layer(s), masks, carried state, dropout`, () => {
          const s = tinySpec(cell, layers, embeddingSize, { dropout: 0.25 });
          const ref = reference.createNetwork(s);
          const net = gpu.createNetwork(s);
          sameRandomWeights(ref, net, 11 + layers);
          const rng = new Rng(3);
          // Pass 0 from zeros (masked), pass 1 carrying the state on with dropout, pass 2 evaluation carrying it further.
          for (let pass = 0; pass < 3; pass++) {
            const batch = paddedRandomBatch(rng, 9, 7, s.vocabSize, pass !== 1);
            const options = { carryState: pass > 0, train: pass === 1, dropoutSeed: 5 + pass };
            const what = `pass ${pass}`;
            if (pass < 2) {
              assertSamePass(net, ref, batch, options, what);
              const carried = net.getCarriedState!()!;
              assert.equal(carried.values.length, 9 * stateSizePerRow(s));
              assert.ok(relError(carried.values, ref.getCarriedState!()!.values) <= 1e-5, `${what} carried state`);
            } else {
              assertClose(net.evaluate(batch, options).lossSum, ref.evaluate(batch, options).lossSum, 1e-5, `${what} evaluation loss`);
            }
          }
          net.dispose();
        });
      }
    }
  }

  for (const cell of ['rnn', 'gru', 'lstm'] as const) {
    it(`matches the float64 reference with a Dense hidden layer and layers of 5 and 9 units: ${cell}, dropout, stepper, state round trip`, () => {
      const s = tinySpec(cell, 2, cell === 'gru' ? 5 : 0, { hiddenSize: [5, 9], hiddenDense: 7, hiddenActivation: cell === 'rnn' ? 'tanh' : 'relu', dropout: 0.3 });
      const ref = reference.createNetwork(s);
      const net = gpu.createNetwork(s);
      sameRandomWeights(ref, net, 17);
      const rng = new Rng(5);
      for (let pass = 0; pass < 2; pass++) {
        assertSamePass(net, ref, paddedRandomBatch(rng, 13, 5, s.vocabSize, pass === 0), { carryState: pass > 0, train: true, dropoutSeed: 40 + pass }, `pass ${pass}`);
      }
      const carried = ref.getCarriedState!()!;
      net.setCarriedState!(carried);
      assert.deepEqual(Array.from(net.getCarriedState!()!.values), Array.from(Float32Array.from(carried.values)));
      // Sampling steps on the CPU with a copy of the GPU's weights.
      const a = net.createStepper(2);
      const b = ref.createStepper(2);
      for (let t = 0; t < 3; t++) {
        const x = Int32Array.of(rng.int(s.vocabSize), rng.int(s.vocabSize));
        const la = a.step(x).slice();
        assert.ok(relError(la, b.step(x)) <= 1e-5, `stepper step ${t}`);
      }
      a.dispose();
      net.dispose();
    });
  }

  it('matches the reference at sizes that fill the 64x64 product tiles (LSTM 2x72, batch 64x8)', () => {
    const s: ModelSpec = { cell: 'lstm', vocabSize: 70, hiddenSize: 72, layers: 2, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' };
    const ref = reference.createNetwork(s);
    const net = gpu.createNetwork(s);
    sameRandomWeights(ref, net, 5, 0.2);
    assert.equal(chooseTile(64 * 8, 4 * 72, gpu.adapter.limits), 64, 'the input projections take 64x64 tiles');
    assertSamePass(net, ref, paddedRandomBatch(new Rng(8), 64, 8, s.vocabSize, false), { carryState: false }, 'large');
    net.dispose();
  });

  it('trainStep clips and updates as clipGlobalNorm and the TypeScript optimizers do, for every optimizer, and resumes from their state', () => {
    const s = tinySpec('lstm', 2, 0, { hiddenSize: 10, dropout: 0.1 });
    for (const name of ['sgd', 'momentum', 'rmsprop', 'adam', 'adagrad', 'adadelta'] as OptimizerName[]) {
      const ref = reference.createNetwork(s);
      const optimizer = createOptimizer(name, 0, ref.params.length);
      const net = gpu.createNetwork(s);
      sameRandomWeights(ref, net, 9, 0.3);
      const data = new Rng(10);
      const step = (i: number, clipNorm: number, on: Network = net) => {
        const batch = paddedRandomBatch(data, 6, 8, s.vocabSize, i % 2 === 1);
        const options = { carryState: true, train: true, dropoutSeed: 100 + i };
        const rule = { optimizer: name, learningRate: 0.02 * (1 + (i % 3)), clipNorm };
        const r = ref.forwardBackward(batch, options);
        const norm = clipGlobalNorm(ref.grads, clipNorm);
        optimizer.learningRate = rule.learningRate;
        optimizer.step(ref.params, ref.grads);
        ref.paramsChanged();
        const d = on.trainStep!(batch, options, rule);
        assertClose(d.lossSum, r.lossSum, 1e-5, `${name} step ${i}: loss`);
        assertClose(d.gradNorm, norm, 1e-4, `${name} step ${i}: gradient norm`);
        const err = relError(on.params, ref.params);
        assert.ok(err <= 1e-4, `${name} step ${i}: parameters, relative error ${err.toExponential(2)}`);
      };
      [0.5, 1e9, 0.5, 0].forEach((clipNorm, i) => step(i, clipNorm));
      const state = optimizer.getState();
      const mine = net.getOptimizerState!()!;
      assert.equal(mine.steps, state.steps);
      mine.buffers.forEach((b, k) => assert.ok(relError(b, state.buffers[k]) <= 1e-3, `${name}: optimizer state ${k}`));
      // A network handed that state (a resumed checkpoint) continues the same way.
      const resumed = gpu.createNetwork(s);
      resumed.params.set(ref.params);
      resumed.paramsChanged();
      resumed.setCarriedState!(ref.getCarriedState!());
      resumed.setOptimizerState!(state);
      step(4, 0.5, resumed);
      resumed.dispose();
      net.dispose();
    }
  });

  it('50 training steps give the losses of the WebAssembly backend, within float tolerance', async () => {
    const s: ModelSpec = { cell: 'gru', vocabSize: 20, hiddenSize: 16, layers: 2, embeddingSize: 8, dropout: 0.1, hiddenDense: 0, hiddenActivation: 'relu' };
    const wasm = await createWasmBackend(1);
    try {
      const a = gpu.createNetwork(s);
      const b = wasm.createNetwork(s);
      sameRandomWeights(a, b, 21, 0.3);
      const data = new Rng(22);
      const text = Int32Array.from({ length: 4000 }, (_, i) => (i * 7 + data.int(3)) % s.vocabSize);
      const la: number[] = [];
      const lb: number[] = [];
      for (let step = 0; step < 50; step++) {
        const B = 8, T = 12;
        const inputs = new Int32Array(B * T);
        const targets = new Int32Array(B * T);
        for (let r = 0; r < B; r++) {
          for (let t = 0; t < T; t++) {
            const at = (r * 400 + step * T + t) % (text.length - 1);
            inputs[r * T + t] = text[at];
            targets[r * T + t] = text[at + 1];
          }
        }
        const batch = { batchSize: B, steps: T, inputs, targets };
        const options = { carryState: true, train: true, dropoutSeed: 7 + step };
        const rule = { optimizer: 'adam' as const, learningRate: 0.01, clipNorm: 1 };
        const ra = a.trainStep!(batch, options, rule);
        const rb = b.trainStep!(batch, options, rule);
        la.push(ra.lossSum / ra.count);
        lb.push(rb.lossSum / rb.count);
      }
      assert.ok(la[49] < la[0] * 0.8, `the loss falls: ${la[0]} -> ${la[49]}`);
      for (let i = 0; i < 50; i++) assertClose(la[i], lb[i], 1e-3, `step ${i} loss`);
      a.dispose();
      b.dispose();
    } finally {
      wasm.dispose();
    }
  });

  it('rejects out-of-range ids and keeps working after a batch-size change', () => {
    const s = tinySpec('lstm', 1, 0);
    const net = gpu.createNetwork(s);
    const bad = paddedRandomBatch(new Rng(1), 2, 3, s.vocabSize, false);
    bad.inputs[4] = s.vocabSize;
    assert.throws(() => net.forwardBackward(bad, { carryState: false }), RangeError);
    net.forwardBackward(paddedRandomBatch(new Rng(2), 8, 3, s.vocabSize, false), { carryState: true });
    const r = net.forwardBackward(paddedRandomBatch(new Rng(2), 3, 9, s.vocabSize, false), { carryState: true });
    assertClose(r.lossSum / r.count, Math.log(s.vocabSize), 1e-6, 'zero weights predict uniformly');
    net.dispose();
  });

  it('without a CPU fallback, a model over a buffer limit and a lost device are errors that say so', () => {
    assert.throws(() => gpu.createNetwork(huge, hugeBatch), (e: Error) => e instanceof WebGpuError && e.kind === 'limit-exceeded' && tooBig.test(e.message));
    const s = tinySpec('rnn', 1, 0);
    const net = gpu.createNetwork(s);
    // Last in this suite: the shared device is gone after this.
    gpu.host.call({ op: 'destroyDevice' });
    assert.throws(() => net.evaluate(paddedRandomBatch(new Rng(1), 2, 3, s.vocabSize, false), { carryState: false }), (e: Error) => e instanceof WebGpuError && e.kind === 'device-lost' && /^the WebGPU device was lost \(.+\); the GPU may have been reset or removed$/.test(e.message));
    net.dispose();
  });
});

describe('webgpu backend: bad cases', () => {
  it('a model over the adapter\'s buffer limit, and a device lost mid-run: each a clear message, and the run goes on on the CPU', () => {
    const notes: string[] = [];
    const lost: string[] = [];
    const backend = createWebGpuBackend(createReferenceBackend('float32'), { allowSoftware: true, onOutOfMemory: (m) => notes.push(m), onDeviceLost: (m) => lost.push(m) });
    try {
      const s = tinySpec('gru', 1, 0);
      const net = backend.createNetwork(s);
      const ref = reference.createNetwork(s);
      sameRandomWeights(ref, net, 3);
      const rng = new Rng(4);
      const rule = { optimizer: 'sgd' as const, learningRate: 0.1, clipNorm: 0 };
      net.trainStep!(paddedRandomBatch(rng, 4, 5, s.vocabSize, false), { carryState: false }, rule);
      const weights = Float32Array.from(net.params);
      backend.host.call({ op: 'destroyDevice' });
      const r = net.trainStep!(paddedRandomBatch(rng, 4, 5, s.vocabSize, false), { carryState: false }, rule);
      assert.ok(Number.isFinite(r.lossSum) && r.count === 20);
      assert.equal(lost.length, 1);
      assert.match(lost[0], /^the WebGPU device was lost \(.+\); the GPU may have been reset or removed; training continues on the CPU engine from the weights last read back from the GPU, with a fresh optimizer state$/);
      assert.ok(relError(net.params, weights) > 0, 'the CPU network trained on from the weights read back');
      net.dispose();

      // A new network on the lost device fails; the limit case below runs on a fresh backend.
    } finally {
      backend.dispose();
    }
    const tolerant = createWebGpuBackend(createReferenceBackend('float32'), { allowSoftware: true, onOutOfMemory: (m) => notes.push(m) });
    try {
      const net = tolerant.createNetwork(huge, hugeBatch);
      assert.equal(net.constructor.name, 'ReferenceNetwork');
      assert.match(notes[0], tooBig);
      assert.match(notes[0], /; training on the CPU \(plain TypeScript \(float32, 1 thread\)\) instead\.$/);
      assert.match(tolerant.info.description, /\(WebGPU not used: the model exceeds a GPU limit\)$/);
      net.dispose();
    } finally {
      tolerant.dispose();
    }
  });

  it('auto never picks the software adapter, and says why WebGPU was not used', async () => {
    const logs: string[] = [];
    const backend = await createBackend('auto', 1, (_level, message) => logs.push(message));
    try {
      assert.notEqual(backend.info.name, 'webgpu');
      assert.ok(logs.some((m) => /^the only WebGPU adapter is SwiftShader \(CPU emulation\), slower than the CPU engine; it is used only when asked for by name \(backend webgpu\); using the WebAssembly SIMD backend\.$/.test(m)), logs.join('\n'));
    } finally {
      backend.dispose();
    }
  });

  it('with no adapter (no Vulkan driver), --backend webgpu is a clear error', () => {
    // A separate process: Vulkan reads its driver list once per process.
    const r = spawnSync(process.execPath, [cli, 'train', join(samples, 'prose.txt'), '--backend', 'webgpu', '--steps', '1'], {
      env: { ...process.env, ...swiftShaderEnv(), VK_ICD_FILENAMES: '/nonexistent/icd.json' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /the WebGPU backend is not available: WebGPU found no GPU adapter \(no GPU, or no driver that WebGPU supports: Vulkan on Linux, Metal on macOS, Direct3D 12 on Windows\)/, r.stderr);
  });
});
