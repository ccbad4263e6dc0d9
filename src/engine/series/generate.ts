/**
 * Free-running generation: the network reads a stretch of the series, then runs on its own,
 * each prediction fed back as the next input (the tutorial's `generate(single_step, ...)`).
 */
import type { SeriesModel } from './model';

/**
 * Reads `context` (T rows of D values) from the zero state and continues for `steps` rows.
 * Row 0 of the result is the prediction made after the last context row (the next value of the
 * series); each later row is the network's answer to being fed the row before it.
 */
export function freeRun(model: SeriesModel, params: Float64Array, context: Float64Array, steps: number): Float64Array {
  const D = model.spec.inputSize;
  const out = new Float64Array(steps * D);
  if (steps === 0) return out;
  const { state, prediction } = model.readSeries(params, context);
  out.set(prediction, 0);
  for (let k = 1; k < steps; k++) {
    out.set(model.stepOnce(params, state, out.subarray((k - 1) * D, k * D)), k * D);
  }
  return out;
}
