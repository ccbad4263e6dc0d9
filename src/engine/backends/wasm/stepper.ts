/**
 * Stateful stepping for sampling and the hover: one kernel call per step for all streams
 * (matrix-vector products at batch 1). State layout, as the Stepper interface declares: per stream,
 * per layer, `stateSizePerLayer(spec, layer)` floats (LSTM: h then c).
 */
import { stateSizePerRow } from '../../model/spec';
import type { Stepper } from '../types';
import { STEP_BYTES, StepField, type Ptr } from './abi';
import type { WasmNetwork, WasmRuntime } from './network';

export class WasmStepper implements Stepper {
  private readonly job: Ptr;
  private readonly tokens: Ptr;
  private readonly state: Ptr;
  private readonly logits: Ptr;
  private readonly work: Ptr;
  private readonly stateFloats: number;
  private readonly logitsView: Float32Array;
  private readonly tokensView: Int32Array;
  private readonly stateView: Float32Array;
  private disposed = false;

  constructor(private readonly rt: WasmRuntime, private readonly net: WasmNetwork, readonly batchSize: number, private readonly onDispose: () => void) {
    if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RangeError(`stepper batch size must be a positive integer (got ${batchSize})`);
    const { heap, kernels } = rt;
    const spec = net.spec;
    this.stateFloats = batchSize * stateSizePerRow(spec);
    this.job = heap.alloc(STEP_BYTES);
    this.tokens = heap.allocFloats(batchSize);
    this.state = heap.allocFloats(this.stateFloats);
    this.logits = heap.allocFloats(batchSize * spec.vocabSize);
    this.work = heap.allocFloats(kernels.step_work_floats(net.netPtr, batchSize));
    const fields = heap.i32(this.job, STEP_BYTES / 4);
    fields[StepField.net] = net.netPtr;
    fields[StepField.batch] = batchSize;
    fields[StepField.tokens] = this.tokens;
    fields[StepField.state] = this.state;
    fields[StepField.logits] = this.logits;
    fields[StepField.work] = this.work;
    // Views on shared memory stay valid when the memory grows.
    this.logitsView = heap.f32(this.logits, batchSize * spec.vocabSize);
    this.tokensView = heap.i32(this.tokens, batchSize);
    this.stateView = heap.f32(this.state, this.stateFloats);
  }

  step(tokens: Int32Array): Float32Array {
    this.checkAlive();
    if (tokens.length !== this.batchSize) throw new RangeError(`expected ${this.batchSize} tokens, got ${tokens.length}`);
    const V = this.net.spec.vocabSize;
    const view = this.tokensView;
    // An element loop: for the usual one or few tokens it is cheaper than TypedArray.set.
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i];
      if (!(token >= 0 && token < V)) throw new RangeError(`token id ${token} out of range 0..${V - 1}`);
      view[i] = token;
    }
    this.rt.kernels.step_run(this.job);
    return this.logitsView;
  }

  reset(): void {
    this.checkAlive();
    this.stateView.fill(0);
  }

  getState(): Float32Array {
    this.checkAlive();
    return this.stateView.slice();
  }

  setState(state: Float32Array): void {
    this.checkAlive();
    if (state.length !== this.stateFloats) throw new RangeError(`expected a state of ${this.stateFloats} floats, got ${state.length}`);
    this.stateView.set(state);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of [this.job, this.tokens, this.state, this.logits, this.work]) this.rt.heap.free(p);
    this.onDispose();
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('this stepper was disposed');
  }
}
