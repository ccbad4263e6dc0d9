/**
 * The calling side of the Dawn worker (nodeWorker.ts): synchronous calls into an asynchronous GPU.
 * A call posts its request on a MessageChannel, blocks with Atomics.wait until the worker raises
 * the shared flag, then takes the answer with receiveMessageOnPort. This keeps the Network
 * interface (and the training loop above it) synchronous, as for the CPU and CUDA backends.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { findBundledFile } from '../bundled';
import { WebGpuError } from './errors';
import type { GpuAnswer, GpuRequest } from './server';

export const WORKER_FILE = 'webgpu-worker.js';
/** The worker that relays to the extension's GPU webview instead (relayWorker.ts). */
export const RELAY_WORKER_FILE = 'webgpu-relay.js';
/** The probe's environment variable (nodeWorker.ts run as a script): 1 = accept a software adapter. */
export const PROBE_ALLOW_SOFTWARE = 'RNN_LAB_WEBGPU_ALLOW_SOFTWARE';
/** The flag's value when the worker thread ended instead of answering. */
export const WORKER_GONE = 2;

/** What network.ts needs of a host: one synchronous request at a time. */
export interface GpuHost {
  call(request: GpuRequest): unknown;
  close(): void;
}

/** A long step on a slow (software) adapter takes minutes; beyond this the worker is taken to be stuck. */
const ANSWER_TIMEOUT_MS = 30 * 60_000;

export class NodeGpuHost implements GpuHost {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private closed = false;

  /** `workerFile`: Dawn's worker, or the relay to the GPU webview with its `extra` data (the socket). */
  constructor(workerFile = WORKER_FILE, extra: Record<string, unknown> = {}) {
    const file = findBundledFile(workerFile);
    if (!file) throw new WebGpuError('no-dawn', `${workerFile} is missing beside the rnn-lab bundles (rebuild with npm run build)`);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(file, { workerData: { ...extra, port: port2, signal: this.signal }, transferList: [port2] });
    // The worker must not keep the process alive once the host is no longer used.
    this.worker.unref();
    this.port.unref();
  }

  call(request: GpuRequest): unknown {
    if (this.closed) throw new WebGpuError('host', 'the WebGPU host was closed');
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage(request);
    const started = Date.now();
    let message: { message: GpuAnswer } | undefined;
    for (;;) {
      Atomics.wait(this.signal, 0, 0, 1000);
      message = receiveMessageOnPort(this.port) as { message: GpuAnswer } | undefined;
      if (message) break;
      if (Atomics.load(this.signal, 0) === WORKER_GONE) throw new WebGpuError('host', 'the WebGPU worker thread stopped (see the error above)');
      if (Date.now() - started > ANSWER_TIMEOUT_MS) throw new WebGpuError('host', `the WebGPU worker did not answer within ${ANSWER_TIMEOUT_MS / 60_000} minutes`);
    }
    const answer = message.message;
    if (answer.ok) return answer.value;
    const { name, message: text, kind } = answer.error;
    if (kind) throw new WebGpuError(kind, text);
    if (name === 'RangeError') throw new RangeError(text);
    throw new Error(text);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}
