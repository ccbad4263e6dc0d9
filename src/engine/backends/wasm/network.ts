/**
 * A Network whose parameters, gradients and activations live in the kernels' memory. A pass is one
 * job over the whole batch, run by every thread of the backend together (kernels/net.c splits
 * each phase into tiles of the output and synchronises once per time step). No tile boundary
 * changes how any number is computed, and sums over the batch are never split, so 1 and N threads
 * give identical numbers.
 *
 * Dropout masks (training only) come from a counter-based hash of
 * (dropoutSeed, site = index of the layer whose output is dropped, batch row, step, unit):
 * a unit is dropped when the hash is below p * 2^32, kept ones are scaled by 1 / (1 - p)
 * (see `dropout_hash` in kernels/net.c).
 *
 * A training step (`trainStep`) ends the same pass with the gradient clipping and the optimizer
 * update, split among the same threads (kernels/update.c). The optimizer is the TypeScript one of
 * optim/, with its float64 state placed in the kernels' memory: it computes each step's scalars,
 * the kernels apply its per-parameter rule, and the results have the bits its own `step` gives.
 */
import { layerHiddenSize, layerHiddenSizes, paramLayout, stateOffsetOfLayer, stateSizePerRow, type ModelSpec, type ParamLayout } from '../../model/spec';
import { NORM_CHUNK } from '../../optim/clip';
import { createOptimizer, type Optimizer, type OptimizerState } from '../../optim/optimizers';
import type { DeviceStepResult, LossResult, Network, PassOptions, Stepper, UpdateRule } from '../types';
import type { CarriedStateCopy, TokenBatch } from '../../tensor';
import {
  CELL_CODE, DENSE_ACTIVATION_CODE, JOB_BYTES, JobField, MAX_LAYERS, MAX_UPDATE_SCALARS, NET_BYTES, NetField, UPDATE_BYTES, UPDATE_RULE_CODE,
  UpdateF64, UpdateField, type KernelExports, type Ptr,
} from './abi';
import type { WasmHeap } from './runtime';
import { WasmStepper } from './stepper';
import type { ThreadPool } from './threads';

export interface WasmRuntime {
  kernels: KernelExports;
  heap: WasmHeap;
  /** Absent with one thread. */
  pool?: ThreadPool;
  threads: number;
  /**
   * The scratch workspace of a pass, shared by every network of the backend: passes run one at a
   * time, so a second network (validation) needs no scratch memory of its own.
   */
  workspace: { ptr: Ptr; floats: number };
}

export class WasmNetwork implements Network {
  readonly layout: ParamLayout;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly netPtr: Ptr;
  readonly paramsPtr: Ptr;
  readonly gradsPtr: Ptr;
  private readonly job: Ptr;
  private readonly update: Ptr;
  private readonly normPartials: Ptr;
  /** The optimizer `trainStep` applies, its state in the kernels' memory; created by the first step. */
  private optimizer: Optimizer | undefined;
  private batchIo = { inputs: 0, targets: 0, mask: 0, capacity: 0 };
  private carried = { ptr: 0, batchSize: -1 };
  private readonly owned = new Set<{ dispose(): void }>();
  private disposed = false;

  constructor(private readonly rt: WasmRuntime, readonly spec: ModelSpec) {
    this.layout = paramLayout(spec);
    if (spec.layers > MAX_LAYERS) throw new RangeError(`the WebAssembly backend supports up to ${MAX_LAYERS} layers`);
    const { heap } = rt;
    const P = this.layout.total;
    this.paramsPtr = heap.allocFloats(P);
    this.gradsPtr = heap.allocFloats(P);
    this.params = heap.f32(this.paramsPtr, P);
    this.grads = heap.f32(this.gradsPtr, P);
    this.netPtr = heap.alloc(NET_BYTES);
    this.job = heap.allocFloats(JOB_BYTES / 4);
    this.update = heap.alloc(UPDATE_BYTES);
    this.normPartials = heap.alloc(8 * Math.ceil(P / NORM_CHUNK));
    this.writeNetStruct();
  }

  paramsChanged(): void {
    // The kernels read `params` in place.
  }

  forwardBackward(batch: TokenBatch, options: PassOptions): LossResult {
    return this.pass(batch, options, true);
  }

  evaluate(batch: TokenBatch, options: PassOptions): LossResult {
    return this.pass(batch, options, false);
  }

  /** Forward, backward, clipping and the optimizer update in one pass of the team. */
  trainStep(batch: TokenBatch, options: PassOptions, rule: UpdateRule): DeviceStepResult {
    const optimizer = this.optimizerFor(rule.optimizer);
    optimizer.learningRate = rule.learningRate;
    const scalars = optimizer.nextStep();
    if (scalars.length > MAX_UPDATE_SCALARS) throw new RangeError(`the ${rule.optimizer} optimizer has more scalars than kernels/update.c takes`);
    const { heap } = this.rt;
    const f64 = heap.f64(this.update, UPDATE_BYTES / 8);
    f64[UpdateF64.clipNorm] = rule.clipNorm > 0 ? rule.clipNorm : 0;
    f64.set(scalars, UpdateF64.scalars);
    const ints = heap.i32(this.update, UPDATE_BYTES / 4);
    ints[UpdateField.rule] = UPDATE_RULE_CODE[rule.optimizer];
    ints[UpdateField.chunk] = NORM_CHUNK;
    optimizer.stateArrays().forEach((array, k) => { ints[UpdateField.state + k] = array.byteOffset; });
    ints[UpdateField.partials] = this.normPartials;
    const result = this.pass(batch, options, true, this.update);
    return { ...result, gradNorm: f64[UpdateF64.norm] };
  }

  /** A copy of the optimizer state (for checkpoints); undefined before the first step. */
  getOptimizerState(): OptimizerState | undefined {
    return this.optimizer?.getState();
  }

  setOptimizerState(state: OptimizerState): void {
    this.checkAlive();
    this.optimizerFor(state.name).setState(state);
  }

  resetState(): void {
    this.carried.batchSize = -1;
  }

  getCarriedState(): CarriedStateCopy | undefined {
    const c = this.carried;
    if (c.batchSize < 0) return undefined;
    const floats = c.batchSize * stateSizePerRow(this.spec);
    return { batchSize: c.batchSize, values: this.rt.heap.f32(c.ptr, floats).slice() };
  }

  setCarriedState(state: CarriedStateCopy | undefined): void {
    this.checkAlive();
    if (!state) {
      this.resetState();
      return;
    }
    const floats = state.batchSize * stateSizePerRow(this.spec);
    if (state.values.length !== floats) throw new RangeError(`carried state must hold ${floats} values`);
    this.prepareCarriedState(state.batchSize, false);
    this.rt.heap.f32(this.carried.ptr, floats).set(state.values);
    this.carried.batchSize = state.batchSize;
  }

  createStepper(batchSize: number): Stepper {
    this.checkAlive();
    const stepper = new WasmStepper(this.rt, this, batchSize, () => this.owned.delete(stepper));
    this.owned.add(stepper);
    return stepper;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const o of [...this.owned]) o.dispose();
    const { heap } = this.rt;
    this.releaseOptimizer();
    [this.job, this.update, this.normPartials, this.paramsPtr, this.gradsPtr, this.netPtr, this.batchIo.inputs, this.batchIo.targets, this.batchIo.mask, this.carried.ptr]
      .forEach((p) => heap.free(p));
  }

  /** The optimizer called `name`, its state zeroed in the kernels' memory when it is new. */
  private optimizerFor(name: UpdateRule['optimizer']): Optimizer {
    if (this.optimizer?.name === name) return this.optimizer;
    this.releaseOptimizer();
    const { heap } = this.rt;
    const optimizer = createOptimizer(name, 0, this.layout.total);
    optimizer.placeState((size) => heap.f64(heap.alloc(8 * size), size).fill(0));
    this.optimizer = optimizer;
    return optimizer;
  }

  private releaseOptimizer(): void {
    this.optimizer?.stateArrays().forEach((array) => this.rt.heap.free(array.byteOffset));
    this.optimizer = undefined;
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('this network was disposed');
  }

  private writeNetStruct(): void {
    const { spec, layout } = this;
    const ints = this.rt.heap.i32(this.netPtr, NET_BYTES / 4);
    const offset = (name: string) => layout.byName.get(name)?.offset ?? -1;
    ints[NetField.cell] = CELL_CODE[spec.cell];
    ints[NetField.vocab] = spec.vocabSize;
    ints[NetField.hidden] = Math.max(...layerHiddenSizes(spec));
    ints[NetField.stateRow] = stateSizePerRow(spec);
    ints[NetField.layers] = spec.layers;
    ints[NetField.embed] = spec.embeddingSize;
    ints[NetField.params] = this.paramsPtr;
    ints[NetField.paramCount] = layout.total;
    ints[NetField.embOff] = offset('embedding');
    ints[NetField.outKernelOff] = offset('output.kernel');
    ints[NetField.outBiasOff] = offset('output.bias');
    ints[NetField.dense] = spec.hiddenDense;
    ints[NetField.denseAct] = DENSE_ACTIVATION_CODE[spec.hiddenActivation];
    ints[NetField.denseKernelOff] = offset('dense.kernel');
    ints[NetField.denseBiasOff] = offset('dense.bias');
    for (let l = 0; l < spec.layers; l++) {
      ints[NetField.kernelOff + l] = offset(`l${l}.kernel`);
      ints[NetField.recOff + l] = offset(`l${l}.recurrent_kernel`);
      ints[NetField.biasOff + l] = offset(`l${l}.bias`);
      ints[NetField.layerHidden + l] = layerHiddenSize(spec, l);
      ints[NetField.stateOff + l] = stateOffsetOfLayer(spec, l);
    }
  }

  /** One pass of the team; with `update`, the kernels clip and update the parameters at its end. */
  private pass(batch: TokenBatch, options: PassOptions, backward: boolean, update: Ptr = 0): LossResult {
    this.checkAlive();
    const { heap, kernels } = this.rt;
    const { batchSize: B, steps: T } = batch;
    const count = this.copyBatchIn(batch);
    const carry = this.prepareCarriedState(B, options.carryState);
    const dropoutOn = backward && (options.train ?? true) && this.spec.dropout > 0;

    const ints = heap.i32(this.job, JOB_BYTES / 4);
    const floats = heap.f32(this.job, JOB_BYTES / 4);
    ints[JobField.net] = this.netPtr;
    ints[JobField.grads] = this.gradsPtr;
    ints[JobField.batch] = B;
    ints[JobField.steps] = T;
    ints[JobField.threads] = this.rt.threads;
    ints[JobField.inputs] = this.batchIo.inputs;
    ints[JobField.targets] = this.batchIo.targets;
    ints[JobField.mask] = batch.mask ? this.batchIo.mask : 0;
    ints[JobField.state] = this.carried.ptr;
    ints[JobField.carry] = carry ? 1 : 0;
    ints[JobField.backward] = backward ? 1 : 0;
    ints[JobField.dropoutOn] = dropoutOn ? 1 : 0;
    ints[JobField.seed] = (options.dropoutSeed ?? 0) >>> 0;
    floats[JobField.dropout] = this.spec.dropout;
    floats[JobField.gradScale] = count > 0 ? 1 / count : 0;
    ints[JobField.status] = 0;
    ints[JobField.update] = update;
    const ws = this.ensureWorkspace(kernels.job_work_floats(this.job, dropoutOn ? 1 : 0));
    ints[JobField.work] = ws.ptr;
    ints[JobField.workFloats] = ws.floats;

    if (this.rt.pool) this.rt.pool.run(this.job);
    else kernels.job_run(this.job, 0);

    const lossSum = heap.f64(this.job, 1)[0];
    this.carried.batchSize = B;
    return { lossSum, count };
  }

  /** Copies ids (and mask) into the kernels' memory; returns the number of counted positions. */
  private copyBatchIn(batch: TokenBatch): number {
    const { batchSize: B, steps: T, inputs, targets, mask } = batch;
    const n = B * T;
    if (!(Number.isInteger(B) && B > 0 && Number.isInteger(T) && T > 0)) throw new RangeError(`bad batch shape ${B}x${T}`);
    if (inputs.length !== n || targets.length !== n || (mask && mask.length !== n)) throw new RangeError(`batch arrays must hold ${B}x${T} entries`);
    const V = this.spec.vocabSize;
    for (let i = 0; i < n; i++) {
      const x = inputs[i], y = targets[i];
      if (!(x >= 0 && x < V && y >= 0 && y < V)) throw new RangeError(`token id out of range 0..${V - 1} at row ${Math.floor(i / T)}, step ${i % T}`);
    }
    const { heap } = this.rt;
    const io = this.batchIo;
    if (io.capacity < n) {
      [io.inputs, io.targets, io.mask].forEach((p) => heap.free(p));
      io.inputs = heap.alloc(4 * n);
      io.targets = heap.alloc(4 * n);
      io.mask = heap.alloc(4 * n);
      io.capacity = n;
    }
    heap.i32(io.inputs, n).set(inputs);
    heap.i32(io.targets, n).set(targets);
    if (!mask) return n;
    heap.f32(io.mask, n).set(mask);
    let count = 0;
    for (let i = 0; i < n; i++) count += mask[i];
    return count;
  }

  /** Carried state only makes sense for the same number of streams; otherwise start from zeros. */
  private prepareCarriedState(B: number, carryState: boolean): boolean {
    const c = this.carried;
    if (c.batchSize === B) return carryState;
    const floats = B * stateSizePerRow(this.spec);
    this.rt.heap.free(c.ptr);
    c.ptr = this.rt.heap.allocFloats(floats);
    c.batchSize = -1;
    return false;
  }

  private ensureWorkspace(floats: number): { ptr: Ptr; floats: number } {
    const ws = this.rt.workspace;
    if (ws.floats >= floats) return ws;
    this.rt.heap.free(ws.ptr);
    ws.ptr = this.rt.heap.alloc(4 * floats);
    ws.floats = floats;
    return ws;
  }
}
