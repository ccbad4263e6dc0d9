/**
 * Checks that a corpus can feed a run with this configuration, before anything is written: the
 * data plan of its mode is built (cheap: no batch is made) and its complaints, which name the
 * setting to change, are passed on.
 */
import type { TrainConfig } from '../config/settings';
import { planData } from './batcher';
import type { Corpus } from './corpus';

export function assertTrainable(corpus: Corpus, config: TrainConfig): void {
  planData(corpus, config);
}
