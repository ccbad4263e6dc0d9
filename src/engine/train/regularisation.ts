/**
 * What a step does to the gradients before the optimizer sees them: L2 weight decay (adds l2·w to
 * the gradient of every kernel and the embedding, not the biases, as seed 002's 1e-4 penalty),
 * clipping each value to ±clipValue, and clipping the global norm to clipNorm.
 */
import type { FloatArray } from '../tensor';
import type { ParamLayout } from '../model/spec';
import { clipByValue, clipGlobalNorm } from '../optim/clip';

export class GradientProcessing {
  /** [offset, size] of the tensors that get weight decay. */
  private readonly decayed: Array<[number, number]>;

  constructor(layout: ParamLayout, private readonly l2: number, private readonly clipValue: number, private readonly clipNorm: number) {
    this.decayed = layout.slots.filter((s) => s.name.endsWith('kernel') || s.name === 'embedding').map((s) => [s.offset, s.size]);
  }

  /** Applies all three in place; returns the gradient norm before norm clipping (what the charts show). */
  apply(grads: FloatArray, params: FloatArray): number {
    if (this.l2 > 0) {
      for (const [offset, size] of this.decayed) for (let i = offset; i < offset + size; i++) grads[i] += this.l2 * params[i];
    }
    clipByValue(grads, this.clipValue);
    return clipGlobalNorm(grads, this.clipNorm);
  }
}
