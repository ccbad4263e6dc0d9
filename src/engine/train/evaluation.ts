/**
 * Validation: the cross-entropy of the validation batches with given weights, on a network of its
 * own so the training network's carried state is untouched. Lines mode also reports the loss per
 * sentence (seed 000's "average validation CE per sentence").
 */
import type { Backend, Network } from '../backends/types';
import type { FloatArray } from '../tensor';
import type { Batcher } from '../data/batcher';
import type { ModelSpec } from '../model/spec';

export interface Validation {
  /** Mean cross-entropy per predicted token, nats. */
  valLoss: number;
  /** Lines mode: summed cross-entropy per sentence, nats. */
  valLossPerSentence?: number;
}

export class Evaluator {
  private network: Network | undefined;

  constructor(private readonly backend: Backend, private readonly spec: ModelSpec, private readonly val: Batcher, private readonly sentences?: number) {}

  evaluate(params: FloatArray): Validation {
    const net = (this.network ??= this.backend.createNetwork(this.spec));
    net.params.set(params);
    net.paramsChanged();
    net.resetState();
    let lossSum = 0;
    let count = 0;
    for (let i = 0; i < this.val.batchesPerEpoch; i++) {
      const { batch, carry } = this.val.batchAt(0, i);
      const r = net.evaluate(batch, { carryState: carry });
      lossSum += r.lossSum;
      count += r.count;
    }
    return { valLoss: lossSum / count, ...(this.sentences ? { valLossPerSentence: lossSum / this.sentences } : {}) };
  }

  dispose(): void {
    this.network?.dispose();
    this.network = undefined;
  }
}
