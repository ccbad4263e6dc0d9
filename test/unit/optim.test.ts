import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipGlobalNorm, createOptimizer, globalNorm } from '../../src/engine/optim';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

/** Runs two steps on p = [1, -2] with gradients g1 then g2, returns the parameters after each. */
function twoSteps(name: Parameters<typeof createOptimizer>[0], lr: number) {
  const params = Float64Array.of(1, -2);
  const opt = createOptimizer(name, lr, 2);
  opt.step(params, Float64Array.of(0.5, -1));
  const first = Array.from(params);
  opt.step(params, Float64Array.of(0.25, 2));
  return [first, Array.from(params)];
}

test('sgd: p -= lr g', () => {
  const [a, b] = twoSteps('sgd', 0.1);
  close(a[0], 1 - 0.05); close(a[1], -2 + 0.1);
  close(b[0], 0.95 - 0.025); close(b[1], -1.9 - 0.2);
});

test('momentum: v = 0.9 v + g; p -= lr v', () => {
  const [a, b] = twoSteps('momentum', 0.1);
  close(a[0], 0.95); close(a[1], -1.9);
  // v = 0.9*0.5 + 0.25 = 0.7; v = 0.9*-1 + 2 = 1.1
  close(b[0], 0.95 - 0.07); close(b[1], -1.9 - 0.11);
});

test('rmsprop: s = 0.9 s + 0.1 g^2; p -= lr g / (sqrt(s) + eps)', () => {
  const [a, b] = twoSteps('rmsprop', 0.01);
  const s1 = [0.1 * 0.25, 0.1 * 1];
  close(a[0], 1 - (0.01 * 0.5) / (Math.sqrt(s1[0]) + 1e-7));
  close(a[1], -2 + 0.01 / (Math.sqrt(s1[1]) + 1e-7));
  const s2 = [0.9 * s1[0] + 0.1 * 0.0625, 0.9 * s1[1] + 0.1 * 4];
  close(b[0], a[0] - (0.01 * 0.25) / (Math.sqrt(s2[0]) + 1e-7));
  close(b[1], a[1] - (0.01 * 2) / (Math.sqrt(s2[1]) + 1e-7));
});

test('adam: first step moves each parameter by about lr against its gradient sign', () => {
  const [a, b] = twoSteps('adam', 0.01);
  // Bias-corrected m/sqrt(v) is g/|g| on the first step.
  close(a[0], 1 - 0.01 * 0.5 / (0.5 + 1e-8));
  close(a[1], -2 + 0.01 * 1 / (1 + 1e-8));
  // Second step by hand.
  const m2 = [0.9 * 0.05 + 0.1 * 0.25, 0.9 * -0.1 + 0.1 * 2];
  const v2 = [0.999 * 0.00025 + 0.001 * 0.0625, 0.999 * 0.001 + 0.001 * 4];
  const c1 = 1 - 0.81, c2 = 1 - 0.999 ** 2;
  close(b[0], a[0] - (0.01 * (m2[0] / c1)) / (Math.sqrt(v2[0] / c2) + 1e-8));
  close(b[1], a[1] - (0.01 * (m2[1] / c1)) / (Math.sqrt(v2[1] / c2) + 1e-8));
});

test('adagrad: s += g^2; p -= lr g / (sqrt(s) + eps)', () => {
  const [a, b] = twoSteps('adagrad', 0.1);
  close(a[0], 1 - 0.1 * 0.5 / (0.5 + 1e-10));
  close(a[1], -2 + 0.1 * 1 / (1 + 1e-10));
  close(b[0], a[0] - (0.1 * 0.25) / (Math.sqrt(0.25 + 0.0625) + 1e-10));
  close(b[1], a[1] - (0.1 * 2) / (Math.sqrt(1 + 4) + 1e-10));
});

test('adadelta: the step is sqrt(d + eps)/sqrt(s + eps) g with running averages', () => {
  const [a] = twoSteps('adadelta', 1);
  const s = 0.05 * 0.25;
  const delta = (Math.sqrt(1e-6) / Math.sqrt(s + 1e-6)) * 0.5;
  close(a[0], 1 - delta);
});

test('global-norm clipping scales to the limit and returns the norm before clipping', () => {
  const g = Float64Array.of(3, 4);
  assert.equal(globalNorm(g), 5);
  assert.equal(clipGlobalNorm(g, 1), 5);
  close(g[0], 0.6); close(g[1], 0.8);
  const h = Float32Array.of(0.3, 0.4);
  assert.ok(Math.abs(clipGlobalNorm(h, 1) - 0.5) < 1e-7);
  close(h[0], 0.3, 1e-7);
  const off = Float64Array.of(30, 40);
  clipGlobalNorm(off, 0);
  assert.deepEqual(Array.from(off), [30, 40]);
});
