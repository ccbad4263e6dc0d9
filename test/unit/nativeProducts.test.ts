// The native matrix products (dist/products-linux-x64.so) at both widths: on a CPU with AVX-512,
// the AVX-512 and the AVX2 code sum every output element in the same order, so a training run
// gives the same bits either way; and both agree with the kernels' own WebAssembly products to
// float rounding. Its own file: the limit to AVX2 holds for the rest of the process.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FloatArray } from '../../src/engine/tensor';
import { createWasmBackend, limitNativeProductsToAvx2, type WasmBackendOptions } from '../../src/engine/backends/wasm';
import { nativeProductsUnavailableReason, nativeProductsWidth } from '../../src/engine/backends/wasm/native';
import type { ModelSpec } from '../../src/engine/model/spec';
import { Adam } from '../../src/engine/optim/optimizers';
import { Rng } from '../../src/engine/random';
import { relError } from './support/compare';

const onLinuxX64 = process.platform === 'linux' && process.arch === 'x64';

// Sizes that leave ragged register blocks at both widths (4H = 4 x 52 columns, 44 rows) and
// several k blocks in the weight gradients (44 x 20 = 880 rows).
const spec: ModelSpec = { cell: 'lstm', vocabSize: 37, hiddenSize: 52, layers: 2, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' };

async function train(options: WasmBackendOptions): Promise<{ losses: number[]; grads: FloatArray; logits: Float32Array }> {
  const backend = await createWasmBackend(2, { kernels: 'relaxed', oversubscribe: true, ...options });
  try {
    const net = backend.createNetwork(spec);
    const rng = new Rng(3);
    for (let i = 0; i < net.params.length; i++) net.params[i] = rng.uniform(-0.15, 0.15);
    const adam = new Adam(0.01, net.params.length);
    const data = new Rng(4);
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      const B = 44, T = 20;
      const inputs = Int32Array.from({ length: B * T }, () => data.int(spec.vocabSize));
      const targets = Int32Array.from({ length: B * T }, () => data.int(spec.vocabSize));
      const r = net.forwardBackward({ batchSize: B, steps: T, inputs, targets }, { carryState: true, train: true });
      losses.push(r.lossSum);
      adam.step(net.params, net.grads);
    }
    const stepper = net.createStepper(1);
    let logits = new Float32Array(0);
    for (const token of [1, 5, 9]) logits = stepper.step(Int32Array.of(token)).slice();
    stepper.dispose();
    const grads = net.grads.slice();
    net.dispose();
    return { losses, grads, logits };
  } finally {
    backend.dispose();
  }
}


describe('native matrix products', { skip: onLinuxX64 ? false : `native products are for Linux x86-64, not ${process.platform}-${process.arch}` }, () => {
  it('load here (npm run build makes them)', () => {
    assert.equal(nativeProductsUnavailableReason(), undefined);
  });

  it('agree with the WebAssembly products to float rounding', async () => {
    const native = await train({ nativeProducts: true });
    const wasm = await train({ nativeProducts: false });
    for (let i = 0; i < wasm.losses.length; i++) assert.ok(Math.abs(native.losses[i] - wasm.losses[i]) <= 1e-5 * Math.abs(wasm.losses[i]), `loss ${i}: ${native.losses[i]} vs ${wasm.losses[i]}`);
    assert.ok(relError(native.grads, wasm.grads) <= 1e-4, `gradients: ${relError(native.grads, wasm.grads)}`);
    assert.ok(relError(native.logits, wasm.logits) <= 1e-5, `stepper logits: ${relError(native.logits, wasm.logits)}`);
  });

  it('give the same bits at AVX-512 and at AVX2', { skip: onLinuxX64 && nativeProductsWidth() !== 'AVX-512' ? 'this CPU has no AVX-512, so there is only the AVX2 code to run' : false }, async () => {
    const wide = await train({ nativeProducts: true });
    limitNativeProductsToAvx2();
    assert.equal(nativeProductsWidth(), 'AVX2');
    const narrow = await train({ nativeProducts: true });
    assert.deepEqual(narrow.losses, wide.losses);
    assert.deepEqual(narrow.grads, wide.grads);
    assert.deepEqual(narrow.logits, wide.logits);
  });
});
