/**
 * A sample drawn a piece at a time, so a trainer can stream it to the editor as it grows (and
 * train between pieces). Same reading of the prime and the same draws as `generate`, plus an
 * optional symbol that ends the sample (the end symbol of a model trained on sentences).
 */
import type { Stepper } from '../backends/types';
import { Rng } from '../random';
import type { Tokenizer } from '../data/tokenizer';
import { feed } from './distribution';
import { contextIds } from './generate';
import { sampleFromLogits } from './sampler';

export interface SampleStreamOptions {
  prime: string;
  temperature: number;
  seed: number;
  topK?: number;
  /** Sampling this symbol ends the sample (it is not included). */
  endId?: number;
}

export class SampleStream {
  private readonly rng: Rng;
  private readonly token = new Int32Array(1);
  private logits: Float32Array = new Float32Array(0);
  private ended = false;

  constructor(private readonly stepper: Stepper, private readonly vocab: Tokenizer, private readonly options: SampleStreamOptions) {
    if (stepper.batchSize !== 1) throw new RangeError('a sample stream needs a stepper with batch size 1');
    this.rng = new Rng(options.seed, 17);
    stepper.reset();
    this.logits = feed(stepper, contextIds(vocab, options.prime));
  }

  get done(): boolean {
    return this.ended;
  }

  /** Up to `count` more symbols; fewer once the end symbol is drawn. */
  next(count: number): string {
    let text = '';
    for (let i = 0; i < count && !this.ended; i++) {
      const avoid = this.vocab.startId >= 0 ? [this.vocab.unknownId, this.vocab.startId] : this.vocab.unknownId;
      const id = sampleFromLogits(this.logits, 0, this.vocab.size, { temperature: this.options.temperature, topK: this.options.topK, avoid }, this.rng);
      if (id === this.options.endId) { this.ended = true; break; }
      // The end symbol, when it does not stop the sample, writes a newline (as the tokenizer decodes it).
      text += this.vocab.decode([id]);
      this.token[0] = id;
      this.logits = this.stepper.step(this.token);
    }
    return text;
  }
}
