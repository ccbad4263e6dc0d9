/** The loss guard: a run whose loss becomes non-finite or grows far above its first loss has diverged. */

/** A loss above this multiple of the first step's loss means the run diverged. */
export const DIVERGENCE_FACTOR = 3;

export class DivergenceGuard {
  constructor(public initialLoss = NaN) {}

  /** Returns why the run diverged at this step, or undefined. */
  check(step: number, loss: number, gradNorm?: number): string | undefined {
    if (Number.isNaN(this.initialLoss)) this.initialLoss = loss;
    if (!Number.isFinite(loss)) return `the training loss became ${loss} at step ${step}`;
    if (loss > DIVERGENCE_FACTOR * this.initialLoss) {
      return `the training loss ${loss.toFixed(3)} at step ${step} is more than ${DIVERGENCE_FACTOR}x the initial ${this.initialLoss.toFixed(3)}`;
    }
    if (gradNorm !== undefined && !Number.isFinite(gradNorm)) return `the gradient norm became ${gradNorm} at step ${step}`;
    return undefined;
  }

  message(why: string, bestPath: string | undefined): string {
    return `Training diverged: ${why}. Try a lower learning rate ({setting:learningRate}) or gradient clipping ({setting:clipNorm}).` +
      (bestPath ? ` The best checkpoint so far is kept: ${bestPath}` : '');
  }
}
