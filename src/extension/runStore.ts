/**
 * The history of the current run, as the host keeps it and replays it to webviews: turns trainer
 * messages into webview messages and applies them with the protocol's reducer (src/protocol/snapshot.ts).
 */
import type {
  CheckpointSaved, EvalMetrics, FreshSample, ModelOpened, RunFinished, RunSnapshot, RunStatus, StepMetrics, ToWebviewMessage, TrainerMessage,
} from '../protocol/messages';
import { isActive, isTerminal, reduceSnapshot } from '../protocol/snapshot';

const finishedStatus: Record<RunFinished['reason'], RunStatus> = {
  completed: 'completed', stopped: 'stopped', diverged: 'diverged', error: 'error',
};

/** What tests and other extensions can read about the run (returned from `activate()`). */
export interface RunState {
  /** 'idle' before the first run of this window. */
  status: RunStatus | 'idle';
  trainerPid?: number;
  evalCount: number;
  lastSample?: string;
  /** The text the last sample was primed with (shown before it). */
  lastPrime?: string;
  lastValBitsPerChar?: number;
  step: number;
  checkpointPath?: string;
  /** What the run trains on (a file name, or "<name> (selection)"), once the trainer has read it. */
  sourceName?: string;
  /** Characters of the text used for training and for validation: together, the text's length. */
  trainChars?: number;
  valChars?: number;
}

export interface TrainerExit {
  code: number | null;
  signal: string | null;
  /** Set when the process could not be started at all (for example a wrong `rnnLab.nodePath`). */
  error?: string;
}

/** The part of the store a new run replaces (and a failed start puts back). */
interface StoreState {
  current: RunSnapshot | null;
  evalCount: number;
  finishedStep: number;
  checkpointPath: string | undefined;
  trainerPid: number | undefined;
}

/** The run's state on the host: turns trainer messages into webview messages and keeps the snapshot they build. */
export class RunStore {
  private state: StoreState = { current: null, evalCount: 0, finishedStep: 0, checkpointPath: undefined, trainerPid: undefined };
  /** What `begin` replaced, until the new run or model has started: a failed start puts it back. */
  private before: StoreState | undefined;

  get snapshot(): RunSnapshot | null {
    return this.state.current;
  }

  get status(): RunStatus | undefined {
    return this.state.current?.status;
  }

  /** A new run was requested: forget the previous one (kept aside until the new one starts, see `failedStart`). */
  begin(message: string): ToWebviewMessage[] {
    this.before = this.state;
    this.state = { current: this.state.current, evalCount: 0, finishedStep: 0, checkpointPath: undefined, trainerPid: undefined };
    return this.emit([{ type: 'snapshot', payload: { status: 'starting', statusMessage: message, steps: [], evals: [] } }]);
  }

  /**
   * The new run or model failed before it started, while the model before it is still served: that
   * run comes back as it was, its status line saying what failed and why (`what`: "Training on x.txt").
   * Empty when there was nothing before.
   */
  failedStart(what: string, why: string): ToWebviewMessage[] {
    const before = this.before;
    this.before = undefined;
    if (!before?.current) return [];
    this.state = before;
    const kept = before.current.started?.sourceName ?? 'the previous run';
    const statusMessage = `${what} failed: ${why} The model loaded before (${kept}) is still in use.`;
    return this.emit([{ type: 'snapshot', payload: { ...before.current, statusMessage } }]);
  }

  /** Restores a snapshot saved by an earlier window (the trainer of that run is gone). */
  restore(saved: RunSnapshot, message: string): void {
    const status: RunStatus = isActive(saved.status) ? 'stopped' : saved.status;
    this.state.current = { ...saved, status, statusMessage: isActive(saved.status) ? message : saved.statusMessage };
    this.state.evalCount = saved.evals.length;
    this.state.finishedStep = saved.lastStep?.step ?? 0;
    this.state.checkpointPath = saved.checkpoint?.path;
  }

  /**
   * The run's GPU went away (its GPU tab closed, its device lost) and the trainer carries on on the
   * CPU engine: the backend line says so (a student reading "WebGPU" would think it still runs
   * there), and the status line gives the reason.
   */
  gpuLost(message: string): ToWebviewMessage[] {
    const current = this.state.current;
    if (!current?.started || !isActive(current.status)) return [];
    const backend = current.started.backend;
    const description = `CPU engine (after ${backend.description}: the GPU was lost)`;
    const started = { ...current.started, backend: { ...backend, description } };
    return this.emit([{ type: 'snapshot', payload: { ...current, started, statusMessage: message } }]);
  }

  setStatus(status: RunStatus, message: string): ToWebviewMessage[] {
    return this.emit([{ type: 'status', payload: { status, message } }]);
  }

  /** A sample drawn on demand from the current weights. */
  sampled(sample: FreshSample): ToWebviewMessage[] {
    return this.emit([{ type: 'sampleResult', payload: sample }]);
  }

  /** Turns a trainer message into the webview messages that show it (and applies them here). */
  apply(message: TrainerMessage): ToWebviewMessage[] {
    switch (message.type) {
      case 'ready':
        this.state.trainerPid = message.payload.pid;
        return [];
      case 'started': {
        this.before = undefined;
        const info = message.payload;
        const plan = info.totalSteps > 0 ? `${info.totalSteps} steps` : 'until a time limit or Stop';
        return this.emit([{ type: 'snapshot', payload: {
          status: 'running', statusMessage: `Training on ${info.sourceName} (${plan})`, started: info, steps: [], evals: [],
        } }]);
      }
      case 'step':
        return this.emit([{ type: 'step', payload: message.payload }]);
      case 'eval':
        this.state.evalCount++;
        return this.emit([{ type: 'eval', payload: message.payload }]);
      case 'checkpoint':
        this.state.checkpointPath = message.payload.path;
        return this.emit([{ type: 'checkpoint', payload: message.payload }]);
      case 'paused':
        return this.emit([{ type: 'status', payload: { status: 'paused', message: `Paused at step ${message.payload.step}` } }]);
      case 'resumed':
        return this.emit([{ type: 'status', payload: { status: 'running', message: `Resumed at step ${message.payload.step}` } }]);
      case 'finished': {
        const f = message.payload;
        this.state.finishedStep = f.step;
        if (f.checkpointPath) this.state.checkpointPath = f.checkpointPath;
        return this.emit([{ type: 'status', payload: { status: finishedStatus[f.reason], message: f.message } }]);
      }
      case 'failed':
        return this.emit([{ type: 'status', payload: { status: 'error', message: message.payload.message } }]);
      case 'opened': {
        this.before = undefined;
        const opened = message.payload;
        this.state.evalCount = opened.valHistory.length;
        this.state.finishedStep = opened.step;
        this.state.checkpointPath = opened.path;
        return this.emit([{ type: 'snapshot', payload: snapshotOfOpenedModel(opened) }]);
      }
      case 'log':
      case 'sampleResult':
      case 'sampleChunk':
      case 'probsResult':
      case 'labResult':
      case 'surprisalResult':
        return [];
    }
  }

  /** The trainer process ended. Unless the run had already ended, that is a crash the user must see. */
  trainerExited(exit: TrainerExit): ToWebviewMessage[] {
    this.state.trainerPid = undefined;
    if (!this.state.current || isTerminal(this.state.current.status)) return [];
    const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
    const message = exit.error !== undefined
      ? `Trainer process could not run: ${exit.error}`
      : `Trainer process exited unexpectedly (${how}) at step ${this.step}; last checkpoint: ${this.state.checkpointPath ?? 'none'}`;
    return this.setStatus('crashed', message);
  }

  get step(): number {
    return Math.max(this.state.current?.lastStep?.step ?? 0, this.state.finishedStep);
  }

  runState(): RunState {
    const evals = this.state.current?.evals ?? [];
    const last = evals[evals.length - 1];
    const started = this.state.current?.started;
    // An opened model's sample stands alone when it has no evaluation to go with.
    const opened = last ? undefined : this.state.current?.openedSample;
    return {
      status: this.state.current?.status ?? 'idle',
      trainerPid: this.state.trainerPid,
      evalCount: this.state.evalCount,
      lastSample: last?.sample ?? opened?.text,
      lastPrime: last?.prime ?? opened?.prime,
      lastValBitsPerChar: last?.valBitsPerChar,
      step: this.step,
      checkpointPath: this.state.checkpointPath,
      sourceName: started?.sourceName,
      trainChars: started?.trainChars,
      valChars: started?.valChars,
    };
  }

  get lastCheckpoint(): CheckpointSaved | undefined {
    return this.state.current?.checkpoint;
  }

  private emit(messages: ToWebviewMessage[]): ToWebviewMessage[] {
    for (const m of messages) this.state.current = reduceSnapshot(this.state.current, m);
    return messages;
  }
}

/**
 * What the Lab shows for a model opened from a checkpoint or Keras weights: status `opened` (it is
 * not a run that completed here), the file and what it is, its run's description and loss
 * histories when it has them, and the sample drawn at opening as the latest sample.
 */
export function snapshotOfOpenedModel(opened: ModelOpened): RunSnapshot {
  const name = opened.path.split(/[\\/]/).pop() ?? opened.path;
  const best = opened.bestValLoss;
  const steps: StepMetrics[] = opened.trainHistory.map(({ step, loss }) => ({
    step, epoch: 0, loss, smoothLoss: loss, gradNorm: 0, charsPerSec: 0, elapsedMs: 0, etaMs: -1,
  }));
  let lowest = Infinity;
  const evals: EvalMetrics[] = opened.valHistory.map(({ step, valLoss }) => {
    const isBest = valLoss < lowest;
    if (isBest) lowest = valLoss;
    const train = [...opened.trainHistory].reverse().find((p) => p.step <= step);
    return {
      step, epoch: 0, valLoss, valBitsPerChar: valLoss / Math.LN2, trainLoss: train?.loss ?? valLoss, sample: '', prime: '',
      temperature: opened.started.config.temperature, charsPerSec: 0, elapsedMs: 0, isBest,
    };
  });
  // The sample drawn at opening goes with the last evaluation (or stands alone), so the views show it.
  const last = evals.at(-1);
  const { sample } = opened;
  if (last) evals[evals.length - 1] = { ...last, sample: sample.text, prime: sample.prime, temperature: sample.temperature };
  const unit = opened.started.config.tokens === 'word' ? 'word' : 'char';
  const bestText = best === null ? '' : `, best val ${(best / Math.LN2).toFixed(3)} bits/${unit}`;
  const what = opened.kind === 'keras'
    ? 'Keras weights: no training history, so no curves'
    : opened.kind === 'pytorch'
    ? `PyTorch folder of a run on ${opened.started.sourceName}, step ${opened.step}${bestText}`
    : `checkpoint of a run on ${opened.started.sourceName}, step ${opened.step}${bestText}`;
  return {
    status: 'opened',
    statusMessage: `Opened model: ${name} (${what})`,
    started: opened.started,
    steps,
    evals,
    lastStep: steps.at(-1),
    checkpoint: { path: opened.path, step: opened.step, valLoss: best ?? NaN, reason: 'final' },
    ...(last ? {} : { openedSample: { text: sample.text, prime: sample.prime, temperature: sample.temperature } }),
  };
}
