/**
 * A worker thread of the WebAssembly backend (bundled to dist/wasm-worker.js): instantiates the
 * kernels over the shared memory with its own shadow stack, then, each time the main thread
 * wakes it, takes jobs from the pass's queue until it is empty (see control.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { KernelExports } from './abi';
import { CONTROL_INTS, Control, STATUS_TRAPPED, type WorkerData } from './control';
import { drainQueue } from './jobs';

const data = workerData as WorkerData;
const kernels = new WebAssembly.Instance(data.module, { env: { memory: data.memory } }).exports as unknown as KernelExports;
kernels.__stack_pointer.value = data.stackTop;
const control = new Int32Array(data.memory.buffer, data.control, CONTROL_INTS);
parentPort?.postMessage('ready');

let seen = Atomics.load(control, Control.seq);
for (;;) {
  Atomics.wait(control, Control.seq, seen);
  const seq = Atomics.load(control, Control.seq);
  if (seq === seen) continue;
  seen = seq;
  if (Atomics.load(control, Control.stop)) break;
  let status = 0;
  try {
    drainQueue(kernels, data.memory, data.queue, Atomics.load(control, Control.work), Atomics.load(control, Control.workFloats));
  } catch (err) {
    status = STATUS_TRAPPED;
    parentPort?.postMessage(`wasm worker: ${String(err)}`);
  }
  Atomics.store(control, Control.status, status);
  Atomics.store(control, Control.done, seq);
  Atomics.notify(control, Control.done);
}
