/**
 * One training run: text in, events out. Used by the trainer process and the CLI alike.
 * (Skeleton: the signatures are the contract; the engine fills in the bodies.)
 */
import type { CheckpointSaved, EvalMetrics, RunFinished, RunStarted, StepMetrics, TrainConfig } from '../../protocol/messages';
import type { Backend } from '../backends/types';

export interface TrainEvents {
  started?(info: RunStarted): void;
  step?(metrics: StepMetrics): void;
  eval?(metrics: EvalMetrics): void;
  checkpoint?(saved: CheckpointSaved): void;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface TrainingRunOptions {
  runId: string;
  sourceName: string;
  /** The training text, already decoded (see text/read.ts for files). */
  text: import('../text/corpus').Corpus;
  config: TrainConfig;
  backend: Backend;
  /** Where checkpoints go; undefined = do not write checkpoints. */
  checkpointDir?: string;
  events: TrainEvents;
}

export class TrainingRun {
  constructor(readonly options: TrainingRunOptions) {
    throw new Error('not implemented');
  }
  /** Runs until the configured budget is spent or `stop()` is called; yields to the event loop between steps. */
  run(): Promise<RunFinished> { throw new Error('not implemented'); }
  pause(): void { throw new Error('not implemented'); }
  resume(): void { throw new Error('not implemented'); }
  stop(): void { throw new Error('not implemented'); }
  /** Samples with the current weights (a separate stepper: does not disturb training). */
  sample(prime: string, length: number, temperature: number): string { throw new Error('not implemented'); }
  /** Next-symbol distribution after `context`, top-k. */
  nextSymbolProbs(context: string, top: number): { probs: Array<{ symbol: string; p: number }>; entropyBits: number } {
    throw new Error('not implemented');
  }
}
