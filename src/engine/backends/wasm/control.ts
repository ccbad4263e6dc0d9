/**
 * Shared control blocks (int32 in the wasm memory) between the main thread and the workers.
 *
 * A pass is a list of jobs (row chunks of the batch). The main thread writes the list into the
 * queue block, resets NEXT, bumps each worker's SEQ and notifies; then every thread, main
 * included, takes jobs with Atomics.add(NEXT, 1) until none are left, running each in its own
 * workspace. A worker then sets DONE = SEQ and notifies. One round trip per pass, never per
 * time step; idle threads sleep in Atomics.wait (no spinning), and a thread slowed down by
 * another process simply takes fewer jobs.
 */
export const Queue = { next: 0, count: 1, jobs: 2 } as const;
export const QUEUE_INTS = 3;
export const Control = { seq: 0, done: 1, work: 2, workFloats: 3, status: 4, stop: 5 } as const;
export const CONTROL_INTS = 6;
/** STATUS when the kernels trapped on the worker. */
export const STATUS_TRAPPED = -1;

export interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  queue: number;
  control: number;
  stackTop: number;
}
