import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lossRange, nearestIndex, niceTicks, stepRange } from '../../webview/shared/chartScale';
import { formatCompact, formatDuration, formatEpoch } from '../../webview/shared/format';

test('niceTicks: round values at 1/2/5 x 10^k inside the range', () => {
  assert.deepEqual(niceTicks({ min: 0, max: 1000 }, 5), [0, 200, 400, 600, 800, 1000]);
  assert.deepEqual(niceTicks({ min: 1.23, max: 4.6 }, 4), [2, 3, 4]);
  assert.deepEqual(niceTicks({ min: 1.23, max: 4.6 }, 8), [1.5, 2, 2.5, 3, 3.5, 4, 4.5]);
  assert.deepEqual(niceTicks({ min: 2, max: 2 }), [2]);
  for (const t of niceTicks({ min: 0.137, max: 0.91 }, 6)) assert.ok(t >= 0.137 && t <= 0.91);
});

test('lossRange spans the smoothed and validation losses and the baseline, padded, never below 0', () => {
  const r = lossRange([3, 2, 1.5], [1.8], Math.log(65));
  assert.ok(r.min < 1.5 && r.min >= 0);
  assert.ok(r.max > Math.log(65));
  assert.deepEqual(lossRange([], [], undefined), { min: 0, max: 1 });
  const flat = lossRange([2, 2], [], undefined);
  assert.ok(flat.max > flat.min);
});

test('stepRange uses the planned steps when known', () => {
  assert.deepEqual(stepRange(120, 1000), { min: 0, max: 1000 });
  assert.deepEqual(stepRange(120, 0), { min: 0, max: 120 });
  assert.deepEqual(stepRange(0, 0), { min: 0, max: 1 });
});

test('nearestIndex finds the closest point', () => {
  assert.equal(nearestIndex([], 3), -1);
  assert.equal(nearestIndex([0, 10, 20], 14), 1);
  assert.equal(nearestIndex([0, 10, 20], 16), 2);
  assert.equal(nearestIndex([0, 10, 20], -5), 0);
  assert.equal(nearestIndex([0, 10, 20], 99), 2);
});

test('formatting of durations, large numbers and epochs', () => {
  assert.equal(formatDuration(61_000), '1:01');
  assert.equal(formatDuration(3_723_000), '1:02:03');
  assert.equal(formatDuration(-1), '–');
  assert.equal(formatCompact(123_456), '123.5k');
  assert.equal(formatCompact(2_500_000), '2.50M');
  assert.equal(formatEpoch(3), '3');
  assert.equal(formatEpoch(0.5), '0.50');
});

test('debiasedEma: TensorBoard smoothing, with the first value kept as it is and a constant series unchanged', async () => {
  const { debiasedEma, xOf } = await import('../../webview/shared/curves');
  assert.deepEqual(debiasedEma([4, 4, 4], 0.9).map((v) => Number(v.toFixed(12))), [4, 4, 4]);
  const s = debiasedEma([10, 0], 0.5);
  assert.equal(s[0], 10);
  // (0.5*0.5*10 + 0.5*0) / (1 - 0.25) = 2.5 / 0.75
  assert.ok(Math.abs(s[1] - 2.5 / 0.75) < 1e-12);
  assert.deepEqual(debiasedEma([1, 2, 3], 0), [1, 2, 3]);
  const run = { id: 'a', name: 'a', createdAt: '', step: 10, bestValLoss: 1, stepsPerEpoch: 5, train: [], val: [] };
  assert.equal(xOf(run, { step: 10, ms: 2000 }, 'epoch'), 2);
  assert.equal(xOf(run, { step: 10, ms: 2000 }, 'wall'), 2);
  assert.equal(xOf({ ...run, stepsPerEpoch: undefined }, { step: 10 }, 'epoch'), undefined);
});
