/** Axis maths for the loss chart: ranges and "nice" tick values. Pure, so it is unit-tested in Node. */

export interface Range {
  min: number;
  max: number;
}

/**
 * Ticks at 1, 2 or 5 times a power of ten, covering [min, max] with about `count` steps. With
 * `integer` (an axis of whole things, such as steps) no step is below 1: a range of 0–1 gets the
 * ticks 0 and 1, not 0, 0.2, … 1, which read "0 0 0 1 1 1" once labelled as integers.
 */
export function niceTicks(range: Range, count = 5, { integer = false }: { integer?: boolean } = {}): number[] {
  const span = range.max - range.min;
  if (!(span > 0) || !Number.isFinite(span)) return [range.min];
  const rough = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const nice = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const step = integer ? Math.max(1, nice) : nice;
  const first = Math.ceil(range.min / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= range.max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/**
 * The loss chart's y ticks: losses travel in nats but the left axis reads bits (per char or word),
 * so the ticks are round numbers of bits, placed at their value in nats (the right axis labels the
 * same lines in nats, which then need not be round).
 */
export function bitsTicks(natsRange: Range, count = 5): Array<{ bits: number; nats: number; label: string }> {
  const bits = niceTicks({ min: natsRange.min / Math.LN2, max: natsRange.max / Math.LN2 }, count);
  // As many decimals as the step between ticks has ("0.5", "1.0", "1.5"; "1", "2", "3"), no more.
  const step = bits.length > 1 ? bits[1] - bits[0] : 1;
  const decimals = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step) - 1e-9)));
  return bits.map((b) => ({ bits: b, nats: b * Math.LN2, label: b.toFixed(decimals) }));
}

/**
 * The y range of the loss chart: the smoothed training loss, the validation loss and the ln(V)
 * baseline, padded a little. Raw per-batch losses are left out on purpose: one noisy batch would
 * otherwise squash the curves everyone reads (raw points outside are clipped when drawn).
 */
export function lossRange(smoothed: number[], validation: number[], baseline: number | undefined): Range {
  const values = [...smoothed, ...validation, ...(baseline !== undefined ? [baseline] : [])].filter(Number.isFinite);
  if (values.length === 0) return { min: 0, max: 1 };
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (max - min < 1e-6) { min -= 0.5; max += 0.5; }
  const pad = 0.05 * (max - min);
  return { min: Math.max(0, min - pad), max: max + pad };
}

/** The x range: the planned number of steps when known, so the curve fills the chart as training goes. */
export function stepRange(lastStep: number, totalSteps: number): Range {
  return { min: 0, max: Math.max(1, totalSteps > 0 ? Math.max(totalSteps, lastStep) : lastStep) };
}

/** Index of the point whose x is nearest to `x` (points sorted by x); -1 when empty. */
export function nearestIndex(xs: number[], x: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid; else hi = mid;
  }
  return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
}
