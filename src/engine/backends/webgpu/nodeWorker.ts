/**
 * The worker thread (bundled to dist/webgpu-worker.js) that hosts Dawn for the CLI and the trainer.
 * WebGPU answers asynchronously while the Network interface is synchronous, so the calling thread
 * blocks on a shared flag (nodeHost.ts) while this thread awaits the GPU; each answer is posted on
 * the port, then the flag is raised.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { dawnGpu } from './dawn';
import { WORKER_GONE } from './nodeHost';
import { GpuServer, type GpuRequest } from './server';

interface WorkerData {
  port: MessagePort;
  signal: Int32Array;
}

const { port, signal } = workerData as WorkerData;
const server = new GpuServer(dawnGpu);

port.on('message', (request: GpuRequest) => {
  void server.handle(request).then((answer) => {
    port.postMessage(answer);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  });
});
// A caller blocked on the flag learns that no answer will come.
process.on('exit', () => {
  Atomics.store(signal, 0, WORKER_GONE);
  Atomics.notify(signal, 0);
});
// Keeps the thread alive while the port is open (the parent closes it to end the worker).
parentPort?.on('message', () => {});
