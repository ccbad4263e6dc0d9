// Placeholder until the WebAssembly backend lands: reports itself unavailable.
import type { Backend } from '../types';

export function wasmUnavailableReason(): string | undefined {
  return 'the WebAssembly kernels are not built yet';
}

export async function createWasmBackend(_threads: number): Promise<Backend> {
  throw new Error(wasmUnavailableReason());
}
