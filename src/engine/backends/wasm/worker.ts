/**
 * A worker thread of the WebAssembly backend (bundled to dist/wasm-worker.js): instantiates the
 * kernels over the shared memory with its own shadow stack, then, each time the main thread
 * wakes it, runs its part of the pass (see control.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { JobField, SyncWord } from './abi';
import { CONTROL_INTS, Control, STATUS_TRAPPED, type WorkerData } from './control';
import { productImports } from './native';
import { instantiate } from './runtime';

const data = workerData as WorkerData;
const kernels = instantiate(data.module, data.memory, data.nativeProducts ? productImports(data.memory, data.nativeProducts.source) : {});
kernels.__stack_pointer.value = data.stackTop;
const control = new Int32Array(data.memory.buffer, data.control, CONTROL_INTS);
// Read before saying ready: the first pass may bump SEQ the moment the main thread hears it.
let seen = Atomics.load(control, Control.seq);
parentPort?.postMessage('ready');
for (;;) {
  Atomics.wait(control, Control.seq, seen);
  const seq = Atomics.load(control, Control.seq);
  if (seq === seen) continue;
  seen = seq;
  if (Atomics.load(control, Control.stop)) break;
  const job = Atomics.load(control, Control.job);
  let status = 0;
  try {
    kernels.job_run(job, data.thread);
  } catch (err) {
    status = STATUS_TRAPPED;
    // Release the team from its barriers, or it would wait for this thread forever.
    const ints = new Int32Array(data.memory.buffer);
    Atomics.store(ints, (job >> 2) + JobField.sync + SyncWord.abort, 1);
    Atomics.notify(ints, (job >> 2) + JobField.sync + SyncWord.generation);
    parentPort?.postMessage(`wasm worker: ${String(err)}`);
  }
  Atomics.store(control, Control.status, status);
  Atomics.store(control, Control.done, seq);
  Atomics.notify(control, Control.done);
}
