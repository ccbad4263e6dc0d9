/**
 * Dawn's host thread for the CLI and the trainer (bundled to dist/webgpu-worker.js).
 *
 * As a worker thread: WebGPU answers asynchronously while the Network interface is synchronous, so
 * the calling thread blocks on a shared flag (nodeHost.ts) while this thread awaits the GPU; each
 * answer is posted on the port, then the flag is raised.
 *
 * Run as a script (`node webgpu-worker.js`): a probe for `auto`, in a process of its own, that
 * opens the adapter and prints the answer as one JSON line. Vulkan drivers and Dawn print their
 * complaints about unusable adapters (a software rasterizer, a missing runtime folder) straight to
 * the process's stderr, and a broken driver can crash the process: both stay in the probe.
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { dawnGpu } from './dawn';
import { PROBE_ALLOW_SOFTWARE, WORKER_GONE } from './nodeHost';
import { GpuServer, type GpuRequest } from './server';

interface WorkerData {
  port: MessagePort;
  signal: Int32Array;
}

if (isMainThread) {
  void new GpuServer(dawnGpu).handle({ op: 'open', allowSoftware: process.env[PROBE_ALLOW_SOFTWARE] === '1' }).then((answer) => {
    process.stdout.write(`${JSON.stringify(answer)}\n`);
    process.exit(0);
  });
} else {
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
}
