/// <reference types="@webgpu/types" />
/**
 * The "RNN Lab GPU" tab: the WebGPU backend's device host inside VS Code. It runs the same
 * GpuServer (kernels and models) as the CLI's Dawn worker, on this webview's `navigator.gpu`, and
 * serves the requests the extension host relays from the trainer (protocol/gpu.ts). The page
 * shows the adapter, the GPU buffer memory the models hold and the training steps served.
 */
import { isMessageOf } from '../../src/protocol/envelope';
import { hostToGpuPageTypes, type GpuPageToHost, type HostToGpuPage } from '../../src/protocol/gpu';
import { WebGpuError } from '../../src/engine/backends/webgpu/errors';
import { GpuServer, type GpuRequest, type OpenResult } from '../../src/engine/backends/webgpu/server';
import { el, setText } from '../shared/dom';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const api = acquireVsCodeApi();

function post<K extends keyof GpuPageToHost>(type: K, payload: GpuPageToHost[K]): void {
  api.postMessage({ type, payload });
}

const stats = { adapter: 'not opened yet', bufferBytes: 0, buffers: 0, steps: 0, requests: 0, state: 'waiting for the trainer' };
const rows = {
  adapter: el('dd', { 'data-field': 'adapter' }),
  memory: el('dd', { 'data-field': 'memory' }),
  steps: el('dd', { 'data-field': 'steps' }),
  state: el('dd', { 'data-field': 'state' }),
};

function render(): void {
  setText(rows.adapter, stats.adapter);
  setText(rows.memory, `${(stats.bufferBytes / 2 ** 20).toFixed(1)} MiB in ${stats.buffers} buffers`);
  setText(rows.steps, `${stats.steps.toLocaleString('en-US')} (${stats.requests.toLocaleString('en-US')} requests)`);
  setText(rows.state, stats.state);
}

const app = document.getElementById('app')!;
app.append(
  el('h2', {}, 'WebGPU device for RNN Lab'),
  el('p', { class: 'gpu-note' }, 'The trainer runs its GPU work here. Keep this tab open while a run trains on WebGPU: closing it moves the run to the CPU engine.'),
  el('dl', { class: 'gpu-stats' }, el('dt', {}, 'Adapter'), rows.adapter, el('dt', {}, 'Buffer memory'), rows.memory, el('dt', {}, 'Steps served'), rows.steps, el('dt', {}, 'State'), rows.state),
);
render();

/** `navigator.gpu`, with the device's buffers counted as they are created and destroyed (the memory shown). */
async function countingGpu(): Promise<GPU> {
  const gpu = navigator.gpu;
  if (!gpu) throw new WebGpuError('no-adapter', 'this VS Code webview has no navigator.gpu (WebGPU is not enabled in this VS Code or browser)');
  // A plain object with the one method chooseAdapter calls (a GPU's own getters refuse another `this`).
  const counting: Pick<GPU, 'requestAdapter'> = {
    requestAdapter: async (options?: GPURequestAdapterOptions) => {
      const adapter = await gpu.requestAdapter(options);
      if (!adapter) return adapter;
      const requestDevice = adapter.requestDevice.bind(adapter);
      adapter.requestDevice = async (descriptor?: GPUDeviceDescriptor) => countBuffers(await requestDevice(descriptor));
      return adapter;
    },
  };
  return counting as GPU;
}

function countBuffers(device: GPUDevice): GPUDevice {
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = createBuffer(descriptor);
    stats.bufferBytes += descriptor.size;
    stats.buffers++;
    const destroy = buffer.destroy.bind(buffer);
    let destroyed = false;
    buffer.destroy = () => {
      if (!destroyed) {
        destroyed = true;
        stats.bufferBytes -= descriptor.size;
        stats.buffers--;
      }
      destroy();
    };
    return buffer;
  };
  void device.lost.then((info) => {
    stats.state = `device lost (${info.message || info.reason}); the run continues on the CPU engine`;
    render();
  });
  return device;
}

const server = new GpuServer(countingGpu);
/** One request at a time, in order (the trainer waits for each answer anyway). */
let queue = Promise.resolve();

async function serve(requestId: number, request: GpuRequest): Promise<void> {
  const answer = await server.handle(request);
  stats.requests++;
  if (request.op === 'call' && (request.method === 'trainStep' || request.method === 'forwardBackward') && answer.ok) stats.steps++;
  if (request.op === 'open') {
    stats.adapter = answer.ok ? (answer.value as OpenResult).description : 'none';
    stats.state = answer.ok ? 'serving the trainer' : answer.error.message;
  }
  render();
  post('answer', { requestId, answer });
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isMessageOf<HostToGpuPage>(event.data, hostToGpuPageTypes)) return;
  const { requestId, request } = event.data.payload;
  queue = queue.then(() => serve(requestId, request));
});
post('ready', {});
