/**
 * A sample drawn a piece at a time, so a trainer can stream it to the editor as it grows (and
 * train between pieces): the draws of `generate` (`drawSymbols`), taken as they are asked for.
 */
import type { Stepper } from '../backends/types';
import type { Tokenizer } from '../data/tokenizer';
import { drawSymbols } from './generate';

export interface SampleStreamOptions {
  prime: string;
  temperature: number;
  seed: number;
  topK?: number;
  /** A framed model's sample ends at its end symbol (which is not included). */
  stopAtEnd?: boolean;
}

export class SampleStream {
  private readonly symbols: Generator<number, void, undefined>;
  private ended = false;

  constructor(stepper: Stepper, private readonly vocab: Tokenizer, options: SampleStreamOptions) {
    this.symbols = drawSymbols(stepper, vocab, { ...options, stopAtEnd: options.stopAtEnd ?? false });
  }

  get done(): boolean {
    return this.ended;
  }

  /** Up to `count` more symbols; fewer once the sample has ended. */
  next(count: number): string {
    let text = '';
    for (let i = 0; i < count && !this.ended; i++) {
      const drawn = this.symbols.next();
      if (drawn.done) {
        this.ended = true;
        break;
      }
      // An end symbol that does not stop the sample writes a newline (as the tokenizer decodes it).
      text += this.vocab.decode([drawn.value]);
    }
    return text;
  }
}
