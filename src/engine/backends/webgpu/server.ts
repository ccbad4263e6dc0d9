/// <reference types="@webgpu/types" />
/**
 * The GPU side of the WebGPU backend, whatever thread or page it runs in: it opens a device from a
 * `GPU` object (Dawn's in the CLI's worker thread, `navigator.gpu` in a webview) and serves the
 * requests of network.ts, one at a time, for any number of models. A host (nodeWorker.ts) only
 * moves requests and answers; this file knows nothing of how.
 */
import type { ModelSpec } from '../../model/spec';
import { chooseAdapter, describeAdapter, openDevice } from './adapter';
import { asWebGpuError, WebGpuError, type WebGpuErrorKind } from './errors';
import { GpuModel, type TileLimits } from './model';
import { Kernels } from './pipelines';

/** Model methods a request may call (the asynchronous twins of the Network methods). */
export const MODEL_METHODS = ['setParams', 'getParams', 'getGrads', 'forwardBackward', 'evaluate', 'trainStep', 'resetState', 'getCarriedState', 'setCarriedState', 'getOptimizerState', 'setOptimizerState'] as const;
export type ModelMethod = (typeof MODEL_METHODS)[number];

export type GpuRequest =
  | { op: 'open'; allowSoftware: boolean }
  | { op: 'create'; id: number; spec: ModelSpec; reserve?: { batchSize: number; steps: number } }
  | { op: 'call'; id: number; method: ModelMethod; args: unknown[] }
  | { op: 'dispose'; id: number }
  /** Destroys the device, as a driver reset would lose it (tests of the device-lost path). */
  | { op: 'destroyDevice' };

export interface OpenResult {
  description: string;
  software: boolean;
  /** The device limits the tile sizes follow (model.ts, chooseTile). */
  limits: TileLimits;
}

export type GpuAnswer = { ok: true; value: unknown } | { ok: false; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  kind?: WebGpuErrorKind;
}

export class GpuServer {
  /** Held for the device's lifetime: Dawn's Node binding crashes when its instance is collected first. */
  private instance: GPU | undefined;
  private device: GPUDevice | undefined;
  private kernels: Kernels | undefined;
  private lost: string | undefined;
  private readonly models = new Map<number, GpuModel>();

  constructor(private readonly gpu: () => Promise<GPU>) {}

  /** Serves one request; never throws (an error is the answer). */
  async handle(request: GpuRequest): Promise<GpuAnswer> {
    try {
      return { ok: true, value: await this.serve(request) };
    } catch (error) {
      // A device lost during the call shows up first as a failed map or submit; give its lost
      // promise a turn so the answer says what really happened.
      if (this.device && !this.lost) await new Promise((resolve) => setTimeout(resolve, 10));
      const e = this.lost ? this.lostError() : error instanceof WebGpuError || error instanceof RangeError ? error : asWebGpuError(error, describeRequest(request));
      return { ok: false, error: { name: (e as Error).name, message: (e as Error).message, kind: e instanceof WebGpuError ? e.kind : undefined } };
    }
  }

  private async serve(request: GpuRequest): Promise<unknown> {
    if (request.op === 'open') return this.open(request.allowSoftware);
    if (this.lost) throw this.lostError();
    if (!this.device || !this.kernels) throw new WebGpuError('internal', 'the WebGPU device is not open');
    switch (request.op) {
      case 'create': {
        if (this.models.has(request.id)) throw new Error(`model ${request.id} exists`);
        this.models.set(request.id, await GpuModel.create(this.kernels, request.spec, request.reserve));
        return undefined;
      }
      case 'call': {
        const model = this.models.get(request.id);
        if (!model) throw new Error(`no model ${request.id}`);
        const fn = model[request.method] as (...args: unknown[]) => unknown;
        return await fn.apply(model, request.args);
      }
      case 'dispose':
        this.models.get(request.id)?.dispose();
        this.models.delete(request.id);
        return undefined;
      case 'destroyDevice':
        this.device.destroy();
        await this.device.lost;
        return undefined;
    }
  }

  private async open(allowSoftware: boolean): Promise<OpenResult> {
    if (this.device) throw new Error('the WebGPU device is already open');
    this.instance = await this.gpu();
    const adapter = await chooseAdapter(this.instance, { allowSoftware });
    const summary = describeAdapter(adapter);
    const device = await openDevice(adapter);
    void device.lost.then((info) => {
      this.lost = info.message || info.reason || 'unknown reason';
    });
    this.device = device;
    this.kernels = new Kernels(device);
    const { maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup } = device.limits;
    return { ...summary, limits: { maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup } };
  }

  private lostError(): WebGpuError {
    return new WebGpuError('device-lost', `the WebGPU device was lost (${this.lost}); the GPU may have been reset or removed`);
  }
}

function describeRequest(request: GpuRequest): string {
  if (request.op === 'call') return `running ${request.method}`;
  if (request.op === 'create') return 'creating the model';
  return request.op === 'open' ? 'opening the device' : request.op;
}
