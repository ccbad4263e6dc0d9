/**
 * The process-wide GPU state: the driver, device 0's primary context, the kernels' module (our
 * PTX, JIT-compiled by the driver for this GPU) and one stream every network runs on.
 */
import { readFileSync } from 'node:fs';
import { findBundledFile } from '../bundled';
import { CudaDriver, formatBytes, type DeviceInfo, type Handle } from './driver';
import { CudaError, GpuUnavailableError } from './errors';
import { Kernels } from './kernelTable';

/** The file the build copies beside the bundles (scripts/build.mjs). */
export const PTX_FILE = 'rnn-lab-kernels.ptx';

export interface CudaRuntime {
  driver: CudaDriver;
  device: DeviceInfo;
  context: Handle;
  module: Handle;
  stream: Handle;
  kernels: Kernels;
}

/** "CUDA, NVIDIA H200, 139.8 GiB" (the driver's device name already starts with NVIDIA). */
export function describeDevice(device: DeviceInfo): string {
  const name = /^nvidia/i.test(device.name) ? device.name : `NVIDIA ${device.name}`;
  return `CUDA, ${name}, ${formatBytes(device.totalBytes)}`;
}

/**
 * Opens the driver and device 0 and loads the kernels. Every way this can fail becomes a
 * GpuUnavailableError whose kind says why (no driver, no device, driver too old, ...).
 */
export function openRuntime(ptxPath = findBundledFile(PTX_FILE)): CudaRuntime {
  if (!ptxPath) throw new GpuUnavailableError('error', `${PTX_FILE} was not found beside ${__dirname}; run "npm run build"`);
  let driver: CudaDriver;
  try {
    driver = CudaDriver.open();
  } catch (error) {
    throw asUnavailable(error, 'loading the NVIDIA driver');
  }
  try {
    const count = driver.deviceCount();
    if (count < 1) throw new GpuUnavailableError('no-device', `driver ${driver.versionText} reports no CUDA device`);
    const device = driver.device(0);
    const context = driver.useDevice(0);
    let module: Handle;
    try {
      module = driver.loadModule(readFileSync(ptxPath, 'utf8'));
    } catch (error) {
      // Any failure to compile our PTX means this driver cannot run it: report it as too old.
      if (error instanceof CudaError && error.kind === 'error') {
        throw new GpuUnavailableError('driver-too-old', `driver ${driver.versionText} could not load the kernels: ${error.message}`);
      }
      throw error;
    }
    const stream = driver.createStream();
    const kernels = new Kernels(driver, module, stream, device.multiprocessors);
    return { driver, device, context, module, stream, kernels };
  } catch (error) {
    throw asUnavailable(error, `using the GPU with driver ${driver.versionText}`);
  }
}

function asUnavailable(error: unknown, doing: string): GpuUnavailableError {
  if (error instanceof GpuUnavailableError) return error;
  if (error instanceof CudaError) return new GpuUnavailableError(error.kind, error.message);
  return new GpuUnavailableError('error', `${doing}: ${(error as Error).message}`);
}
