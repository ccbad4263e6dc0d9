/** Central finite differences against the analytic gradients of a float64 network. */
import assert from 'node:assert/strict';
import type { ReferenceNetwork } from '../../../src/engine/backends/reference';
import type { PassOptions } from '../../../src/engine/backends/types';
import type { TokenBatch } from '../../../src/engine/tensor';

export interface GradCheckResult {
  maxRelativeError: number;
  worstParam: number;
  checked: number;
}

/**
 * Compares d(lossSum/count)/d(params) with central differences. The carried state is held fixed
 * (restored before every pass) so the finite differences see the same truncated problem.
 */
export function gradCheck(net: ReferenceNetwork, batch: TokenBatch, options: PassOptions, h = 1e-5, minGrad = 1e-6): GradCheckResult {
  const start = net.snapshotState();
  const meanLoss = () => {
    net.restoreState(start);
    const r = net.forwardBackward(batch, options);
    return r.lossSum / r.count;
  };
  meanLoss();
  const analytic = Float64Array.from(net.grads);
  let maxRelativeError = 0;
  let worstParam = -1;
  let checked = 0;
  for (let i = 0; i < net.params.length; i++) {
    const saved = net.params[i];
    net.params[i] = saved + h;
    const up = meanLoss();
    net.params[i] = saved - h;
    const down = meanLoss();
    net.params[i] = saved;
    const numeric = (up - down) / (2 * h);
    const scale = Math.max(Math.abs(numeric), Math.abs(analytic[i]));
    if (scale <= minGrad) continue;
    checked++;
    const rel = Math.abs(numeric - analytic[i]) / scale;
    if (rel > maxRelativeError) {
      maxRelativeError = rel;
      worstParam = i;
    }
  }
  net.restoreState(start);
  return { maxRelativeError, worstParam, checked };
}

/**
 * gradCheck, asserting that the analytic gradients agree to 1e-4 (relative) and, with
 * `minCheckedFraction`, that more than that fraction of the parameters had a gradient to check.
 */
export function assertGradientsMatch(net: ReferenceNetwork, batch: TokenBatch, options: PassOptions, minCheckedFraction?: number): void {
  const result = gradCheck(net, batch, options);
  if (minCheckedFraction !== undefined) {
    assert.ok(result.checked > net.params.length * minCheckedFraction, `only ${result.checked} gradients checked`);
  }
  assert.ok(result.maxRelativeError <= 1e-4, `max relative error ${result.maxRelativeError} at param ${result.worstParam}`);
}
