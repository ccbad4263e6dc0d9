/**
 * The channel between the extension host and the trainer process (IPC over child_process.fork):
 * one name-to-payload map per direction, the tables of their types, and which host request each
 * trainer message answers (`trainerAnswers`), so a request and its answer are paired by type.
 *
 * Dependency-free (no `vscode`, no Node APIs); the payloads are the engine's (engine/train/events.ts).
 */
import type { TrainConfig } from '../engine/config/settings';
import type {
  CheckpointSaved, EvalMetrics, ModelOpened, NextSymbolProbs, RunFinished, RunStarted, StepMetrics, SurprisalResult,
} from '../engine/train/events';
import type { Envelope, MessageTypes } from './envelope';
import type { LabAnswer, LabRequest } from './labs';

/** Trainer process -> extension host. */
export interface TrainerToHost {
  ready: { pid: number };
  started: RunStarted;
  step: StepMetrics;
  eval: EvalMetrics;
  checkpoint: CheckpointSaved;
  paused: { step: number };
  resumed: { step: number };
  finished: RunFinished;
  /** A problem the user must read (bad input, corrupt checkpoint); the run does not start or ends. */
  failed: { message: string; detail?: string };
  log: { level: 'info' | 'warn' | 'error'; message: string };
  sampleResult: { requestId: number; text: string };
  /** A checkpoint was opened (answer to `open`): the model now answers samples and probabilities. */
  opened: ModelOpened;
  /** Part of a streamed sample (`stream: true`), before its `sampleResult`. */
  sampleChunk: { requestId: number; text: string };
  probsResult: NextSymbolProbs & { requestId: number };
  labResult: { requestId: number; answer: LabAnswer };
  surprisalResult: SurprisalResult & { requestId: number };
}

export type TrainSource =
  | { kind: 'file'; path: string; name: string }
  | { kind: 'text'; text: string; name: string };

/** Extension host -> trainer process. */
export interface HostToTrainer {
  start: { runId: string; source: TrainSource; config: TrainConfig; checkpointDir: string };
  /**
   * Continue the run of a checkpoint where it stopped: its settings, its text (read again from the
   * file it recorded) and its training state; `overrides` may change the budget and reporting.
   */
  continueRun: {
    runId: string; checkpoint: string; checkpointDir: string; overrides: Partial<TrainConfig>;
    /** Train this many steps beyond the checkpoint's step (instead of up to its own budget). */
    moreSteps?: number;
  };
  /** Serve the model of a checkpoint (no training): samples and probabilities, until the process ends. */
  /** `vocab` / `vocabText`: the vocabulary of a Keras weights file that carries none (a JSON list, or the training text). */
  open: { runId: string; path: string; backend: TrainConfig['backend']; threads: number; vocab?: string; vocabText?: string };
  pause: Record<string, never>;
  resume: Record<string, never>;
  stop: Record<string, never>;
  sample: { requestId: number; prime: string; length: number; temperature: number; stream?: boolean; stopAtEnd?: boolean };
  /** Next-symbol distribution after `context` (the hover); `next`: the character that follows, to score. */
  probs: { requestId: number; context: string; top: number; next?: string };
  lab: { requestId: number; request: LabRequest };
  /** Bits per character of `text` after `context`; a newer request cancels an unfinished older one. */
  /** `summary`: only the mean and the unknown count come back (`bits` is empty), for a whole file. */
  surprisal: { requestId: number; context: string; text: string; summary?: boolean };
}

export type TrainerMessage = Envelope<TrainerToHost>;
export type HostMessage = Envelope<HostToTrainer>;

export const trainerToHostTypes = {
  ready: true, started: true, step: true, eval: true, checkpoint: true, paused: true, resumed: true, finished: true, failed: true, log: true,
  sampleResult: true, opened: true, sampleChunk: true, probsResult: true, labResult: true, surprisalResult: true,
} as const satisfies MessageTypes<TrainerToHost>;

export const hostToTrainerTypes = {
  start: true, continueRun: true, open: true, pause: true, resume: true, stop: true, sample: true, probs: true, lab: true, surprisal: true,
} as const satisfies MessageTypes<HostToTrainer>;

/**
 * The host's requests the trainer answers, and the message that answers each (same `requestId`).
 * The client derives its promises from this map: a new request names its answer here, once.
 */
export const trainerAnswers = {
  sample: 'sampleResult', probs: 'probsResult', lab: 'labResult', surprisal: 'surprisalResult',
} as const satisfies { [K in keyof HostToTrainer]?: keyof TrainerToHost };

export type TrainerRequest = keyof typeof trainerAnswers;
/** The payload of the message that answers request `R`. */
export type AnswerTo<R extends TrainerRequest> = TrainerToHost[(typeof trainerAnswers)[R]];
