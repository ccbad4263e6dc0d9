/**
 * Seeded initialisation of a flat parameter array in the canonical layout (see spec.ts).
 * PyTorch-style: every kernel (input, recurrent, output) uniform in ±1/sqrt(H); biases zero except
 * the LSTM forget gate, which starts at 1 so early gradients flow through the cell state; the
 * embedding (when present) standard normal, as nn.Embedding does.
 */
import { Rng } from '../random';
import { paramLayout, type ModelSpec } from './spec';
import type { FloatArray } from '../backends/types';

export function initParams(spec: ModelSpec, params: FloatArray, seed: number): void {
  const layout = paramLayout(spec);
  if (params.length !== layout.total) throw new RangeError(`expected ${layout.total} parameters, got ${params.length}`);
  const rng = new Rng(seed, 101);
  const scale = 1 / Math.sqrt(spec.hiddenSize);
  const H = spec.hiddenSize;
  for (const slot of layout.slots) {
    const view = params.subarray(slot.offset, slot.offset + slot.size);
    if (slot.name === 'embedding') {
      for (let i = 0; i < view.length; i++) view[i] = rng.normal();
    } else if (slot.name.endsWith('kernel')) {
      // Dense and output kernels read their own input width (nn.Linear's 1/sqrt(fan_in)).
      const fanIn = slot.name === 'dense.kernel' || slot.name === 'output.kernel' ? slot.shape[0] : H;
      const s = slot.name.startsWith('l') ? scale : 1 / Math.sqrt(fanIn);
      for (let i = 0; i < view.length; i++) view[i] = rng.uniform(-s, s);
    } else {
      view.fill(0);
      // LSTM gate order i,f,c,o: the forget gate is the second block of H (recurrent layers only).
      if (spec.cell === 'lstm' && /^l\d+\.bias$/.test(slot.name)) view.fill(1, H, 2 * H);
    }
  }
}
