/**
 * The channel between the extension host and the Lab and samples webviews (postMessage): one
 * name-to-payload map per direction, the tables of their types, and the limits both ends apply.
 *
 * Dependency-free (no `vscode`, no Node APIs): the webview bundles import it.
 */
import type { CheckpointSaved, EvalMetrics, FreshSample, RunSnapshot, RunStatus, StepMetrics } from '../engine/train/events';
import type { Envelope, MessageTypes } from './envelope';
import type { LabAnswer, LabRequest } from './labs';

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

export const hostToWebviewTypes = {
  snapshot: true, step: true, eval: true, status: true, checkpoint: true, sampleResult: true, labResult: true, generated: true, runs: true,
} as const satisfies MessageTypes<HostToWebview>;

export const webviewToHostTypes = {
  ready: true, stop: true, pause: true, resume: true, sample: true, openCheckpoint: true, lab: true, generate: true, copy: true, insert: true,
  listRuns: true, command: true,
} as const satisfies MessageTypes<WebviewToHost>;
