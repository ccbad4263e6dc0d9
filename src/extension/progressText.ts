/** One short line about a run's progress, shared by the status bar and the progress notification. */
import { formatLossShort, symbolUnit } from '../protocol/lossFormat';
import type { RunSnapshot } from '../protocol/messages';

/**
 * The best validation loss so far (nats): the one whose weights the samples and the hover use,
 * which the latest evaluation carries; older snapshots without it take the lowest seen.
 */
export function bestValidationNats(snapshot: RunSnapshot): number | undefined {
  const lastEval = snapshot.evals[snapshot.evals.length - 1];
  if (!lastEval) return undefined;
  return lastEval.bestValLoss ?? Math.min(...snapshot.evals.map((e) => e.valLoss));
}

export function describeProgress(snapshot: RunSnapshot): string {
  const step = snapshot.lastStep?.step ?? 0;
  const total = snapshot.started?.totalSteps ?? 0;
  const parts = [total > 0 ? `step ${step}/${total}` : `step ${step}`];
  const best = bestValidationNats(snapshot);
  if (best !== undefined) parts.push(`best val ${formatLossShort(best, symbolUnit(snapshot.started?.config.tokens))}`);
  if (snapshot.status !== 'running') parts.push(snapshot.status);
  return parts.join(' · ');
}

/** Percent done, when the run has a known number of steps. */
export function percentDone(snapshot: RunSnapshot): number | undefined {
  const total = snapshot.started?.totalSteps ?? 0;
  if (total <= 0) return undefined;
  return Math.min(100, (100 * (snapshot.lastStep?.step ?? 0)) / total);
}
