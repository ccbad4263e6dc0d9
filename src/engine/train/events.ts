/**
 * What a training run reports, in the engine's words: the payloads of its start, steps,
 * evaluations, checkpoints and end, of a model opened from a file, and the record of a run the
 * views replay. The protocol carries these between processes; the engine declares them, so the
 * engine never imports the protocol (test/unit/layers.test.ts keeps it so).
 */
import type { TrainConfig } from '../config/settings';
import type { ActualNext } from '../sample/distribution';

/** Which compute backend a run uses (the engine's BackendInfo is this type). */
export interface BackendSummary {
  /** Short id: 'wasm', 'js', 'reference', ... */
  name: string;
  /** What a person reads: "WebAssembly SIMD, 2 threads". */
  description: string;
  threads: number;
  /** Why the GPU was not used when it was asked for (auto), as the description's last parenthesis says. */
  fallbackNote?: string;
}

export interface RunStarted {
  runId: string;
  sourceName: string;
  config: TrainConfig;
  backend: BackendSummary;
  vocabSize: number;
  /** The symbols, index = id; special symbols are shown as ⟨unk⟩ etc. */
  symbols: string[];
  paramCount: number;
  trainChars: number;
  valChars: number;
  /** ln(V): the loss of a uniform guess, in nats/char. */
  baselineNats: number;
  /** Planned number of steps when known (steps or epochs), else 0. */
  totalSteps: number;
  stepsPerEpoch: number;
  /** The step a resumed run continues from (0 for a new run). */
  startStep?: number;
  /** A resumed run had stopped early: its early-stopping patience starts afresh. */
  patienceReset?: boolean;
  /** The run's own folder, when it writes checkpoints. */
  runDir?: string;
  /** How the text was split and batched, in words. */
  dataDescription?: string;
}

export interface StepMetrics {
  step: number;
  epoch: number;
  /** Mean training cross-entropy of this batch, nats/char. */
  loss: number;
  /** Exponential moving average of `loss`. */
  smoothLoss: number;
  gradNorm: number;
  charsPerSec: number;
  elapsedMs: number;
  /** Estimated time left; -1 when unknown. */
  etaMs: number;
}

export interface EvalMetrics {
  step: number;
  epoch: number;
  /** Validation cross-entropy, nats/char. */
  valLoss: number;
  valBitsPerChar: number;
  /** Training loss (smoothed) at this point, nats/char, for the table. */
  trainLoss: number;
  sample: string;
  prime: string;
  temperature: number;
  charsPerSec: number;
  elapsedMs: number;
  isBest: boolean;
  /** Validation loss per token in bits (bits/char for characters, bits/word for words) and its perplexity. */
  valBitsPerToken?: number;
  valPerplexity?: number;
  /** Lines mode: validation cross-entropy per sentence, nats. */
  valLossPerSentence?: number;
  /** The best validation loss so far (nats) and the step that reached it (the weights samples and the hover use). */
  bestValLoss?: number;
  bestStep?: number;
  /** The learning rate in use (after decay and halving). */
  learningRate?: number;
}

export interface CheckpointSaved {
  path: string;
  step: number;
  valLoss: number;
  reason: 'best' | 'final';
}

export type RunEndReason = 'completed' | 'stopped' | 'diverged' | 'error';

export interface RunFinished {
  reason: RunEndReason;
  message: string;
  step: number;
  bestValLoss: number;
  /** The step of the best validation loss (-1 when there was no evaluation). */
  bestStep?: number;
  /** Early stopping ended the run (validation stopped improving). */
  stoppedEarly?: boolean;
  checkpointPath?: string;
  /** The run's own folder (its checkpoints and run.json). */
  runDir?: string;
  /** The file's best model (this run's, or an earlier run's that was better on the same text). */
  bestPath?: string;
  /** A checkpoint could not be written: the message says what was lost and where the last good one is. */
  checkpointFailed?: boolean;
}

/** A model served from a checkpoint, Keras weights or a PyTorch folder, without training. */
export interface ModelOpened {
  path: string;
  /** What the file is: one of RNN Lab's checkpoints (a run's history with it), Keras weights (weights only) or a PyTorch folder (its validation history). */
  kind: 'checkpoint' | 'keras' | 'pytorch';
  /** The run the checkpoint came from, described as its `started` message would (no text sizes). */
  started: RunStarted;
  step: number;
  /** Nats per symbol; NaN (sent as null) when the run never evaluated. */
  bestValLoss: number | null;
  trainHistory: Array<{ step: number; loss: number }>;
  valHistory: Array<{ step: number; valLoss: number }>;
  /** A sample drawn at opening with the run's own sampling settings, so the views have one to show. */
  sample: { text: string; prime: string; temperature: number };
}

export interface SurprisalResult {
  /** Bits per code point of the text, to 2 decimals; -1 where the character is not in the vocabulary. */
  bits: number[];
  meanBits: number;
  unknownCount: number;
  complete: boolean;
  /** Why there are no figures (a model that reads words, not characters). */
  note?: string;
}

/** The next-symbol distribution after a context (the hover), and the symbol that follows when asked. */
export interface NextSymbolProbs {
  probs: Array<{ symbol: string; p: number }>;
  entropyBits: number;
  next?: ActualNext;
}

/** Run state as the host keeps it and replays it to a (re)loaded webview; `opened`: a model opened from a file, not trained here. */
export type RunStatus = 'starting' | 'running' | 'paused' | 'stopping' | 'completed' | 'stopped' | 'diverged' | 'error' | 'crashed' | 'opened';

export interface RunSnapshot {
  status: RunStatus;
  statusMessage: string;
  started?: RunStarted;
  /** Downsampled training-loss history (the host caps its length). */
  steps: StepMetrics[];
  evals: EvalMetrics[];
  lastStep?: StepMetrics;
  checkpoint?: CheckpointSaved;
  /** The last sample asked for on demand (the Sample control or command), kept so a reloaded view shows it. */
  freshSample?: FreshSample;
  /**
   * The sample drawn when a model was opened, when it has no evaluation to go with (Keras weights,
   * a run that never evaluated): the views show it as the latest sample.
   */
  openedSample?: FreshSample;
}

export interface FreshSample {
  text: string;
  prime: string;
  temperature: number;
  /** Set instead of `text` when no sample could be drawn (no trainer, or no answer in time). */
  error?: string;
}

