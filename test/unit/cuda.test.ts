// The GPU backend's parts that can be checked without a GPU: the committed PTX (up to date with
// its source, assembled by ptxas for every supported architecture, an old enough ISA), the
// launch table against the PTX's kernel signatures, the driver error messages, the dropout hash
// every backend shares, and the no-driver path. None of this shows that the kernels compute the
// right numbers: that is `npm run test:gpu` (test/gpu/), which needs an NVIDIA GPU.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { briefGpuReason, cudaUnavailableReason, gpuUnavailableMessage } from '../../src/engine/backends/cuda';
import { describeCuResult, kindOfCuResult, CU_RESULTS, CudaError } from '../../src/engine/backends/cuda/errors';
import { KERNEL_PARAMS, splitKSlices } from '../../src/engine/backends/cuda/kernelTable';
import { describeDevice } from '../../src/engine/backends/cuda/runtime';
import { applyDropout, dropoutHash, dropoutThreshold } from '../../src/engine/backends/dropout';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import { createWasmBackend } from '../../src/engine/backends/wasm';
import { loadKernels, instantiate, createSharedMemory } from '../../src/engine/backends/wasm/runtime';
import { initParams } from '../../src/engine/model/init';
import type { ModelSpec } from '../../src/engine/model/spec';
import { randomBatch } from './support/batches';
import { withEnv } from './support/env';

const root = join(__dirname, '..', '..', '..');
const kernelsDir = join(root, 'src/engine/backends/cuda/kernels');
const ptx = readFileSync(join(kernelsDir, 'kernels.ptx'), 'utf8');
const ARCHITECTURES = ['sm_75', 'sm_80', 'sm_86', 'sm_89', 'sm_90'];

function findPtxas(): string | undefined {
  const candidates = [process.env.PTXAS, '/usr/local/cuda/bin/ptxas', '/usr/local/bin/ptxas'];
  const which = spawnSync('sh', ['-c', 'command -v ptxas'], { encoding: 'utf8' });
  if (which.status === 0) candidates.unshift(which.stdout.trim());
  return candidates.find((c): c is string => !!c && existsSync(c));
}

test('the committed PTX was generated from the current kernels.cu (run scripts/build-ptx.sh after editing it)', () => {
  const source = readFileSync(join(kernelsDir, 'kernels.cu'));
  const hash = createHash('sha256').update(source).digest('hex');
  assert.equal(ptx.split('\n')[0], `// rnn-lab kernels.cu sha256 ${hash}`);
});

test('the PTX targets compute_75 with an ISA old drivers accept', () => {
  assert.match(ptx, /^\.target sm_75$/m);
  const version = /^\.version (\d+)\.(\d+)$/m.exec(ptx);
  assert.ok(version, 'no .version line');
  // 6.3 is the oldest ISA that knows sm_75 (CUDA 10.0 drivers); nvcc 13 writes 9.0 (driver 580+).
  assert.deepEqual([Number(version[1]), Number(version[2])], [6, 3]);
});

const ptxas = findPtxas();
test(`ptxas assembles the PTX for ${ARCHITECTURES.join(', ')}`, { skip: ptxas ? false : 'ptxas (CUDA toolkit) is not installed here; the PTX is committed, so nothing else needs it' }, () => {
  const work = mkdtempSync(join(tmpdir(), 'rnnlab-ptx-'));
  try {
    const file = join(work, 'kernels.ptx');
    writeFileSync(file, ptx);
    for (const arch of ARCHITECTURES) {
      const r = spawnSync(ptxas!, [`-arch=${arch}`, '-v', '-o', join(work, `${arch}.cubin`), file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `ptxas -arch=${arch}: ${r.stderr}`);
      // No kernel may spill registers: a spill would be a performance bug.
      assert.doesNotMatch(r.stderr, /[1-9]\d* bytes spill/, `${arch} spills registers`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('the launch table matches every kernel entry of the PTX, parameter by parameter', () => {
  const entries = new Map<string, string>();
  const re = /\.visible \.entry (\w+)\(([^)]*)\)/g;
  for (let m = re.exec(ptx); m; m = re.exec(ptx)) {
    const kinds = m[2].split(',').map((p) => p.trim()).filter(Boolean).map((p) => {
      const type = /\.param \.(\w+)/.exec(p)?.[1];
      return type === 'u64' ? 'p' : type === 'f32' ? 'f' : type === 'u32' || type === 's32' ? 'i' : `?${type}`;
    });
    entries.set(m[1], kinds.join(''));
  }
  assert.deepEqual([...entries.keys()].sort(), Object.keys(KERNEL_PARAMS).sort());
  for (const [name, kinds] of Object.entries(KERNEL_PARAMS)) {
    // 'u' (unsigned) and 'i' are both 32-bit integers in PTX.
    assert.equal(entries.get(name), kinds.replace(/u/g, 'i'), name);
  }
});

test('driver errors name the call, the code and what it means', () => {
  assert.equal(describeCuResult('cuMemAlloc of 2.0 GiB for the gradients', 2), 'cuMemAlloc of 2.0 GiB for the gradients failed: CUDA_ERROR_OUT_OF_MEMORY (2): the GPU has not enough free memory');
  assert.match(describeCuResult('cuInit', 12345), /cuInit failed: CUresult 12345/);
  assert.match(describeCuResult('cuInit', 12345, 'CUDA_ERROR_NEW'), /CUDA_ERROR_NEW \(12345\)/);
  assert.equal(kindOfCuResult(2), 'out-of-memory');
  assert.equal(kindOfCuResult(100), 'no-device');
  assert.equal(kindOfCuResult(222), 'driver-too-old');
  assert.equal(kindOfCuResult(218), 'driver-too-old');
  assert.equal(kindOfCuResult(700), 'error');
  for (const [code, [name, meaning]] of CU_RESULTS) {
    assert.match(name, /^CUDA_(SUCCESS|ERROR_[A-Z_]+)$/, String(code));
    assert.ok(meaning.length > 5);
  }
  const e = new CudaError('cuModuleLoadDataEx', 222, undefined, 'JIT log: ...');
  assert.equal(e.kind, 'driver-too-old');
  assert.match(e.message, /JIT log/);
  // Each reason for not using the GPU has its own message, and a brief form for the description.
  const reasons = (['no-driver', 'no-device', 'driver-too-old', 'out-of-memory', 'no-ffi', 'error'] as const).map((k) => gpuUnavailableMessage(k, 'detail'));
  assert.equal(new Set(reasons.map(briefGpuReason)).size, reasons.length);
  assert.equal(briefGpuReason(reasons[0]), 'GPU not used: no NVIDIA driver');
  assert.equal(describeDevice({ ordinal: 0, name: 'NVIDIA H200', totalBytes: 150_106_374_144, computeCapability: [9, 0], multiprocessors: 132 }), 'CUDA, NVIDIA H200, 139.8 GiB');
  assert.equal(describeDevice({ ordinal: 0, name: 'Tesla T4', totalBytes: 16 * 1024 ** 3, computeCapability: [7, 5], multiprocessors: 40 }), 'CUDA, NVIDIA Tesla T4, 16.0 GiB');
});

test('no driver: the reason says so (a missing library, here forced)', async () => {
  await withEnv({ RNN_LAB_CUDA_DRIVER: '/nonexistent/libcuda.so.1' }, () => {
    assert.match(cudaUnavailableReason() ?? '', /^GPU not used: no NVIDIA driver: could not load \/nonexistent\/libcuda\.so\.1 \(.+\); install the NVIDIA driver/);
  });
});

test('split-K: long sums with few output tiles are split to fill the GPU, within the scratch', () => {
  assert.equal(splitKSlices(16, 6400, 132, 100), 12); // dU of 1x128 at batch 64: 16 tiles, K = 6400
  assert.equal(splitKSlices(512, 25600, 132, 100), 1); // enough tiles already
  assert.equal(splitKSlices(4, 300, 132, 100), 1); // too short to be worth it
  assert.equal(splitKSlices(1, 1 << 20, 132, 3), 3); // scratch-bound
});

test('the dropout hash is the WebAssembly kernels\' one, and drops about p of the units', () => {
  const wasm = instantiate(loadKernels('plain').module, createSharedMemory());
  for (const [seed, site, row, step, unit] of [[0, 0, 0, 0, 0], [7, 1, 63, 99, 511], [0xffffffff, 2, 5, 1, 3], [123456789, 0, 1000, 2047, 4095]]) {
    assert.equal(dropoutHash(seed, site, row, step, unit), wasm.dropout_hash(seed, site, row, step, unit) >>> 0);
  }
  const values = new Float32Array(40 * 64).fill(1);
  const mask = new Float32Array(values.length);
  applyDropout(values, mask, 0.25, 42, 0, 8, 64);
  const dropped = mask.filter((m) => m === 0).length / mask.length;
  assert.ok(Math.abs(dropped - 0.25) < 0.03, `dropped ${dropped}`);
  assert.ok(values.every((v, i) => v === mask[i] && (v === 0 || v === Math.fround(1 / 0.75))));
  assert.equal(dropoutThreshold(0), 0);
  assert.equal(dropoutThreshold(0.5), 2 ** 31);
});

test('with dropout, the float64 reference and the WebAssembly backend give the same loss and gradients', async () => {
  const spec: ModelSpec = { cell: 'lstm', vocabSize: 13, hiddenSize: 8, layers: 2, embeddingSize: 0, dropout: 0.3, hiddenDense: 0, hiddenActivation: 'relu' };
  const ref = createReferenceBackend('float64').createNetwork(spec);
  const wasmBackend = await createWasmBackend(1);
  try {
    const wasm = wasmBackend.createNetwork(spec);
    initParams(spec, ref.params, 5);
    wasm.params.set(ref.params);
    wasm.paramsChanged();
    const batch = randomBatch(4, 6, spec.vocabSize, 9);
    const a = ref.forwardBackward(batch, { carryState: false, train: true, dropoutSeed: 77 });
    const b = wasm.forwardBackward(batch, { carryState: false, train: true, dropoutSeed: 77 });
    assert.ok(Math.abs(a.lossSum - b.lossSum) / a.lossSum < 1e-5, `loss ${a.lossSum} vs ${b.lossSum}`);
    let scale = 0;
    for (const g of ref.grads) scale = Math.max(scale, Math.abs(g));
    for (let i = 0; i < ref.grads.length; i++) assert.ok(Math.abs(ref.grads[i] - wasm.grads[i]) <= 1e-4 * scale, `grad ${i}: ${ref.grads[i]} vs ${wasm.grads[i]}`);
    const noDrop = ref.forwardBackward(batch, { carryState: false, train: true, dropoutSeed: 78 });
    assert.notEqual(noDrop.lossSum, a.lossSum, 'another seed draws another mask');
  } finally {
    wasmBackend.dispose();
  }
});
