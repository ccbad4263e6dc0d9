/** One short line about a run's progress, shared by the status bar and the progress notification. */
import type { RunSnapshot } from '../protocol/messages';

export function describeProgress(snapshot: RunSnapshot): string {
  const step = snapshot.lastStep?.step ?? 0;
  const total = snapshot.started?.totalSteps ?? 0;
  const parts = [total > 0 ? `step ${step}/${total}` : `step ${step}`];
  const lastEval = snapshot.evals[snapshot.evals.length - 1];
  if (lastEval) parts.push(`val ${lastEval.valBitsPerChar.toFixed(2)} bits/char`);
  if (snapshot.status !== 'running') parts.push(snapshot.status);
  return parts.join(' · ');
}

/** Percent done, when the run has a known number of steps. */
export function percentDone(snapshot: RunSnapshot): number | undefined {
  const total = snapshot.started?.totalSteps ?? 0;
  if (total <= 0) return undefined;
  return Math.min(100, (100 * (snapshot.lastStep?.step ?? 0)) / total);
}
