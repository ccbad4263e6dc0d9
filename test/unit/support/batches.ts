/** Small deterministic batches for backend tests. */
import { Rng } from '../../../src/engine/random';
import type { TokenBatch } from '../../../src/engine/tensor';

export function randomBatch(batchSize: number, steps: number, vocabSize: number, seed: number, withMask = false): TokenBatch {
  const rng = new Rng(seed);
  const n = batchSize * steps;
  const inputs = new Int32Array(n);
  const targets = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    inputs[i] = rng.int(vocabSize);
    targets[i] = rng.int(vocabSize);
  }
  const batch: TokenBatch = { batchSize, steps, inputs, targets };
  if (withMask) {
    // Padding at the end of some rows, as in lines mode; never a fully masked batch.
    batch.mask = new Float32Array(n).fill(1);
    for (let b = 1; b < batchSize; b += 2) for (let t = steps - 1 - b % steps; t < steps; t++) batch.mask[b * steps + t] = 0;
  }
  return batch;
}

export function randomFill(values: Float32Array | Float64Array, scale: number, seed: number): void {
  const rng = new Rng(seed, 3);
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform(-scale, scale);
}
