/**
 * The reference backend: plain TypeScript loops over typed arrays.
 * `float64` ('reference') is the source of truth for gradient checks and parity tests;
 * `float32` ('js') is the same code in single precision, the fallback when WebAssembly is unavailable.
 */
import type { ModelSpec } from '../../model/spec';
import type { Backend, Network } from '../types';
import { ReferenceNetwork } from './network';

export type ReferenceFloat = 'float64' | 'float32';

export function createReferenceBackend(floatType: ReferenceFloat = 'float64'): Backend {
  const Float = floatType === 'float64' ? Float64Array : Float32Array;
  return {
    info: floatType === 'float64'
      ? { name: 'reference', description: 'reference TypeScript (float64, 1 thread)', threads: 1 }
      : { name: 'js', description: 'plain TypeScript (float32, 1 thread)', threads: 1 },
    createNetwork(spec: ModelSpec): Network {
      return new ReferenceNetwork(spec, Float);
    },
    dispose() {
      // Networks hold only JS memory.
    },
  };
}

export { ReferenceNetwork, type CarriedState } from './network';
