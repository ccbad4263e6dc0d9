/**
 * Which weights the Lab's answers use, as Q5 names them: samples and the hover use the best
 * validation step's weights, not the last step trained, so the label names that step.
 */
import type { RunSnapshot } from '../train/events';

export function weightsLabel(snapshot: RunSnapshot | null): string {
  const started = snapshot?.started;
  if (!snapshot || !started) return 'none';
  const lastEval = snapshot.evals[snapshot.evals.length - 1];
  const trained = Math.max(snapshot.lastStep?.step ?? 0, lastEval?.step ?? 0, started.startStep ?? 0);
  const best = lastEval?.bestStep ?? (lastEval?.isBest ? lastEval.step : undefined);
  const c = started.config;
  const architecture = `${c.cell.toUpperCase()} ${Array.isArray(c.hiddenSize) ? c.hiddenSize.join('+') : `${c.hiddenSize}×${c.layers}`}`;
  const weights = best === undefined
    ? `step ${trained}`
    : best === trained ? `step ${best}, its best validation loss` : `the step-${best} weights, its best validation loss; trained to step ${trained}`;
  return `${started.sourceName} (${architecture}, ${weights})`;
}
