/**
 * An epochs budget on a small text can be too few optimizer steps to learn anything: seed 004's
 * 10 epochs are 790 updates on its 10,000 captions, but 20 epochs of the 901 bundled captions are 140
 * (3.40 bits/char, against 0.75 after 790). A run budgeted that way says so when it starts.
 */
import type { TrainConfig } from '../config/settings';

/** Fewer steps than this learn little: every preset runs at least this many. */
export const FEW_STEPS = 500;

/** The warning for a run whose epochs budget is fewer than FEW_STEPS steps on this text, or undefined. */
export function fewStepsWarning(config: Pick<TrainConfig, 'steps' | 'epochs'>, stepsPerEpoch: number, textName: string): string | undefined {
  if (config.epochs <= 0) return undefined;
  const byEpochs = config.epochs * stepsPerEpoch;
  // A smaller steps budget was chosen as such.
  if (byEpochs >= FEW_STEPS || (config.steps > 0 && config.steps <= byEpochs)) return undefined;
  const epochs = `${config.epochs} epoch${config.epochs === 1 ? '' : 's'}`;
  return `${textName} is small: ${epochs} of it ({setting:epochs}) are ${byEpochs} steps (${stepsPerEpoch} an epoch), too few to learn it ` +
    `(the captions preset is at 3.40 bits/char after 140 steps, 0.75 after 790); budget by steps instead, at least ${FEW_STEPS} ({setting:steps}).`;
}
