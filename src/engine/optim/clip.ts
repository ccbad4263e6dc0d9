import type { FloatArray } from '../tensor';

/**
 * The sum of squares runs over chunks of this many values, and the chunks' sums are added in
 * order: threads can then sum their chunks side by side and get the same bits as one thread
 * (kernels/update.c reads the chunk size from here).
 */
export const NORM_CHUNK = 4096;

/** Euclidean norm of the whole gradient vector. */
export function globalNorm(grads: FloatArray): number {
  let sum = 0;
  for (let start = 0; start < grads.length; start += NORM_CHUNK) {
    const end = Math.min(grads.length, start + NORM_CHUNK);
    let part = 0;
    for (let i = start; i < end; i++) part += grads[i] * grads[i];
    sum += part;
  }
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
