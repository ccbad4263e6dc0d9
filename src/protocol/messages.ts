/**
 * Typed messages between the three parties: extension host <-> trainer process (IPC over
 * child_process.fork) and extension host <-> webviews (postMessage). One name-to-payload map per
 * direction, so `send('eval', payload)` is checked at compile time on both ends.
 *
 * This module must stay dependency-free (no `vscode`, no Node APIs): the webview bundles import it.
 * It imports only the settings table (src/engine/config/settings.ts), which is dependency-free too,
 * and the lab answers' shapes, declared next to their computations in the engine (type-only imports).
 */
import type { DecodeResult } from '../engine/labs/decode';
import type { GradientFlowAnswer } from '../engine/labs/gradientFlow';
import type {
  FeatureUnits, FirstSymbolsAnswer, HardwareInfo, ResetStateAnswer, SentencesAnswer, TemperatureAnswer, TimingReport,
} from '../engine/labs';

import type { TrainConfig } from '../engine/config/settings';
import type {
  CheckpointSaved, EvalMetrics, FreshSample, ModelOpened, NextSymbolProbs, RunFinished, RunSnapshot, RunStarted,
  RunStatus, StepMetrics, SurprisalResult,
} from '../engine/train/events';

// The run's payloads are the engine's (engine/train/events.ts); the protocol carries them.
export type * from '../engine/train/events';
// The settings table (one declaration per setting) lives in the engine; the protocol carries its type.
export { backendNames, cellTypes, defaultTrainConfig, optimizerNames, type TrainConfig } from '../engine/config/settings';

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


/** A lab question put to the model the trainer holds (see src/engine/labs). */
export type LabRequest =
  | { kind: 'timing' }
  | { kind: 'firstSymbols'; prefix: string; top: number }
  | { kind: 'sentences'; count: number; temperature: number; maxLength: number }
  | { kind: 'resetState'; count: number; temperature: number; maxLength: number }
  | { kind: 'temperatures'; prime: string; length: number }
  /** `unit` < 0: find the units most correlated with the text's features and show the best. */
  | { kind: 'neurons'; text: string; unit: number }
  /** Teacher-forced decode of one line (the open file's line `lineNumber` when `line` is empty). */
  | { kind: 'decode'; line: string; lineNumber: number }
  /** ‖∂L_T/∂h_t‖ along one line (the open file's line `lineNumber` when `line` is empty), for the model and fresh RNN, GRU, LSTM. */
  | { kind: 'gradientFlow'; line: string; lineNumber: number };

export type LabAnswer =
  | { kind: 'timing'; timing: TimingReport; hardware: HardwareInfo }
  | ({ kind: 'firstSymbols' } & FirstSymbolsAnswer)
  | ({ kind: 'sentences' } & SentencesAnswer)
  | ({ kind: 'resetState' } & ResetStateAnswer)
  | ({ kind: 'temperatures' } & TemperatureAnswer)
  | { kind: 'neurons'; text: string; unit: number; units: number; found: FeatureUnits[]; activations: number[] }
  | ({ kind: 'decode'; lineNumber: number } & DecodeResult)
  | ({ kind: 'gradientFlow'; lineNumber: number } & GradientFlowAnswer)
  /** No answer: no model, bad input, or the trainer failed; `message` says which, calmly. */
  | { kind: 'error'; message: string };



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

export type Envelope<M> = { [K in keyof M]: { type: K; payload: M[K] } }[keyof M];
export type TrainerMessage = Envelope<TrainerToHost>;
export type HostMessage = Envelope<HostToTrainer>;

/** Extension host -> webview. */
export interface HostToWebview {
  /** Whole state, sent after the webview says `ready` and whenever a new run starts. */
  snapshot: RunSnapshot | null;
  step: StepMetrics;
  eval: EvalMetrics;
  status: { status: RunStatus; message: string };
  checkpoint: CheckpointSaved;
  sampleResult: FreshSample;
  labResult: { requestId: number; answer: LabAnswer };
  /** A streamed sample for the samples view: each new piece as `text`, then (`done`) the whole text. */
  generated: { requestId: number; text: string; done: boolean; error?: string };
  /** `select`: the runs to tick (after the Q6 card trained both modes), else the webview keeps its choice. */
  runs: { runs: RunCurves[]; note?: string; select?: string[] };
}

/** One run's curves, read from its checkpoint (compare runs). */
export interface RunCurves {
  /** The checkpoint path. */
  id: string;
  name: string;
  createdAt: string;
  step: number;
  bestValLoss: number | null;
  /** What the run's tokens are: its losses are bits/char or bits/word (older records without it are char). */
  tokens: 'char' | 'word';
  stepsPerEpoch?: number;
  train: Array<{ step: number; loss: number; ms?: number }>;
  val: Array<{ step: number; valLoss: number; ms?: number; epoch?: number }>;
}

/** Longest sample drawn on request (the Lab's Sample control, the Samples view, the sample command, the lab cards). */
export const onDemandSampleLimit = 10_000;

/** What a lab card, a sample or the surprisal view says when there is no model to ask (host or trainer). */
export const noModelMessage = 'No model yet: train one with "RNN Lab: Train char-LSTM on this file" (a completed or running run answers here).';

/** Characters of the open file the Neurons card reads at most. */
export const neuronTextLimit = 3000;

/** A requested sample length as drawn: rounded into 1 … onDemandSampleLimit, 200 when it is not a number. */
export function onDemandSampleLength(requested: number): number {
  return Math.max(1, Math.min(onDemandSampleLimit, Math.round(requested) || 200));
}

/** What the samples view asks for. */
export interface GenerateRequest {
  requestId: number;
  prime: string;
  length: number;
  /** 0 = greedy. */
  temperature: number;
  stopAtEnd: boolean;
}

/** Webview -> extension host. */
export interface WebviewToHost {
  ready: Record<string, never>;
  stop: Record<string, never>;
  pause: Record<string, never>;
  resume: Record<string, never>;
  sample: { prime: string; length: number; temperature: number };
  openCheckpoint: Record<string, never>;
  lab: { requestId: number; request: LabRequest };
  generate: GenerateRequest;
  copy: { text: string };
  insert: { text: string };
  listRuns: Record<string, never>;
  /** Run one of the RNN Lab commands the cards offer (Open model…, training with a preset). */
  command: { id: 'openModel' } | { id: 'trainPreset'; preset: string } | { id: 'compareModes' };
}

export type ToWebviewMessage = Envelope<HostToWebview>;
export type FromWebviewMessage = Envelope<WebviewToHost>;

export function isMessageOf<M>(value: unknown, types: ReadonlyArray<keyof M>): value is Envelope<M> {
  return typeof value === 'object' && value !== null && 'type' in value && 'payload' in value &&
    types.includes((value as { type: keyof M }).type);
}

export const trainerToHostTypes: ReadonlyArray<keyof TrainerToHost> = [
  'ready', 'started', 'step', 'eval', 'checkpoint', 'paused', 'resumed', 'finished', 'failed', 'log', 'sampleResult', 'opened', 'probsResult',
  'sampleChunk', 'labResult', 'surprisalResult',
];
export const hostToTrainerTypes: ReadonlyArray<keyof HostToTrainer> = ['start', 'continueRun', 'open', 'pause', 'resume', 'stop', 'sample', 'probs', 'lab', 'surprisal'];
export const hostToWebviewTypes: ReadonlyArray<keyof HostToWebview> = [
  'snapshot', 'step', 'eval', 'status', 'checkpoint', 'sampleResult', 'labResult', 'generated', 'runs',
];
export const webviewToHostTypes: ReadonlyArray<keyof WebviewToHost> = [
  'ready', 'stop', 'pause', 'resume', 'sample', 'openCheckpoint', 'lab', 'generate', 'copy', 'insert', 'listRuns', 'command',
];
