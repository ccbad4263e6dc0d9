/**
 * Stateful one-token-at-a-time evaluation for sampling and the hover: a one-step workspace whose
 * initial state is this stepper's own state, so it never disturbs the network's training state.
 * It reads the network's live parameters, so it always uses the current weights.
 */
import { stateOffsetOfLayer, stateSizePerRow } from '../../model/spec';
import type { Stepper } from '../types';
import type { FloatArray } from '../../tensor';
import type { Geometry } from './geometry';
import { forward } from './passes';
import { createWorkspace, type FloatArrayConstructor, type Workspace } from './workspace';

export class ReferenceStepper implements Stepper {
  private readonly ws: Workspace;
  private readonly logits: Float32Array;

  constructor(private readonly g: Geometry, private readonly params: FloatArray, readonly batchSize: number, Float: FloatArrayConstructor) {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`stepper batch size must be a positive integer (got ${batchSize})`);
    this.ws = createWorkspace(g, batchSize, 1, Float, false, false);
    this.logits = new Float32Array(batchSize * g.V);
  }

  step(tokens: Int32Array): Float32Array {
    const { ws, g } = this;
    const B = this.batchSize;
    for (let b = 0; b < B; b++) {
      if (!(tokens[b] >= 0 && tokens[b] < g.V)) throw new RangeError(`token id ${tokens[b]} out of range 0..${g.V - 1}`);
      ws.xs[b] = tokens[b];
    }
    forward(g, ws, this.params, 0, 0, false);
    // The step's output becomes the next step's initial state.
    ws.layers.forEach((lb, l) => {
      const n = B * g.layers[l].H;
      lb.h.copyWithin(0, n, 2 * n);
      if (lb.c.length > 0) lb.c.copyWithin(0, n, 2 * n);
    });
    this.logits.set(ws.logits);
    return this.logits;
  }

  reset(): void {
    for (const lb of this.ws.layers) {
      lb.h.fill(0);
      lb.c.fill(0);
    }
  }

  getState(): Float32Array {
    const spec = this.g.spec;
    const row = stateSizePerRow(spec);
    const out = new Float32Array(this.batchSize * row);
    for (let b = 0; b < this.batchSize; b++) {
      this.ws.layers.forEach((lb, l) => {
        const H = this.g.layers[l].H;
        const o = b * row + stateOffsetOfLayer(spec, l);
        out.set(lb.h.subarray(b * H, (b + 1) * H), o);
        if (lb.c.length > 0) out.set(lb.c.subarray(b * H, (b + 1) * H), o + H);
      });
    }
    return out;
  }

  setState(state: Float32Array): void {
    const spec = this.g.spec;
    const row = stateSizePerRow(spec);
    if (state.length !== this.batchSize * row) throw new RangeError(`state must hold ${this.batchSize * row} floats (got ${state.length})`);
    for (let b = 0; b < this.batchSize; b++) {
      this.ws.layers.forEach((lb, l) => {
        const H = this.g.layers[l].H;
        const o = b * row + stateOffsetOfLayer(spec, l);
        lb.h.set(state.subarray(o, o + H), b * H);
        if (lb.c.length > 0) lb.c.set(state.subarray(o + H, o + 2 * H), b * H);
      });
    }
  }

  dispose(): void {
    // Nothing outside the JS heap to free.
  }
}
