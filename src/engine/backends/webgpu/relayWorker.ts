/**
 * The trainer's WebGPU host when the extension runs it (bundled to dist/webgpu-relay.js): the
 * device is `navigator.gpu` in the extension's GPU webview, reached through a socket the extension
 * host listens on (its path in RNN_LAB_GPU_SOCKET). Dawn cannot run in VS Code's Electron, and a
 * webview's WebGPU can only be reached by messages: this worker thread forwards each request to
 * the socket and posts the answer back, raising the shared flag the calling thread blocks on
 * (nodeHost.ts), so the Network interface stays synchronous, exactly as with the Dawn worker.
 */
import { connect } from 'node:net';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { WORKER_GONE } from './nodeHost';
import type { GpuAnswer, GpuRequest } from './server';
import { readFrames, writeFrame } from './socketFrames';

interface RelayData {
  port: MessagePort;
  signal: Int32Array;
  socketPath: string;
}

const { port, signal, socketPath } = workerData as RelayData;
let waiting = false;
let connected = false;
let ended: string | undefined;

function answer(value: GpuAnswer): void {
  waiting = false;
  port.postMessage(value);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

/** Once the extension host or its GPU tab is gone, every request is answered as a lost device. */
function lostAnswer(): GpuAnswer {
  if (!connected) return { ok: false, error: { name: 'WebGpuError', kind: 'host', message: `${ended} (${socketPath})` } };
  return { ok: false, error: { name: 'WebGpuError', kind: 'device-lost', message: `the WebGPU device was lost (${ended})` } };
}

const socket = connect(socketPath, () => {
  connected = true;
});
socket.on('error', (error) => {
  ended ??= `the connection to the RNN Lab GPU tab failed: ${error.message}`;
});
socket.on('close', () => {
  ended ??= 'the connection to the RNN Lab GPU tab closed';
  if (waiting) answer(lostAnswer());
});
readFrames(socket, (value) => answer(value as GpuAnswer));

port.on('message', (request: GpuRequest) => {
  if (ended) return answer(lostAnswer());
  waiting = true;
  writeFrame(socket, request);
});
// A caller blocked on the flag learns that no answer will come.
process.on('exit', () => {
  Atomics.store(signal, 0, WORKER_GONE);
  Atomics.notify(signal, 0);
});
// Keeps the thread alive while the port is open (the parent closes it to end the worker).
parentPort?.on('message', () => {});
