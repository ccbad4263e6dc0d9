/**
 * A run's snapshot and how messages change it: the reducer the extension host and both webviews
 * apply, so every view of a run stays in step. Pure logic: no `vscode`, no Node APIs.
 *
 * Memory is bounded whatever the run length: the training-loss series is halved (adjacent points
 * averaged) whenever it reaches its cap, old evaluations lose their sample text, and the
 * evaluation series is halved too once it is very long.
 */
import type { EvalMetrics, RunSnapshot, RunStatus, StepMetrics, ToWebviewMessage } from './messages';

export const stepHistoryCap = 1000;
export const evalHistoryCap = 1000;
/** Evaluations that keep their sample text; older ones keep only their numbers. */
export const samplesKept = 50;

const terminalStatuses: ReadonlySet<RunStatus> = new Set(['completed', 'stopped', 'diverged', 'error', 'crashed', 'opened']);

export function isTerminal(status: RunStatus): boolean {
  return terminalStatuses.has(status);
}

export function isActive(status: RunStatus): boolean {
  return status === 'starting' || status === 'running' || status === 'paused' || status === 'stopping';
}

/** Appends a step; when the series exceeds `cap`, adjacent pairs merge into one point (mean loss, later step). */
export function appendStep(points: StepMetrics[], step: StepMetrics, cap = stepHistoryCap): StepMetrics[] {
  const next = [...points, step];
  return next.length > cap ? halve(next, (a, b) => ({ ...b, loss: (a.loss + b.loss) / 2 })) : next;
}

/** Appends an evaluation, drops sample text beyond the newest `samplesKept`, keeps every other old point past `cap`. */
export function appendEval(points: EvalMetrics[], evaluation: EvalMetrics, cap = evalHistoryCap): EvalMetrics[] {
  let next = [...points, evaluation];
  const firstWithText = next.length - samplesKept - 1;
  if (firstWithText >= 0 && next[firstWithText].sample !== '') {
    next[firstWithText] = { ...next[firstWithText], sample: '' };
  }
  if (next.length > cap) next = halve(next, (_a, b) => b);
  return next;
}

function halve<T>(points: T[], merge: (a: T, b: T) => T): T[] {
  const out: T[] = [];
  for (let i = 0; i + 1 < points.length; i += 2) out.push(merge(points[i], points[i + 1]));
  if (points.length % 2 === 1) out.push(points[points.length - 1]);
  return out;
}

/** Applies one host-to-webview message to a snapshot. Used by the host and by both webviews. */
export function reduceSnapshot(snapshot: RunSnapshot | null, message: ToWebviewMessage): RunSnapshot | null {
  if (message.type === 'snapshot') return message.payload;
  if (!snapshot) return snapshot;
  switch (message.type) {
    case 'step':
      return { ...snapshot, steps: appendStep(snapshot.steps, message.payload), lastStep: message.payload };
    case 'eval':
      return { ...snapshot, evals: appendEval(snapshot.evals, message.payload) };
    case 'status':
      return { ...snapshot, status: message.payload.status, statusMessage: message.payload.message };
    case 'checkpoint':
      return { ...snapshot, checkpoint: message.payload };
    case 'sampleResult':
      return { ...snapshot, freshSample: message.payload };
    // Answers to one view's requests: not part of the run's state.
    case 'labResult':
    case 'generated':
    case 'runs':
      return snapshot;
  }
}
