/**
 * The Network the training loop uses on the WebGPU backend: a synchronous front for a GpuModel
 * that lives with the device, behind a GpuHost (the Dawn worker of the CLI; a webview could host
 * it the same way). Host copies of `params` and `grads` are refreshed only when read, as for CUDA.
 * Sampling and the hover step on a CPU network with a copy of the weights.
 *
 * When the device is lost mid-run (a driver reset, a removed GPU), the network carries on on the CPU
 * engine from the last weights it read back (at the last evaluation or checkpoint), with a fresh
 * optimizer state, and says so through `onDeviceLost`.
 */
import { paramLayout, type ModelSpec, type ParamLayout } from '../../model/spec';
import { clipGlobalNorm } from '../../optim/clip';
import { createOptimizer, type Optimizer, type OptimizerState } from '../../optim/optimizers';
import type { DeviceStepResult, LossResult, Network, PassOptions, Stepper, UpdateRule } from '../types';
import type { CarriedStateCopy, FloatArray, TokenBatch } from '../../tensor';
import { WebGpuError } from './errors';
import type { GpuHost } from './nodeHost';
import type { ModelMethod } from './server';

export type CpuNetworkFactory = (spec: ModelSpec) => Network;

export interface WebGpuNetworkOptions {
  /** Called once if the device is lost; the network then trains on the CPU. Without it the error is thrown. */
  onDeviceLost?: (message: string) => void;
}

let nextId = 1;

export class WebGpuNetwork implements Network {
  readonly layout: ParamLayout;
  private readonly id = nextId++;
  private readonly hostParams: Float32Array;
  private readonly hostGrads: Float32Array;
  private paramsStale = false;
  private gradsStale = false;
  private cpuMirror: Network | undefined;
  /** After a lost device: the CPU network that carries on, and its optimizer (when it has no trainStep). */
  private fallback: { net: Network; optimizer?: Optimizer } | undefined;
  private disposed = false;

  constructor(
    private readonly host: GpuHost,
    readonly spec: ModelSpec,
    private readonly cpuNetwork: CpuNetworkFactory,
    reserve?: { batchSize: number; steps: number },
    private readonly options: WebGpuNetworkOptions = {},
  ) {
    this.layout = paramLayout(spec);
    this.hostParams = new Float32Array(this.layout.total);
    this.hostGrads = new Float32Array(this.layout.total);
    host.call({ op: 'create', id: this.id, spec, reserve });
  }

  get params(): FloatArray {
    if (this.fallback) return this.fallback.net.params;
    if (this.paramsStale) {
      this.hostParams.set(this.invoke('getParams') as Float32Array);
      this.paramsStale = false;
    }
    return this.hostParams;
  }

  get grads(): FloatArray {
    if (this.fallback) return this.fallback.net.grads;
    if (this.gradsStale) {
      this.hostGrads.set(this.invoke('getGrads') as Float32Array);
      this.gradsStale = false;
    }
    return this.hostGrads;
  }

  paramsChanged(): void {
    if (this.fallback) return this.fallback.net.paramsChanged();
    // `params` was read (and so is current) before anyone could write into it.
    this.paramsStale = false;
    this.invoke('setParams', this.hostParams);
  }

  forwardBackward(batch: TokenBatch, options: PassOptions): LossResult {
    if (this.fallback) return this.fallback.net.forwardBackward(batch, options);
    const result = this.invoke('forwardBackward', plainBatch(batch), options) as LossResult;
    this.gradsStale = true;
    return result;
  }

  evaluate(batch: TokenBatch, options: PassOptions): LossResult {
    if (this.fallback) return this.fallback.net.evaluate(batch, options);
    return this.invoke('evaluate', plainBatch(batch), options) as LossResult;
  }

  trainStep(batch: TokenBatch, options: PassOptions, rule: UpdateRule): DeviceStepResult {
    if (this.fallback) return this.cpuStep(batch, options, rule);
    const result = this.invoke('trainStep', plainBatch(batch), options, rule) as DeviceStepResult;
    this.paramsStale = true;
    this.gradsStale = true;
    return result;
  }

  resetState(): void {
    if (this.fallback) return this.fallback.net.resetState();
    this.invoke('resetState');
  }

  getCarriedState(): CarriedStateCopy | undefined {
    if (this.fallback) return this.fallback.net.getCarriedState?.();
    return this.invoke('getCarriedState') as CarriedStateCopy | undefined;
  }

  setCarriedState(state: CarriedStateCopy | undefined): void {
    if (this.fallback) return this.fallback.net.setCarriedState?.(state);
    this.invoke('setCarriedState', state && { batchSize: state.batchSize, values: Float32Array.from(state.values) });
  }

  getOptimizerState(): OptimizerState | undefined {
    if (this.fallback) return this.fallback.optimizer?.getState() ?? this.fallback.net.getOptimizerState?.();
    return this.invoke('getOptimizerState') as OptimizerState | undefined;
  }

  setOptimizerState(state: OptimizerState): void {
    if (this.fallback) {
      if (this.fallback.optimizer) this.fallback.optimizer.setState(state);
      else this.fallback.net.setOptimizerState?.(state);
      return;
    }
    this.invoke('setOptimizerState', state);
  }

  /** A stepper on the CPU engine over a copy of the current weights (refreshed at each call). */
  createStepper(batchSize: number): Stepper {
    if (this.fallback) return this.fallback.net.createStepper(batchSize);
    this.cpuMirror ??= this.cpuNetwork(this.spec);
    this.cpuMirror.params.set(this.params);
    this.cpuMirror.paramsChanged();
    return this.cpuMirror.createStepper(batchSize);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cpuMirror?.dispose();
    this.fallback?.net.dispose();
    try {
      if (!this.fallback) this.host.call({ op: 'dispose', id: this.id });
    } catch {
      // A lost device or a closed host has nothing left to free.
    }
  }

  private invoke(method: ModelMethod, ...args: unknown[]): unknown {
    if (this.disposed) throw new Error('this network was disposed');
    try {
      return this.host.call({ op: 'call', id: this.id, method, args });
    } catch (error) {
      if (!(error instanceof WebGpuError && error.kind === 'device-lost' && this.options.onDeviceLost)) throw error;
      this.continueOnCpu(error.message);
      // Answer this call from the CPU network.
      return this.callFallback(method, args);
    }
  }

  /** Moves the run to a CPU network holding the last weights read back from the GPU. */
  private continueOnCpu(reason: string): void {
    const net = this.cpuNetwork(this.spec);
    net.params.set(this.hostParams);
    net.paramsChanged();
    this.fallback = { net };
    this.options.onDeviceLost!(`${reason}; training continues on the CPU engine from the weights last read back from the GPU, with a fresh optimizer state`);
  }

  private callFallback(method: ModelMethod, args: unknown[]): unknown {
    const net = this.fallback!.net;
    switch (method) {
      case 'getParams':
        return net.params;
      case 'getGrads':
        return net.grads;
      case 'setParams':
        net.params.set(args[0] as Float32Array);
        return net.paramsChanged();
      case 'forwardBackward':
        return net.forwardBackward(args[0] as TokenBatch, args[1] as PassOptions);
      case 'evaluate':
        return net.evaluate(args[0] as TokenBatch, args[1] as PassOptions);
      case 'trainStep':
        return this.cpuStep(args[0] as TokenBatch, args[1] as PassOptions, args[2] as UpdateRule);
      case 'resetState':
        return net.resetState();
      case 'getCarriedState':
        return net.getCarriedState?.();
      case 'setCarriedState':
        return net.setCarriedState?.(args[0] as CarriedStateCopy | undefined);
      case 'getOptimizerState':
        return undefined;
      case 'setOptimizerState':
        return this.setOptimizerState(args[0] as OptimizerState);
    }
  }

  /** A training step on the CPU network: its own trainStep, or forward/backward, clipping and an optimizer here. */
  private cpuStep(batch: TokenBatch, options: PassOptions, rule: UpdateRule): DeviceStepResult {
    const fb = this.fallback!;
    if (fb.net.trainStep) return fb.net.trainStep(batch, options, rule);
    if (fb.optimizer?.name !== rule.optimizer) fb.optimizer = createOptimizer(rule.optimizer, rule.learningRate, this.layout.total);
    const result = fb.net.forwardBackward(batch, options);
    const gradNorm = clipGlobalNorm(fb.net.grads, rule.clipNorm);
    fb.optimizer.learningRate = rule.learningRate;
    fb.optimizer.step(fb.net.params, fb.net.grads);
    fb.net.paramsChanged();
    return { ...result, gradNorm };
  }
}

/** The batch as plain typed arrays (what crosses to the worker). */
function plainBatch(batch: TokenBatch): TokenBatch {
  return { batchSize: batch.batchSize, steps: batch.steps, inputs: batch.inputs, targets: batch.targets, mask: batch.mask };
}
