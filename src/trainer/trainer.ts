/**
 * What the trainer process does with each host message: one run per process, its events forwarded
 * as typed messages, and the model kept after the run completes so samples and the hover still work.
 * The engine comes in through `TrainerEngine`, so this logic does not depend on how the engine is
 * assembled (main.ts wires the real one).
 */
import type { TrainConfig } from '../engine/config/settings';
import type { StepMetrics } from '../engine/train/events';
import type { HostMessage, HostToTrainer, TrainerToHost, TrainSource } from '../protocol/trainer';
import type { Backend } from '../engine/backends/types';
import type { LabModel, TrainingRunOptions } from '../engine/train/run';
import { renderErrorMessage, renderSettingRefs } from '../engine/config/render';
import { LabDesk } from './labs';
import { LatestValueThrottle } from './throttle';

/** A model that answers samples and the hover: a run's, or one opened from a checkpoint. */
export interface ModelHandle {
  sample(prime: string, length: number, temperature: number): string;
  /** With `next`: also that character's probability and surprisal (the hover). */
  nextSymbolProbs(context: string, top: number, next?: string): Omit<TrainerToHost['probsResult'], 'requestId'>;
  /** The model for the lab answers (see ./labs.ts). */
  labModel(): LabModel;
}

/** The part of a TrainingRun the trainer drives. */
export interface RunHandle extends ModelHandle {
  run(): Promise<TrainerToHost['finished']>;
  pause(): void;
  resume(): void;
  stop(): void;
}

/** What a run needs besides its id, backend, checkpoint folder and events. */
export type PreparedRun = Omit<TrainingRunOptions, 'runId' | 'backend' | 'checkpointDir' | 'events'>;

export interface TrainerEngine {
  readCorpus(source: TrainSource, config: TrainConfig): Promise<TrainingRunOptions['text']>;
  createBackend(config: TrainConfig): Promise<Backend>;
  createRun(options: TrainingRunOptions): RunHandle;
  /**
   * A run that continues a checkpoint's: its settings (with `overrides`), its text and its training
   * state; `moreSteps` sets the budget to that many steps beyond the checkpoint's.
   */
  prepareResume(checkpoint: string, overrides: Partial<TrainConfig>, moreSteps?: number): Promise<PreparedRun>;
  /** Loads a checkpoint to serve (no training); the description is the `opened` message. */
  openModel(request: HostToTrainer['open']): Promise<{ model: ModelHandle; opened: TrainerToHost['opened'] }>;
  /** True for problems with the user's input (empty or binary file, text too short), which get a plain message. */
  isUserInputError(error: unknown): boolean;
}

export interface TrainerIo {
  send<K extends keyof TrainerToHost>(type: K, payload: TrainerToHost[K]): void;
  /** Sends a last message, then ends the process once it is on its way. */
  sendAndExit<K extends keyof TrainerToHost>(type: K, payload: TrainerToHost[K], exitCode: number): void;
}

/** Step messages per second at most; the latest step always gets through. */
const maxStepMessagesPerSecond = 20;

export class Trainer {
  private run: RunHandle | undefined;
  /** A model opened from a checkpoint (`open`), when this process serves one instead of training. */
  private model: ModelHandle | undefined;
  /** One run or opened model per process: set by the first `start` or `open`, never cleared. */
  private started = false;
  private stopRequested = false;
  /** This process trains (a `start` or `continueRun` came), and whether that run has returned. */
  private training = false;
  private runEnded = false;
  private readonly steps: LatestValueThrottle<StepMetrics>;
  private readonly labs: LabDesk;

  constructor(private readonly engine: TrainerEngine, private readonly io: TrainerIo) {
    this.steps = new LatestValueThrottle(1000 / maxStepMessagesPerSecond, (m) => io.send('step', m));
    this.labs = new LabDesk(io);
  }

  handle(message: HostMessage): void {
    switch (message.type) {
      case 'start':
        void this.start(message.payload);
        return;
      case 'open':
        void this.open(message.payload);
        return;
      case 'continueRun':
        void this.continueRun(message.payload);
        return;
      // The run reports `paused` once its loop has actually stopped between steps, and `resumed`.
      case 'pause':
        if (!this.run) return this.io.send('log', { level: 'warn', message: 'Pause ignored: training has not started yet.' });
        return this.run.pause();
      case 'resume':
        return this.run?.resume();
      case 'stop':
        this.stopRequested = true;
        this.run?.stop();
        return;
      case 'sample':
        return this.sample(message.payload);
      case 'probs':
        return this.probs(message.payload);
      case 'lab':
        return this.lab(message.payload);
      case 'surprisal':
        void this.labs.surprisal(this.answering?.labModel(), message.payload).catch((error: unknown) => this.labFailed('Surprisal', error));
        return;
    }
  }

  /**
   * SIGTERM: a run in progress stops as with Stop (its last checkpoint is written, then the process
   * ends with code 0). Returns false when there is no run to stop, and the caller just exits.
   */
  terminate(): boolean {
    if (!this.training || this.runEnded) return false;
    this.handle({ type: 'stop', payload: {} });
    return true;
  }

  /** Unexpected failure anywhere in the process: report it with the stack, then end with a non-zero code. */
  crash(error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error));
    this.steps.dispose();
    this.io.sendAndExit('failed', { message: `Trainer error: ${e.message}`, detail: e.stack }, 1);
  }

  private start({ runId, source, config, checkpointDir }: HostToTrainer['start']): Promise<void> {
    return this.train(runId, checkpointDir, async () => ({
      sourceName: source.name,
      // Recorded in checkpoints, so "Resume from checkpoint…" can read the file again.
      sourcePath: source.kind === 'file' ? source.path : undefined,
      text: await this.engine.readCorpus(source, config),
      config,
    }));
  }

  private continueRun({ runId, checkpoint, checkpointDir, overrides, moreSteps }: HostToTrainer['continueRun']): Promise<void> {
    return this.train(runId, checkpointDir, () => this.engine.prepareResume(checkpoint, overrides, moreSteps));
  }

  /** Runs one training run: `prepare` reads its text (and checkpoint, when it continues one). */
  private async train(runId: string, checkpointDir: string, prepare: () => Promise<PreparedRun>): Promise<void> {
    if (this.started) {
      this.io.send('log', { level: 'error', message: 'This trainer process already has a run; start ignored.' });
      return;
    }
    this.started = true;
    this.training = true;
    try {
      const prepared = await prepare();
      const backend = await this.engine.createBackend(prepared.config);
      const run = this.engine.createRun({
        ...prepared, runId, backend, checkpointDir,
        events: {
          started: (info) => { this.labs.started(info); this.io.send('started', info); },
          step: (m) => { this.labs.step(m); this.steps.push(m); },
          eval: (m) => { this.steps.flush(); this.io.send('eval', m); },
          checkpoint: (saved) => this.io.send('checkpoint', saved),
          log: (level, text) => this.io.send('log', { level, message: renderSettingRefs(text, 'editor') }),
          paused: (step) => { this.steps.flush(); this.io.send('paused', { step }); },
          resumed: (step) => this.io.send('resumed', { step }),
        },
      });
      this.run = run;
      if (this.stopRequested) run.stop();
      const ended = await run.run();
      this.runEnded = true;
      const finished = { ...ended, message: renderSettingRefs(ended.message, 'editor') };
      this.steps.flush();
      // Stop means "done with this model": the process ends and frees its memory and threads.
      // A run that completes keeps its process, so samples and the hover can still use the model.
      if (this.stopRequested) this.io.sendAndExit('finished', finished, 0);
      else this.io.send('finished', finished);
    } catch (error) {
      if (this.engine.isUserInputError(error)) {
        // Nothing was trained or written; this process has no further use.
        this.steps.dispose();
        // The message names settings as the editor does (rnnLab.seqLength), not as the CLI does.
        this.io.sendAndExit('failed', { message: renderErrorMessage(error, 'editor') }, 0);
      } else {
        this.crash(error);
      }
    }
  }

  private async open(request: HostToTrainer['open']): Promise<void> {
    if (this.started) {
      this.io.send('log', { level: 'error', message: 'This trainer process already has a model; open ignored.' });
      return;
    }
    this.started = true;
    try {
      const { model, opened } = await this.engine.openModel(request);
      this.model = model;
      this.io.send('opened', opened);
    } catch (error) {
      if (this.engine.isUserInputError(error)) {
        this.io.sendAndExit('failed', { message: renderErrorMessage(error, 'editor') }, 0);
      } else {
        this.crash(error);
      }
    }
  }

  private get answering(): ModelHandle | undefined {
    return this.run ?? this.model;
  }

  private sample(request: HostToTrainer['sample']): void {
    if (request.stream) {
      void this.labs.streamSample(this.answering?.labModel(), request).catch((error: unknown) => {
        this.labFailed('Sampling', error);
        this.io.send('sampleResult', { requestId: request.requestId, text: '' });
      });
      return;
    }
    const { requestId, prime, length, temperature } = request;
    let text = '';
    try {
      if (this.answering) text = this.answering.sample(prime, length, temperature);
    } catch (error) {
      this.io.send('log', { level: 'error', message: `Sampling failed: ${(error as Error).message}` });
    }
    this.io.send('sampleResult', { requestId, text });
  }

  private lab({ requestId, request }: HostToTrainer['lab']): void {
    let answer: TrainerToHost['labResult']['answer'];
    try {
      answer = this.labs.answer(this.answering?.labModel(), request);
    } catch (error) {
      this.labFailed('The lab question', error);
      answer = { kind: 'error', message: `The trainer could not answer: ${(error as Error).message}` };
    }
    this.io.send('labResult', { requestId, answer });
  }

  private labFailed(what: string, error: unknown): void {
    this.io.send('log', { level: 'error', message: `${what} failed: ${(error as Error)?.message ?? String(error)}` });
  }

  private probs({ requestId, context, top, next }: HostToTrainer['probs']): void {
    let answer: Omit<TrainerToHost['probsResult'], 'requestId'> = { probs: [], entropyBits: 0 };
    try {
      if (this.answering) answer = this.answering.nextSymbolProbs(context, top, next);
    } catch (error) {
      this.io.send('log', { level: 'error', message: `Next-character probabilities failed: ${(error as Error).message}` });
    }
    this.io.send('probsResult', { requestId, ...answer });
  }
}
