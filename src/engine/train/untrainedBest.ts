/**
 * When a run's best validation loss is the untrained model's (step 0), samples and the hover fall
 * back to random weights. The end message then says so, why (read from the validation curve) and
 * what would help, chosen from the run's own numbers rather than a fixed list. Settings are named
 * as `{setting:key}`, which each surface writes its own way (`--lr`, `rnnLab.learningRate`).
 */
import type { ValPoint } from '../model/io/checkpoint';

export interface RunShape {
  /** Symbols in the training part of the text. */
  trainTokens: number;
  /** Steps trained and steps per epoch: how many times the run read the training text. */
  steps: number;
  stepsPerEpoch: number;
  learningRate: number;
  paramCount: number;
}

/** Below this many training symbols a text is short for even a small RNN. */
const SHORT_TEXT = 10_000;

const bits = (nats: number) => (nats / Math.LN2).toFixed(3);

/** '' unless the best evaluation is step 0 and training went on after it. */
export function untrainedBestNote(history: readonly ValPoint[], bestStep: number, run: RunShape): string {
  if (bestStep !== 0 || history.length < 2) return '';
  const first = history[0];
  const later = history.slice(1);
  const rose = later.every((p, i) => p.valLoss >= (i === 0 ? first.valLoss : later[i - 1].valLoss));
  const last = history[history.length - 1];
  const curve = rose
    ? `validation loss rose from the first evaluation on (${bits(first.valLoss)} at step 0 to ${bits(last.valLoss)} bits per symbol at step ${last.step})`
    : `validation loss never went below its step-0 value of ${bits(first.valLoss)} bits per symbol`;
  const epochs = run.stepsPerEpoch > 0 ? run.steps / run.stepsPerEpoch : 0;
  const tips: string[] = [];
  if (run.trainTokens < SHORT_TEXT) tips.push(`more text (${run.trainTokens.toLocaleString('en-US')} training symbols is little to learn from)`);
  if (epochs > 10) tips.push(`fewer steps ({setting:steps}: ${run.steps} steps read the training text ${Math.round(epochs)} times, so the model memorised it)`);
  if (run.paramCount > run.trainTokens) tips.push(`a smaller model ({setting:hiddenSize}: ${run.paramCount.toLocaleString('en-US')} parameters for ${run.trainTokens.toLocaleString('en-US')} training symbols)`);
  if (rose || tips.length === 0) tips.push(`a lower learning rate ({setting:learningRate}, now ${run.learningRate})`);
  const tried = tips.length > 1 ? `${tips.slice(0, -1).join(', ')} or ${tips[tips.length - 1]}` : tips[0];
  return ` The best weights are the untrained ones: ${curve}, so samples and the hover use a model that has learned nothing. Try ${tried}.`;
}
