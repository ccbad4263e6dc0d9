/// <reference types="@webgpu/types" />
/**
 * Choosing and describing a WebGPU adapter, whatever the host (Dawn in Node, `navigator.gpu` in a
 * webview): both hand over a `GPU` object. A software adapter (SwiftShader, lavapipe, WARP) runs
 * the kernels on the CPU, slower than the CPU engine, so it is used only when asked for by name.
 */
import { WebGpuError } from './errors';

export interface AdapterChoice {
  /** Accept a software adapter (CPU emulation): only `--backend webgpu`, never `auto`. */
  allowSoftware: boolean;
}

export interface AdapterSummary {
  /** "WebGPU, Apple M2 (metal)", "WebGPU, SwiftShader (CPU emulation)". */
  description: string;
  software: boolean;
}

const SOFTWARE = /swiftshader|lavapipe|llvmpipe|microsoft basic render|warp|software/i;

/** Whether an adapter emulates a GPU on the CPU. */
export function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const info = adapter.info;
  const fallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return fallback || SOFTWARE.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
}

/** The adapter as a person reads it. */
export function describeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const software = isSoftwareAdapter(adapter);
  if (/swiftshader/i.test(`${info.vendor} ${info.architecture} ${info.description}`)) return { description: 'WebGPU, SwiftShader (CPU emulation)', software };
  const name = info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' ') || 'unnamed adapter';
  const api = (info as { backendType?: string }).backendType ?? '';
  const tail = software ? ' (CPU emulation)' : api ? ` (${api.toLowerCase()})` : '';
  return { description: `WebGPU, ${name}${tail}`, software };
}

/** The high-performance adapter, refusing a software one unless allowed; throws WebGpuError saying why. */
export async function chooseAdapter(gpu: GPU, choice: AdapterChoice): Promise<GPUAdapter> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new WebGpuError('no-adapter', 'WebGPU found no GPU adapter (no GPU, or no driver that WebGPU supports: Vulkan on Linux, Metal on macOS, Direct3D 12 on Windows)');
  if (isSoftwareAdapter(adapter) && !choice.allowSoftware) {
    throw new WebGpuError('software-only', `the only WebGPU adapter is ${describeAdapter(adapter).description.replace(/^WebGPU, /, '')}, slower than the CPU engine; it is used only when asked for by name (backend webgpu)`);
  }
  return adapter;
}

/** Limits the kernels would like raised to what the adapter offers (larger models, bigger tiles). */
const WANTED_LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupsPerDimension'] as const;

/** A device with the adapter's own limits for buffer sizes (the defaults are lower: 128 MiB a buffer). */
export async function openDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  try {
    return await adapter.requestDevice({ requiredLimits, label: 'RNN Lab' });
  } catch (error) {
    throw new WebGpuError('no-adapter', `the WebGPU adapter refused a device: ${(error as Error).message}`);
  }
}
