import type { FloatArray } from '../backends/types';

/** Euclidean norm of the whole gradient vector. */
export function globalNorm(grads: FloatArray): number {
  let sum = 0;
  for (let i = 0; i < grads.length; i++) sum += grads[i] * grads[i];
  return Math.sqrt(sum);
}

/**
 * Scales the gradients so their global norm is at most `maxNorm` (0 = no clipping).
 * Returns the norm before clipping, which is what the charts show.
 */
export function clipGlobalNorm(grads: FloatArray, maxNorm: number): number {
  const norm = globalNorm(grads);
  if (maxNorm > 0 && norm > maxNorm) {
    const scale = maxNorm / norm;
    for (let i = 0; i < grads.length; i++) grads[i] *= scale;
  }
  return norm;
}

/** Clamps every gradient to [-maxValue, maxValue] (0 = no clipping); returns how many were clamped. */
export function clipByValue(grads: FloatArray, maxValue: number): number {
  if (!(maxValue > 0)) return 0;
  let clamped = 0;
  for (let i = 0; i < grads.length; i++) {
    const g = grads[i];
    if (g > maxValue) {
      grads[i] = maxValue;
      clamped++;
    } else if (g < -maxValue) {
      grads[i] = -maxValue;
      clamped++;
    }
  }
  return clamped;
}
