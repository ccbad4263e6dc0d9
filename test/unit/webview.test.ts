import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bitsTicks, lossRange, nearestIndex, niceTicks, stepRange } from '../../webview/shared/chartScale';
import { formatCompact, formatDuration, formatEpoch } from '../../webview/shared/format';
import { formatLoss, formatLossShort, symbolUnit } from '../../src/protocol/lossFormat';
import { legendMarkdown, surprisalBuckets } from '../../src/extension/surprisalLegend';
import { bestValidationNats, describeProgress } from '../../src/extension/progressText';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

test('niceTicks: round values at 1/2/5 x 10^k inside the range', () => {
  assert.deepEqual(niceTicks({ min: 0, max: 1000 }, 5), [0, 200, 400, 600, 800, 1000]);
  assert.deepEqual(niceTicks({ min: 1.23, max: 4.6 }, 4), [2, 3, 4]);
  assert.deepEqual(niceTicks({ min: 1.23, max: 4.6 }, 8), [1.5, 2, 2.5, 3, 3.5, 4, 4.5]);
  assert.deepEqual(niceTicks({ min: 2, max: 2 }), [2]);
  for (const t of niceTicks({ min: 0.137, max: 0.91 }, 6)) assert.ok(t >= 0.137 && t <= 0.91);
});

test('the loss chart\'s left axis: ticks at round numbers of bits (the unit it shows), placed at their nats', () => {
  // A run from ln(65) nats down to about 1.2: in bits 1.73 … 6.02.
  const range = lossRange([Math.log(65), 2.5, 1.3], [1.25], Math.log(65));
  const ticks = bitsTicks(range, 5);
  assert.ok(ticks.length >= 3, JSON.stringify(ticks));
  assert.deepEqual(ticks.map((t) => t.label), ['2', '3', '4', '5', '6']);
  for (const t of ticks) {
    assert.ok(Math.abs(t.nats - t.bits * Math.LN2) < 1e-12, 'placed at its value in nats');
    assert.ok(t.nats >= range.min && t.nats <= range.max, 'inside the range');
  }
  // A narrow range late in training: halves or tenths of a bit, labelled with just those decimals.
  assert.deepEqual(bitsTicks({ min: 1.1 * Math.LN2, max: 1.9 * Math.LN2 }, 4).map((t) => t.label), ['1.2', '1.4', '1.6', '1.8']);
  assert.deepEqual(bitsTicks({ min: 0.4 * Math.LN2, max: 2.6 * Math.LN2 }, 5).map((t) => t.label), ['0.5', '1.0', '1.5', '2.0', '2.5']);
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
  const run = { id: 'a', name: 'a', createdAt: '', step: 10, bestValLoss: 1, tokens: 'char' as const, stepsPerEpoch: 5, train: [], val: [] };
  assert.equal(xOf(run, { step: 10, ms: 2000 }, 'epoch'), 2);
  assert.equal(xOf(run, { step: 10, ms: 2000 }, 'wall'), 2);
  assert.equal(xOf({ ...run, stepsPerEpoch: undefined }, { step: 10 }, 'epoch'), undefined);
});

test('niceTicks on an integer axis: a 0–1 range gets the ticks 0 and 1, never fractions', () => {
  assert.deepEqual(niceTicks({ min: 0, max: 1 }, 8, { integer: true }), [0, 1]);
  assert.deepEqual(niceTicks({ min: 0, max: 3 }, 10, { integer: true }), [0, 1, 2, 3]);
  assert.deepEqual(niceTicks({ min: 0, max: 1000 }, 5, { integer: true }), [0, 200, 400, 600, 800, 1000]);
  for (const max of [1, 2, 5, 7, 13]) {
    const ticks = niceTicks({ min: 0, max }, 9, { integer: true });
    assert.ok(ticks.every(Number.isInteger), `${max}: ${ticks}`);
    assert.equal(new Set(ticks.map((t) => Math.round(t))).size, ticks.length, `labels repeat for 0–${max}: ${ticks}`);
  }
});

test('formatLoss: bits per symbol first, nats in parentheses; bits/word for word models', () => {
  const nats = 1.5;
  assert.equal(formatLoss(nats), `${(nats / Math.LN2).toFixed(2)} bits/char (1.500 nats)`);
  assert.equal(formatLoss(nats, 'word'), `${(nats / Math.LN2).toFixed(2)} bits/word (1.500 nats)`);
  assert.equal(formatLoss(Math.LN2), '1.00 bits/char (0.693 nats)');
  assert.equal(formatLossShort(Math.LN2 * 2, symbolUnit('word')), '2.00 bits/word');
  assert.equal(formatLoss(null), '–');
  assert.equal(formatLoss(Number.NaN), '–');
  assert.equal(symbolUnit(undefined), 'char');
});

test('progress text (status bar) shows the best validation loss, not the latest', () => {
  const evaluation = (step: number, valLoss: number, bestValLoss?: number) => ({
    step, epoch: 0, valLoss, valBitsPerChar: valLoss / Math.LN2, trainLoss: valLoss, sample: '', prime: '', temperature: 1,
    charsPerSec: 0, elapsedMs: 0, isBest: false, ...(bestValLoss !== undefined ? { bestValLoss } : {}),
  });
  const snapshot = { status: 'running' as const, statusMessage: '', steps: [], evals: [evaluation(50, 1.2, 1.2), evaluation(100, 1.6, 1.2)] };
  assert.equal(bestValidationNats(snapshot), 1.2);
  assert.equal(describeProgress(snapshot), `step 0 · best val ${(1.2 / Math.LN2).toFixed(2)} bits/char`);
  // Snapshots from before evaluations carried the best: the lowest seen.
  assert.equal(bestValidationNats({ ...snapshot, evals: [evaluation(50, 1.3), evaluation(100, 1.7)] }), 1.3);
});

// VS Code's Markdown sanitizer (src/vs/base/browser/markdownRenderer.ts): a span keeps its style only in this form.
const markdownSpanStyle = /^(color\:(#[0-9a-fA-F]+|var\(--vscode(-[a-zA-Z0-9]+)+\));)?(background-color\:(#[0-9a-fA-F]+|var\(--vscode(-[a-zA-Z0-9]+)+\));)?(border-radius:[0-9]+px;)?$/;

test('the surprisal legend\'s swatches survive the tooltip sanitizer (each has a #hex background)', () => {
  const styles = [...legendMarkdown().matchAll(/style="([^"]*)"/g)].map((m) => m[1]);
  assert.equal(styles.length, surprisalBuckets.length);
  for (const style of styles) {
    assert.match(style, markdownSpanStyle, `the sanitizer strips ${style}`);
    assert.match(style, /background-color:#[0-9a-f]{8};/i);
  }
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('no webview source sets an inline style attribute (the webview CSP drops them)', () => {
  const root = join(__dirname, '..', '..', '..');
  const offenders: string[] = [];
  for (const file of [...sourceFiles(join(root, 'webview')), join(root, 'src', 'extension', 'webviewHost.ts')]) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (/setAttribute\(\s*['"]style['"]|\bstyle\s*=\s*["'`$]|[{,]\s*['"]?style['"]?\s*:/.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(offenders, []);
});
