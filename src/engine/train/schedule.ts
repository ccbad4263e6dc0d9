/**
 * The learning rate over a run: multiplied by `lrDecay` at each new epoch, and halved whenever a
 * validation loss is higher than the one before (seed 003's "halve the learning rate if the loss
 * increased"). The rate itself is the state, so a resumed run continues with it.
 */
export class LearningRateSchedule {
  private epoch = 0;

  constructor(public rate: number, private readonly decay: number, private readonly halveOnRise: boolean) {}

  /** Call before each step with the epoch it trains in; returns the rate to use. */
  atEpoch(epoch: number): number {
    while (this.epoch < epoch) {
      this.rate *= this.decay;
      this.epoch++;
    }
    return this.rate;
  }

  /** Call after each evaluation; returns true when the rate was halved. */
  afterEvaluation(valLoss: number, previous: number): boolean {
    if (!this.halveOnRise || !(valLoss > previous)) return false;
    this.rate /= 2;
    return true;
  }

  /** A resumed run: the rate it had, in the epoch it had reached. */
  restore(rate: number, epoch: number): void {
    this.rate = rate;
    this.epoch = epoch;
  }
}
