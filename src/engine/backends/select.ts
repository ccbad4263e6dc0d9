/**
 * Picks the backend a run asked for. 'auto' prefers the WebAssembly kernels and falls back to the
 * float32 TypeScript backend, saying why, so a missing or broken wasm build never stops training.
 */
import { availableParallelism } from 'node:os';
import { backendNames, type TrainConfig } from '../../protocol/messages';
import { UserInputError } from '../text/errors';
import { createReferenceBackend } from './reference';
import type { Backend } from './types';

export type BackendPreference = TrainConfig['backend'];

/** 0 means every available core; anything else is clamped to at least 1. */
export function resolveThreads(threads: number): number {
  if (!threads || threads <= 0) return Math.max(1, availableParallelism());
  return Math.max(1, Math.floor(threads));
}

export async function createBackend(
  preference: BackendPreference,
  threads: number,
  log: (level: 'info' | 'warn', message: string) => void = () => {},
): Promise<Backend> {
  const wasm = async () => (await import('./wasm')).createWasmBackend(resolveThreads(threads));
  switch (preference) {
    case 'reference':
      return createReferenceBackend('float64');
    case 'js':
      return createReferenceBackend('float32');
    case 'wasm':
      try {
        return await wasm();
      } catch (error) {
        throw new UserInputError(`the WebAssembly backend is not available: ${(error as Error).message}. Use --backend js or auto.`);
      }
    case 'tfjs':
      throw new UserInputError('the TensorFlow.js GPU backend is not available in this build; use --backend auto, wasm or js.');
    case 'auto':
      try {
        return await wasm();
      } catch (error) {
        log('warn', `WebAssembly backend unavailable (${(error as Error).message}); using the plain TypeScript float32 backend, which is slower.`);
        return createReferenceBackend('float32');
      }
    default:
      throw new UserInputError(`unknown backend "${preference as string}"; choose one of ${backendNames.join(', ')}.`);
  }
}
