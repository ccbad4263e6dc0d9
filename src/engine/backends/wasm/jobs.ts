/**
 * Taking jobs from a pass's queue (see control.ts); shared by the main thread and the workers.
 * Each job runs in the calling thread's workspace, written into the job just before it runs.
 */
import { JobField, type KernelExports } from './abi';
import { Queue } from './control';

export function drainQueue(kernels: KernelExports, memory: WebAssembly.Memory, queuePtr: number, work: number, workFloats: number): void {
  const ints = new Int32Array(memory.buffer);
  const queue = queuePtr >> 2;
  const count = Atomics.load(ints, queue + Queue.count);
  const list = Atomics.load(ints, queue + Queue.jobs) >> 2;
  for (let i = Atomics.add(ints, queue + Queue.next, 1); i < count; i = Atomics.add(ints, queue + Queue.next, 1)) {
    const job = ints[list + i];
    ints[(job >> 2) + JobField.work] = work;
    ints[(job >> 2) + JobField.workFloats] = workFloats;
    kernels.job_run(job);
  }
}
