// The WebGPU backend as the extension runs it: the trainer's device is in the GPU webview, reached
// through a socket (RNN_LAB_GPU_SOCKET) by the relay worker (relayWorker.ts). Here the webview's
// part is played by Dawn on SwiftShader in a process of its own (support/gpuPageStandIn.ts, the
// same GpuServer), so these tests drive the real relay, frames and network; the VS Code half
// (gpuBridge.ts and the GPU tab) is tested in test/integration/suite/18-webgpu.test.ts.
// Needs the optional npm package `webgpu` and SwiftShader, as webgpu.test.ts does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import { createBackendFor } from '../../src/engine/backends/select';
import type { TokenBatch } from '../../src/engine/tensor';
import { createWebGpuBackend, selfTestProblem, webgpuUnavailableReason, WebGpuError } from '../../src/engine/backends/webgpu';
import { GPU_SOCKET_ENV, readFrames, writeFrame } from '../../src/engine/backends/webgpu/socketFrames';
import type { ModelSpec } from '../../src/engine/model/spec';
import { Rng } from '../../src/engine/random';
import { assertClose, relError } from './support/compare';
import { swiftShaderEnv } from './support/swiftshader';

const work = mkdtempSync(join(tmpdir(), 'rnn-lab-relay-'));
const spec: ModelSpec = { cell: 'lstm', vocabSize: 11, hiddenSize: 6, layers: 2, embeddingSize: 4, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' };
const rule = { optimizer: 'adam' as const, learningRate: 0.01, clipNorm: 1 };
let sockets = 0;
let standIn: ChildProcess | undefined;

function batch(rng: Rng): TokenBatch {
  const inputs = Int32Array.from({ length: 4 * 5 }, () => rng.int(spec.vocabSize));
  const targets = Int32Array.from({ length: 4 * 5 }, () => rng.int(spec.vocabSize));
  return { batchSize: 4, steps: 5, inputs, targets };
}

/** Starts the stand-in for the GPU webview on a fresh socket and points this process at it. */
async function startStandIn(env: Record<string, string> = {}): Promise<void> {
  const socketPath = join(work, `gpu-${++sockets}.sock`);
  const child = (standIn = spawn(process.execPath, [join(__dirname, 'support/gpuPageStandIn.js'), socketPath], {
    env: { ...process.env, ...swiftShaderEnv(), ...env }, stdio: ['ignore', 'pipe', 'inherit'],
  }));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the GPU page stand-in exited (code ${code})`)));
  });
  process.env[GPU_SOCKET_ENV] = socketPath;
}

describe('webgpu backend through the GPU webview relay (socket)', () => {
  afterEach(() => {
    standIn?.kill();
    standIn = undefined;
    delete process.env[GPU_SOCKET_ENV];
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('trains through the relay as the CPU engine does: same loss and gradients, and Adam steps that agree', async () => {
    await startStandIn();
    const backend = createWebGpuBackend(createReferenceBackend('float32'), { allowSoftware: true });
    const reference = createReferenceBackend('float64');
    try {
      assert.equal(backend.info.description, 'WebGPU, SwiftShader (CPU emulation)');
      // The self-test auto runs before it trusts a hardware adapter, through the relay.
      assert.equal(selfTestProblem(backend.host, createReferenceBackend('float32')), undefined);
      const net = backend.createNetwork(spec);
      const ref = reference.createNetwork(spec);
      const rng = new Rng(7);
      const weights = Float32Array.from({ length: net.params.length }, () => rng.uniform(-0.5, 0.5));
      net.params.set(weights);
      net.paramsChanged();
      ref.params.set(weights);
      ref.paramsChanged();
      const b = batch(rng);
      const a = net.forwardBackward(b, { carryState: false });
      const r = ref.forwardBackward(b, { carryState: false });
      assertClose(a.lossSum, r.lossSum, 1e-5, 'loss through the relay');
      assert.ok(relError(net.grads, ref.grads) <= 1e-4, 'gradients through the relay');
      // Typed arrays cross both ways: the weights the GPU updated come back as numbers that moved.
      for (let i = 0; i < 3; i++) net.trainStep!(batch(rng), { carryState: false }, rule);
      assert.ok(relError(net.params, weights) > 1e-4, 'three Adam steps moved the weights');
      assert.ok(Array.from(net.params).every(Number.isFinite));
      // The device was the stand-in's, not one of this process: without it, the GPU is gone.
      standIn!.kill();
      await new Promise((resolve) => standIn!.once('exit', resolve));
      assert.throws(() => net.evaluate(batch(rng), { carryState: false }), (e: Error) => e instanceof WebGpuError && e.kind === 'device-lost' && /connection to the RNN Lab GPU tab closed/.test(e.message));
      net.dispose();
    } finally {
      backend.dispose();
      reference.dispose();
    }
  });

  it('the webview gone mid-run (its tab closed): the run goes on on the CPU engine from the weights last read back, and says so', async () => {
    // open, create, setParams, trainStep, getParams answer; then the "tab" closes.
    await startStandIn({ RNN_LAB_STAND_IN_DROP_AFTER: '5' });
    const lost: string[] = [];
    const backend = createWebGpuBackend(createReferenceBackend('float32'), { allowSoftware: true, onDeviceLost: (m) => lost.push(m) });
    try {
      const net = backend.createNetwork(spec);
      const rng = new Rng(9);
      net.params.set(Float32Array.from({ length: net.params.length }, () => rng.uniform(-0.5, 0.5)));
      net.paramsChanged();
      net.trainStep!(batch(rng), { carryState: false }, rule);
      const readBack = Float32Array.from(net.params);
      const r = net.trainStep!(batch(rng), { carryState: false }, rule);
      assert.ok(Number.isFinite(r.lossSum) && r.count === 20, 'the step after the loss ran on the CPU');
      assert.equal(lost.length, 1);
      assert.match(lost[0], /^the WebGPU device was lost \(the connection to the RNN Lab GPU tab closed\); training continues on the CPU engine from the weights last read back from the GPU, with a fresh optimizer state$/);
      assert.ok(relError(net.params, readBack) > 0 && relError(net.params, readBack) < 0.5, 'the CPU network trained on from the weights read back');
      net.dispose();
    } finally {
      backend.dispose();
    }
  });

  it('auto refuses the software adapter behind the relay, and a socket nobody listens on is a clear reason', async () => {
    await startStandIn();
    assert.match(webgpuUnavailableReason({ allowSoftware: false }) ?? '', /^the only WebGPU adapter is SwiftShader \(CPU emulation\), slower than the CPU engine; it is used only when asked for by name/);
    standIn?.kill();
    await new Promise((resolve) => standIn!.once('exit', resolve));
    const missing = join(work, 'nobody.sock');
    process.env[GPU_SOCKET_ENV] = missing;
    const reason = webgpuUnavailableReason({ allowSoftware: true }) ?? '';
    assert.ok(reason.startsWith('the connection to the RNN Lab GPU tab failed') && reason.includes(missing), reason);
  });
});

describe('a served model with backend webgpu', () => {
  it('steps on the CPU engine and opens no GPU (no GPU tab in VS Code): sampling and the hover run on the CPU anyway', async () => {
    // Nobody listens here: asking the GPU would fail.
    process.env[GPU_SOCKET_ENV] = join(work, 'nobody-serves.sock');
    try {
      const backend = await createBackendFor(spec, 'webgpu', 1);
      assert.notEqual(backend.info.name, 'webgpu');
      assert.ok(['wasm', 'js'].includes(backend.info.name), backend.info.name);
      backend.dispose();
    } finally {
      delete process.env[GPU_SOCKET_ENV];
    }
  });
});

describe('socket frames', () => {
  it('carry typed arrays whole and typed, however the stream splits them', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rnn-lab-frames-')), 's.sock');
    const received: unknown[] = [];
    const big = Float32Array.from({ length: 300_000 }, (_, i) => i / 7);
    const server = createServer((socket) => readFrames(socket, (value) => {
      received.push(value);
      if (received.length === 3) socket.end();
    }));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const client = connect(path);
    await new Promise<void>((resolve) => client.once('connect', resolve));
    writeFrame(client, { op: 'call', args: [big] });
    writeFrame(client, { ok: true, value: Int32Array.of(1, -2, 3) });
    writeFrame(client, 'last');
    await new Promise((resolve) => client.once('close', resolve));
    server.close();
    assert.equal(received.length, 3);
    const [first, second, third] = received as [{ args: Float32Array[] }, { value: Int32Array }, string];
    assert.ok(first.args[0] instanceof Float32Array && first.args[0].length === big.length && first.args[0][299_999] === big[299_999]);
    assert.deepEqual(Array.from(second.value), [1, -2, 3]);
    assert.ok(second.value instanceof Int32Array);
    assert.equal(third, 'last');
  });
});

