/**
 * Shared control blocks (int32 in the wasm memory) between the main thread and the workers.
 *
 * A pass is one job run by a team: the main thread (thread 0) and workers 1 .. n-1. The main
 * thread writes the job, stores its pointer in each worker's JOB, bumps SEQ and notifies; every
 * thread then calls job_run(job, thread), whose phases meet at barriers inside the kernels
 * (spin briefly, then memory.atomic.wait). A worker then sets STATUS, DONE = SEQ and notifies.
 * Between passes, workers sleep in Atomics.wait.
 */
export const Control = { seq: 0, done: 1, job: 2, status: 3, stop: 4 } as const;
export const CONTROL_INTS = 5;
/** STATUS when the kernels trapped on the worker. */
export const STATUS_TRAPPED = -1;

export interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: number;
  /** This worker's index in the team (the main thread is 0). */
  thread: number;
  stackTop: number;
  /** The native matrix products the team runs, if any (each worker binds its own imports); native.ts. */
  nativeProducts?: { source: string | undefined };
}
