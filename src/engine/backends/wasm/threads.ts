/**
 * Worker threads over the shared memory. `run` hands a pass's job to the workers, runs thread 0
 * of it on the calling thread, and then waits in `Atomics.wait` until every worker is done. Inside
 * the pass the team synchronises in the kernels (one barrier per time step), never through
 * JavaScript. With one thread there are no workers at all.
 */
import { Worker } from 'node:worker_threads';
import { JobField, SyncWord, type KernelExports, type Ptr } from './abi';
import { CONTROL_INTS, Control, STATUS_TRAPPED, type WorkerData } from './control';
import { findBundledFile } from '../bundled';
import { WORKER_FILE, WORKER_STACK_BYTES, type WasmHeap } from './runtime';

interface PoolWorker {
  worker: Worker;
  control: Int32Array;
  lastMessage?: string;
}

export class ThreadPool {
  private constructor(
    private readonly kernels: KernelExports,
    private readonly heap: WasmHeap,
    private readonly workers: PoolWorker[],
  ) {}

  /** Starts `count` workers, threads 1 .. count of every team (resolves once each has instantiated the kernels). */
  static async create(kernels: KernelExports, module: WebAssembly.Module, heap: WasmHeap, count: number, nativeProducts: WorkerData['nativeProducts']): Promise<ThreadPool> {
    const file = findBundledFile(WORKER_FILE);
    if (!file) throw new Error(`${WORKER_FILE} was not found beside ${__dirname}; run "npm run build"`);
    const workers: PoolWorker[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const controlPtr = heap.allocFloats(CONTROL_INTS);
        const stack = heap.alloc(WORKER_STACK_BYTES);
        const data: WorkerData = { module, memory: heap.memory, control: controlPtr, thread: i + 1, stackTop: stack + WORKER_STACK_BYTES, nativeProducts };
        const worker = new Worker(file, { workerData: data });
        const entry: PoolWorker = { worker, control: heap.i32(controlPtr, CONTROL_INTS) };
        workers.push(entry);
        await new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`wasm worker exited with code ${code} while starting`)));
        });
        worker.removeAllListeners();
        // Kept for the error a failed pass reports; a listener also keeps 'error' from crashing the process.
        worker.on('message', (m) => (entry.lastMessage = String(m)));
        worker.on('error', (err) => (entry.lastMessage = String(err)));
        worker.unref();
      }
    } catch (err) {
      for (const w of workers) void w.worker.terminate();
      throw err;
    }
    return new ThreadPool(kernels, heap, workers);
  }

  get size(): number {
    return this.workers.length + 1;
  }

  /** Runs `job` (whose `threads` field is this pool's size) on every thread of the pool. */
  run(job: Ptr): void {
    const jobInts = this.heap.i32(job, JobField.sync + 4);
    Atomics.store(jobInts, JobField.sync + SyncWord.abort, 0);
    for (const w of this.workers) {
      Atomics.store(w.control, Control.job, job);
      Atomics.add(w.control, Control.seq, 1);
      Atomics.notify(w.control, Control.seq);
    }
    let failure: unknown;
    try {
      this.kernels.job_run(job, 0);
    } catch (err) {
      failure = err;
      Atomics.store(jobInts, JobField.sync + SyncWord.abort, 1);
      Atomics.notify(jobInts, JobField.sync + SyncWord.generation);
    }
    // Always wait for the workers, so no pass overlaps the next one.
    for (const w of this.workers) {
      const seq = Atomics.load(w.control, Control.seq);
      for (let done = Atomics.load(w.control, Control.done); done !== seq; done = Atomics.load(w.control, Control.done)) {
        Atomics.wait(w.control, Control.done, done);
      }
      if (Atomics.load(w.control, Control.status) === STATUS_TRAPPED && failure === undefined) {
        failure = new Error(`a WebAssembly worker failed${w.lastMessage ? `: ${w.lastMessage}` : ''}`);
      }
    }
    if (failure !== undefined) throw failure;
  }

  dispose(): void {
    for (const w of this.workers) {
      Atomics.store(w.control, Control.stop, 1);
      Atomics.add(w.control, Control.seq, 1);
      Atomics.notify(w.control, Control.seq);
      void w.worker.terminate();
    }
    this.workers.length = 0;
  }
}
