/** Small models and shared weights for the backend tests (the conformance suite, wasm, WebGPU, the GPU suite). */
import type { Network } from '../../../src/engine/backends/types';
import type { CellType, ModelSpec } from '../../../src/engine/model/spec';
import { Rng } from '../../../src/engine/random';
import type { TokenBatch } from '../../../src/engine/tensor';

/** A model small enough to check quickly: 11 symbols, 6 units a layer unless `extra` says otherwise. */
export function tinySpec(cell: CellType, layers: number, embeddingSize: number, extra: Partial<ModelSpec> = {}): ModelSpec {
  return { cell, vocabSize: 11, hiddenSize: 6, layers, embeddingSize, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu', ...extra };
}

/**
 * Random weights of a useful size everywhere (biases included), identical in both networks: the
 * values are float32-rounded first, so a float64 reference holds exactly what a float32 backend holds.
 */
export function sameRandomWeights(a: Network, b: Network, seed: number, scale = 0.6): void {
  const rng = new Rng(seed);
  const values = Float32Array.from({ length: a.params.length }, () => rng.uniform(-scale, scale));
  a.params.set(values);
  a.paramsChanged();
  b.params.set(values);
  b.paramsChanged();
}

/** Largest gradient difference of each tensor, relative to that tensor's largest reference gradient. */
export function gradErrors(net: Network, ref: Network): Array<[string, number]> {
  const grads = net.grads;
  return ref.layout.slots.map((slot) => {
    let scale = 1e-12;
    let worst = 0;
    for (let i = slot.offset; i < slot.offset + slot.size; i++) scale = Math.max(scale, Math.abs(ref.grads[i]));
    for (let i = slot.offset; i < slot.offset + slot.size; i++) worst = Math.max(worst, Math.abs(ref.grads[i] - grads[i]) / scale);
    return [slot.name, worst];
  });
}

/** A batch of random ids; `masked` pads the end of rows as lines mode does (row b loses b mod 3 steps). */
export function paddedRandomBatch(rng: Rng, B: number, T: number, V: number, masked: boolean): TokenBatch {
  const inputs = Int32Array.from({ length: B * T }, () => rng.int(V));
  const targets = Int32Array.from({ length: B * T }, () => rng.int(V));
  const mask = masked ? Float32Array.from({ length: B * T }, (_, i) => (i % T < T - (Math.floor(i / T) % 3) ? 1 : 0)) : undefined;
  return { batchSize: B, steps: T, inputs, targets, mask };
}
