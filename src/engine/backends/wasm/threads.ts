/**
 * Worker threads over the shared memory. `run` queues a pass's jobs, wakes the workers, takes
 * jobs on the calling thread too, and blocks in `Atomics.wait` until every worker is done: one
 * synchronisation per pass. With one thread there are no workers at all.
 */
import { Worker } from 'node:worker_threads';
import type { KernelExports, Ptr } from './abi';
import { CONTROL_INTS, Control, QUEUE_INTS, Queue, STATUS_TRAPPED, type WorkerData } from './control';
import { drainQueue } from './jobs';
import { findBundledFile, WORKER_FILE, WORKER_STACK_BYTES, type WasmHeap } from './runtime';

interface PoolWorker {
  worker: Worker;
  control: Int32Array;
  lastMessage?: string;
}

/** Where one thread's jobs run: a workspace big enough for any job of the pass. */
export interface Workspace {
  ptr: Ptr;
  floats: number;
}

export class ThreadPool {
  private listPtr = 0;
  private listCapacity = 0;

  private constructor(
    private readonly kernels: KernelExports,
    private readonly heap: WasmHeap,
    private readonly queuePtr: Ptr,
    private readonly workers: PoolWorker[],
  ) {}

  /** Starts `count` workers (resolves once each has instantiated the kernels). */
  static async create(kernels: KernelExports, module: WebAssembly.Module, heap: WasmHeap, count: number): Promise<ThreadPool> {
    const file = findBundledFile(WORKER_FILE);
    if (!file) throw new Error(`${WORKER_FILE} was not found beside ${__dirname}; run "npm run build"`);
    const queuePtr = heap.allocFloats(QUEUE_INTS);
    const workers: PoolWorker[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const controlPtr = heap.allocFloats(CONTROL_INTS);
        const stack = heap.alloc(WORKER_STACK_BYTES);
        const data: WorkerData = { module, memory: heap.memory, queue: queuePtr, control: controlPtr, stackTop: stack + WORKER_STACK_BYTES };
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
    return new ThreadPool(kernels, heap, queuePtr, workers);
  }

  get size(): number {
    return this.workers.length + 1;
  }

  /** Runs every job once, on up to `workspaces.length` threads (workspaces[0] is the caller's). */
  run(jobs: Ptr[], workspaces: Workspace[]): void {
    const { heap } = this;
    if (this.listCapacity < jobs.length) {
      heap.free(this.listPtr);
      this.listPtr = heap.alloc(4 * jobs.length);
      this.listCapacity = jobs.length;
    }
    heap.i32(this.listPtr, jobs.length).set(jobs);
    const queue = heap.i32(this.queuePtr, QUEUE_INTS);
    Atomics.store(queue, Queue.jobs, this.listPtr);
    Atomics.store(queue, Queue.count, jobs.length);
    Atomics.store(queue, Queue.next, 0);

    const active = this.workers.slice(0, Math.min(jobs.length, workspaces.length) - 1);
    active.forEach((w, i) => {
      Atomics.store(w.control, Control.work, workspaces[i + 1].ptr);
      Atomics.store(w.control, Control.workFloats, workspaces[i + 1].floats);
      Atomics.add(w.control, Control.seq, 1);
      Atomics.notify(w.control, Control.seq);
    });
    let failure: unknown;
    try {
      drainQueue(this.kernels, heap.memory, this.queuePtr, workspaces[0].ptr, workspaces[0].floats);
    } catch (err) {
      failure = err;
    }
    // Always wait for the workers, so no pass overlaps the next one.
    for (const w of active) {
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
