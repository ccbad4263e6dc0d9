/** Curve arithmetic for "Compare runs" (pure, unit-tested): smoothing and the x axis. */
import type { RunCurves } from '../../src/protocol/messages';
import { DebiasedAverage } from '../../src/engine/train/smoothing';

/**
 * TensorBoard's smoothing: an exponential moving average with weight `w` in [0, 1), debiased so
 * the first points are not pulled toward 0 (the run's own DebiasedAverage, with newest weight
 * 1 - w). Non-finite values pass through.
 */
export function debiasedEma(values: readonly number[], w: number): number[] {
  if (!(w > 0)) return values.slice();
  const average = new DebiasedAverage(1 - w);
  return values.map((v) => (Number.isFinite(v) ? average.add(v) : v));
}

export type XAxis = 'step' | 'epoch' | 'wall';

/** The x of a point on the chosen axis, or undefined when the run's checkpoint lacks it (older files). */
export function xOf(run: RunCurves, point: { step: number; ms?: number }, axis: XAxis): number | undefined {
  if (axis === 'step') return point.step;
  if (axis === 'epoch') return run.stepsPerEpoch ? point.step / run.stepsPerEpoch : undefined;
  return point.ms === undefined ? undefined : point.ms / 1000;
}
