/**
 * Reading a model as it was trained. A windows-mode model learned to read `window` symbols from a
 * zero state and predict the next (many-to-one, as TFLearn's SequenceGenerator trains and samples
 * it); a state carried past the window is one it never saw. So its samples, the hover and the lab
 * answers read it through a WindowStepper, which re-reads the last `window` symbols fed from a
 * zero state at every step, instead of stepping once from the state the previous symbol left.
 */
import type { Stepper } from '../backends/types';
import type { TrainConfig } from '../config/settings';

export class WindowStepper implements Stepper {
  /** The symbols fed since the last reset, at most the last `window`. */
  private recent: number[] = [];
  private readonly token = new Int32Array(1);

  constructor(private readonly inner: Stepper, readonly window: number) {
    if (inner.batchSize !== 1) throw new RangeError('a window reader needs a stepper with batch size 1');
    if (!(window >= 1)) throw new RangeError(`a window has at least one symbol (got ${window})`);
  }

  get batchSize(): number {
    return 1;
  }

  step(tokens: Int32Array): Float32Array {
    return this.feed([tokens[0]]);
  }

  /** Feeds `ids` after the symbols already fed; returns the logits after reading the last `window` of them from a zero state. */
  feed(ids: ArrayLike<number>): Float32Array {
    if (ids.length === 0) return new Float32Array(0);
    this.recent = [...this.recent, ...Array.from(ids)].slice(-this.window);
    this.inner.reset();
    let logits: Float32Array = new Float32Array(0);
    for (const id of this.recent) {
      this.token[0] = id;
      logits = this.inner.step(this.token);
    }
    return logits;
  }

  reset(): void {
    this.recent = [];
    this.inner.reset();
  }

  /** The hidden state after reading the last window (what the neuron answers show). */
  getState(): Float32Array {
    return this.inner.getState();
  }

  /** A window reader's state is its last window of symbols, not a recurrent state to restore. */
  setState(): void {
    throw new RangeError('a windows-mode model re-reads its last window at each step; it has no recurrent state to restore');
  }

  dispose(): void {
    this.inner.dispose();
  }
}

/** The stepper to read a model trained with `config` through: a WindowStepper for windows mode, else `stepper` itself. */
export function readingStepper(stepper: Stepper, config: Pick<TrainConfig, 'mode' | 'window'>): Stepper {
  return config.mode === 'windows' ? new WindowStepper(stepper, config.window) : stepper;
}
