/** The data mode a run trained in, from its config (runs without a mode setting trained on a stream). */
import type { TrainConfig } from '../protocol/messages';

export function isLinesMode(config: TrainConfig | undefined): boolean {
  return config?.mode === 'lines';
}
