/**
 * An exponential moving average corrected for its start (as Adam corrects its moments): after t
 * values it is sum(w_i x_i) / sum(w_i) with w_i = (1 - a)^(t - i), so the first value counts as
 * much as it should and no more, and the average follows the loss from the first step instead of
 * lagging behind a start value.
 */
export class DebiasedAverage {
  private sum = 0;
  private weight = 0;

  constructor(readonly newestWeight: number) {}

  add(value: number): number {
    this.sum = (1 - this.newestWeight) * this.sum + this.newestWeight * value;
    this.weight = (1 - this.newestWeight) * this.weight + this.newestWeight;
    return this.value;
  }

  /** NaN before the first value. */
  get value(): number {
    return this.weight === 0 ? NaN : this.sum / this.weight;
  }

  /** The running sums, for a checkpoint that resumes. */
  state(): { sum: number; weight: number } {
    return { sum: this.sum, weight: this.weight };
  }

  restore(state: { sum: number; weight: number }): void {
    this.sum = state.sum;
    this.weight = state.weight;
  }
}
