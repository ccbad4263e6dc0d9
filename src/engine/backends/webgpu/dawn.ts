/// <reference types="@webgpu/types" />
/**
 * Dawn, Google's WebGPU implementation, as the npm package `webgpu` (an optional dependency: the
 * CLI uses it where it is installed; the extension does not need it). It is loaded only in the
 * worker thread that hosts the device (nodeWorker.ts).
 */
import { WebGpuError } from './errors';

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

/** Why Dawn cannot be loaded here, or undefined (cheap: resolves the package without loading it). */
export function dawnUnavailableReason(): string | undefined {
  // Dawn's mapped buffers are external array buffers, which Electron's V8 refuses
  // (dawn-gpu/node-webgpu#5): in VS Code's own Node the GPU is reached through a webview instead.
  if (process.versions.electron) return `Dawn (the npm package "webgpu") does not run inside Electron ${process.versions.electron}; set rnnLab.nodePath to a Node.js 20+ to train on WebGPU through Dawn`;
  try {
    require.resolve('webgpu/package.json');
    return undefined;
  } catch {
    return 'the optional npm package "webgpu" (Dawn) is not installed; install it with `npm install webgpu@0.6.2` beside rnn-lab';
  }
}

/** Dawn's `GPU` object (navigator.gpu's counterpart). */
export async function dawnGpu(): Promise<GPU> {
  const reason = dawnUnavailableReason();
  if (reason) throw new WebGpuError('no-dawn', reason);
  let dawn: DawnModule;
  try {
    // The package is ESM; import() loads it from this CommonJS bundle.
    dawn = (await import('webgpu')) as unknown as DawnModule;
  } catch (error) {
    throw new WebGpuError('no-dawn', `the npm package "webgpu" (Dawn) does not load on ${process.platform}-${process.arch}: ${(error as Error).message}`);
  }
  // Dawn's objects check their arguments against these classes (GPUBufferUsage and the like).
  Object.assign(globalThis, dawn.globals);
  return dawn.create([]);
}
