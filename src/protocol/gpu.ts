/**
 * The channel between the extension host and the GPU webview ("RNN Lab GPU"), which runs the
 * WebGPU backend's GpuServer (engine/backends/webgpu/server.ts) on `navigator.gpu`: the host
 * relays the trainer's requests to it and its answers back (extension/gpuBridge.ts). One
 * name-to-payload map per direction and the tables of their types, as for the other channels.
 *
 * Requests and answers carry typed arrays (weights, batches); VS Code's postMessage moves them as
 * typed arrays (extensions whose `engines.vscode` is 1.57 or later).
 *
 * Dependency-free (no `vscode`, no Node APIs): the GPU webview's bundle imports it.
 */
import type { GpuAnswer, GpuRequest } from '../engine/backends/webgpu/server';
import type { Envelope, MessageTypes } from './envelope';

/** Extension host -> GPU webview. */
export interface HostToGpuPage {
  /** One of the trainer's requests; the page answers with `answer` and the same `requestId`. */
  request: { requestId: number; request: GpuRequest };
}

/** GPU webview -> extension host. */
export interface GpuPageToHost {
  /** The page's script runs and takes requests (sent once, when it has loaded). */
  ready: Record<string, never>;
  answer: { requestId: number; answer: GpuAnswer };
}

export type ToGpuPageMessage = Envelope<HostToGpuPage>;
export type FromGpuPageMessage = Envelope<GpuPageToHost>;

export const hostToGpuPageTypes = { request: true } as const satisfies MessageTypes<HostToGpuPage>;
export const gpuPageToHostTypes = { ready: true, answer: true } as const satisfies MessageTypes<GpuPageToHost>;

/** The GPU tab's title. */
export const gpuPageTitle = 'RNN Lab GPU';
