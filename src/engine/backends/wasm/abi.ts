/**
 * The TypeScript side of the kernels' ABI: the exported functions, and the field indices of the
 * structs declared in kernels/kernels.h (every field is 4 bytes after an 8-byte double, so a
 * field's byte offset is 4 x its index). `checkAbi` compares the struct sizes at load time.
 */

/** Pointers are byte offsets into the shared memory. */
export type Ptr = number;

export interface KernelExports {
  __stack_pointer: WebAssembly.Global;
  __heap_base: WebAssembly.Global;
  net_struct_bytes(): number;
  job_struct_bytes(): number;
  step_struct_bytes(): number;
  update_struct_bytes(): number;
  job_work_floats(job: Ptr, withDropout: number): number;
  /** Thread `thread` of the job's team: every thread 0 .. job.threads - 1 must call it. */
  job_run(job: Ptr, thread: number): number;
  step_work_floats(net: Ptr, batch: number): number;
  step_run(step: Ptr): void;
  add_into(dst: Ptr, src: Ptr, n: number): void;
  /** 1: the matrix products call the native imports (native.ts); stored in the shared memory, so for every thread. */
  set_native_products(mode: number): void;
  dropout_hash(seed: number, site: number, row: number, step: number, unit: number): number;
}

export const MAX_LAYERS = 16;
export const CELL_CODE = { rnn: 0, gru: 1, lstm: 2 } as const;
export const DENSE_ACTIVATION_CODE = { relu: 0, tanh: 1, linear: 2 } as const;

/** Net: the model's shape and its tensors' offsets (in floats) into the parameter array. */
export const NetField = {
  cell: 0, vocab: 1, hidden: 2, layers: 3, embed: 4, params: 5, paramCount: 6,
  embOff: 7, outKernelOff: 8, outBiasOff: 9,
  kernelOff: 10, recOff: 10 + MAX_LAYERS, biasOff: 10 + 2 * MAX_LAYERS,
  dense: 10 + 3 * MAX_LAYERS, denseAct: 11 + 3 * MAX_LAYERS, denseKernelOff: 12 + 3 * MAX_LAYERS, denseBiasOff: 13 + 3 * MAX_LAYERS,
  stateRow: 14 + 3 * MAX_LAYERS, layerHidden: 15 + 3 * MAX_LAYERS, stateOff: 15 + 4 * MAX_LAYERS,
} as const;
export const NET_BYTES = 4 * (15 + 5 * MAX_LAYERS);

/** Job: one pass, run by a team of threads. Index 0-1 is the double `loss_sum`. */
export const JobField = {
  net: 2, grads: 3, work: 4, workFloats: 5, batch: 6, steps: 7, threads: 8,
  inputs: 9, targets: 10, mask: 11, state: 12, carry: 13, backward: 14, dropoutOn: 15,
  seed: 16, dropout: 17, gradScale: 18, status: 19, update: 20, sync: 21,
} as const;
/** The team's barrier words (after JobField.sync): set ABORT to release every waiting thread. */
export const SyncWord = { generation: 1, abort: 3 } as const;
/**
 * 4 + 4 sync words, then the kernels' private fields: 6 x MAX_LAYERS layer buffers, 11 shared
 * buffers, row losses, step and product counters, 2 id arrays, zrows, 2 Dense buffers; the size
 * rounded up to 8 bytes (the struct holds a double).
 */
export const JOB_BYTES = 8 * Math.ceil((4 * (29 + 6 * MAX_LAYERS + 11 + 1 + 2 + 2 + 1 + 2)) / 8);

/**
 * Update: the optimizer update a training pass ends with. Float64 fields by Float64Array index
 * (`scalars` holds up to 8), then 4-byte fields by Int32Array index; `state` is 2 pointers.
 */
export const UpdateF64 = { norm: 0, clipNorm: 1, scalars: 2 } as const;
export const MAX_UPDATE_SCALARS = 8;
export const UpdateField = { rule: 20, chunk: 21, state: 22, partials: 24 } as const;
export const UPDATE_BYTES = 8 * Math.ceil((4 * 25) / 8);
export const UPDATE_RULE_CODE = { sgd: 0, momentum: 1, rmsprop: 2, adam: 3, adagrad: 4, adadelta: 5 } as const;

/** StepJob: one stepper call. */
export const StepField = { net: 0, batch: 1, tokens: 2, state: 3, logits: 4, work: 5 } as const;
export const STEP_BYTES = 4 * 6;

export function checkAbi(k: KernelExports): void {
  const sizes: Array<[string, number, number]> = [
    ['Net', k.net_struct_bytes(), NET_BYTES],
    ['Job', k.job_struct_bytes(), JOB_BYTES],
    ['StepJob', k.step_struct_bytes(), STEP_BYTES],
    ['Update', k.update_struct_bytes(), UPDATE_BYTES],
  ];
  for (const [name, actual, expected] of sizes) {
    if (actual !== expected) throw new Error(`kernels.wasm does not match this build (${name} is ${actual} bytes, expected ${expected}); rebuild with npm run build`);
  }
}
