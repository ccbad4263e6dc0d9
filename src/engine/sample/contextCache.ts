/**
 * Next-symbol distributions along a document, fast enough for a hover.
 *
 * Feeding 2,000 characters through the model for every hover costs tens of milliseconds; hovers
 * move a few characters at a time over the same text. So the recurrent state is kept every
 * `stride` symbols along the last context, and a new query resumes from the last kept state
 * inside the prefix it shares with the previous one, feeding fewer than `stride` symbols when the
 * cursor moves within the same text. A context must start at a stable place in the document for
 * this to hit (the hover anchors its window; see extension/hover.ts). Weights change at every
 * training step: `invalidate()` then forgets the states.
 */
import type { Stepper } from '../backends/types';
import type { Tokenizer } from '../data/tokenizer';
import { contextIds } from './generate';
import { actualNext, distributionFromLogits, feed, type ActualNext, type NextSymbolDistribution } from './distribution';
import { WindowStepper } from './windowStepper';

export class ContextStateCache {
  /** The symbol ids of the last context that was fed. */
  private ids = new Int32Array(0);
  /** states[k] = the state after feeding ids[0 .. k*stride). states[0] = the zero state. */
  private states: Float32Array[] = [];
  private readonly token = new Int32Array(1);

  constructor(private readonly stepper: Stepper, private readonly tokenizer: Tokenizer, private readonly stride = 64) {
    if (stepper.batchSize !== 1) throw new RangeError('the context cache needs a stepper with batch size 1');
  }

  /** Forget every kept state (the weights changed). */
  invalidate(): void {
    this.ids = new Int32Array(0);
    this.states = [];
  }

  /** The `top` next symbols after `context`; with `next`, also that symbol's probability and surprisal. */
  distribution(context: string, top: number, next?: string): NextSymbolDistribution & { next?: ActualNext } {
    // Read exactly as a context fed from scratch is (the same symbol limit and start symbol).
    const ids = contextIds(this.tokenizer, context);
    // A windows-mode model reads its last window from a zero state: nothing to keep between queries.
    if (this.stepper instanceof WindowStepper) {
      this.stepper.reset();
      return this.answer(feed(this.stepper, ids), top, next);
    }

    const shared = commonPrefixLength(this.ids, ids);
    // The last kept state inside the shared prefix that still leaves a symbol to feed (the logits
    // come from feeding the last symbol); states[0], the zero state, always qualifies.
    let k = Math.min(Math.floor(Math.min(shared, ids.length - 1) / this.stride), this.states.length - 1);
    if (k < 0) {
      this.stepper.reset();
      this.states = [this.stepper.getState()];
      k = 0;
    } else {
      this.stepper.setState(this.states[k]);
    }
    this.states.length = k + 1;
    this.ids = ids.slice();

    let logits: Float32Array = new Float32Array(0);
    for (let i = k * this.stride; i < ids.length; i++) {
      this.token[0] = ids[i];
      logits = this.stepper.step(this.token);
      if ((i + 1) % this.stride === 0) this.states.push(this.stepper.getState());
    }
    return this.answer(logits, top, next);
  }

  private answer(logits: Float32Array, top: number, next?: string): NextSymbolDistribution & { next?: ActualNext } {
    const answer = distributionFromLogits(logits, this.tokenizer, top);
    return next ? { ...answer, next: actualNext(logits, this.tokenizer, next) } : answer;
  }

  dispose(): void {
    this.stepper.dispose();
  }
}

function commonPrefixLength(a: Int32Array, b: Int32Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}
