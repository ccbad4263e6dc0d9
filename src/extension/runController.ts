/**
 * The one place that owns "the current run": its trainer process and its history. Commands, the
 * Lab panel, the samples view, the status bar and the hover all go through it. No `vscode` import:
 * the UI subscribes to its events, and unit tests run it against a real forked trainer.
 */
import { noModelMessage, type LabAnswer, type LabRequest, type SurprisalResult, type TrainConfig, type TrainerMessage, type ToWebviewMessage, type TrainSource } from '../protocol/messages';
import { Emitter } from './emitter';
import { isActive } from '../protocol/snapshot';
import { RunStore, type RunState, type TrainerExit } from './runStore';
import { TrainerClient, type ProbsAnswer } from './trainerClient';

export interface StartRequest {
  source: TrainSource;
  config: TrainConfig;
  checkpointDir: string;
  /** Another Node binary for the trainer (the `rnnLab.nodePath` setting, trusted workspaces only). */
  execPath?: string;
}

/** How to launch a trainer that serves a checkpoint or Keras weights (no training). */
export interface ServeOptions {
  execPath?: string;
  backend: TrainConfig['backend'];
  /** The vocabulary of a Keras weights file that carries none: a JSON list, or the training text. */
  vocab?: string;
  vocabText?: string;
}

export interface RunProblem {
  /** What the user reads. */
  message: string;
  /** Stack or other detail, for the log. */
  detail?: string;
  /** A model was lost (a checkpoint could not be written): the notice must stay until the user closes it. */
  lasting?: boolean;
}

export type LogLevel = 'info' | 'warn' | 'error';


export class RunController {
  private readonly store = new RunStore();
  private client: TrainerClient | undefined;
  private readonly updates = new Emitter<ToWebviewMessage[]>();
  private readonly problems = new Emitter<RunProblem>();
  private readonly logs = new Emitter<{ level: LogLevel; message: string }>();

  /** Webview messages describing each change; the webviews and the status bar render from these. */
  readonly onDidUpdate = this.updates.event;
  /** A run failed (bad input, trainer error, trainer crash): the user must be told. */
  readonly onDidFail = this.problems.event;
  readonly onDidLog = this.logs.event;

  /** Counts the runs started in this window, so listeners can tell one run from the next. */
  private runs = 0;
  /** The current trainer has a model to answer with (its run started, or its checkpoint opened). */
  private modelReady = false;
  /** Whether the current trainer trains a run or serves a checkpoint. */
  private clientRole: 'run' | 'model' = 'run';
  /** How the last trainer was launched, for serving the run's checkpoint after Stop. */
  private launch: ServeOptions = { backend: 'auto' };
  /**
   * The trainer that served the model before a new run or model was asked for, kept until the new
   * one has started: a start that fails (a text too short, a bad file) puts it back, so the hover,
   * samples and lab cards keep their model. `what` names the new start for the status line.
   */
  private previous: { client: TrainerClient; role: 'run' | 'model'; launch: ServeOptions } | undefined;
  private starting = '';

  /** `trainerEnv`: variables each new trainer gets (where the extension's GPU webview listens). */
  constructor(
    private readonly trainerPath: string,
    private readonly trainerEnv: () => Record<string, string> = () => ({}),
  ) {}

  /**
   * The run's GPU went away mid-run (its GPU tab closed, its device lost) and the trainer carries
   * on on the CPU engine: the Lab's and the status bar's backend and status lines say so.
   */
  noteGpuLost(message: string): void {
    this.publish(this.store.gpuLost(message));
  }

  get generation(): number {
    return this.runs;
  }

  get snapshot() {
    return this.store.snapshot;
  }

  get isRunning(): boolean {
    const status = this.store.status;
    return status !== undefined && isActive(status);
  }

  get isPaused(): boolean {
    return this.store.status === 'paused';
  }

  /** A trained (or training, or opened) model is there to ask for samples and probabilities. */
  get hasModel(): boolean {
    return this.client !== undefined && this.client.alive && this.modelReady && this.store.snapshot?.started !== undefined;
  }

  runState(): RunState {
    return this.store.runState();
  }

  /** Restores the history of a run from an earlier window, for the panel to show. */
  restore(saved: NonNullable<RunController['snapshot']>): void {
    if (this.store.snapshot) return;
    this.store.restore(saved, 'Training stopped when the window was reloaded.');
  }

  /** Starts a new run in a fresh trainer process; any previous trainer is ended first. */
  start(request: StartRequest): void {
    this.launchTrainer('run', { execPath: request.execPath, backend: request.config.backend }, `Training on ${request.source.name}`, `Reading ${request.source.name}…`, (client, runId) => {
      client.send('start', { runId, source: request.source, config: request.config, checkpointDir: request.checkpointDir });
      return `starting run ${runId} on ${request.source.name}`;
    });
  }

  /**
   * Continues a checkpoint's run where it stopped, in a fresh trainer: its settings, text and
   * training state come from the checkpoint; `moreSteps` (when given) trains that many steps more.
   */
  continueFrom(request: { checkpoint: string; checkpointDir: string; moreSteps?: number } & ServeOptions): void {
    this.launchTrainer('run', { execPath: request.execPath, backend: request.backend }, `Resuming ${request.checkpoint}`, `Resuming from ${request.checkpoint}…`, (client, runId) => {
      client.send('continueRun', {
        runId, checkpoint: request.checkpoint, checkpointDir: request.checkpointDir, moreSteps: request.moreSteps, overrides: { backend: request.backend },
      });
      return `resuming ${request.checkpoint} as run ${runId}`;
    });
  }

  /**
   * Opens a checkpoint as the current model (no training): the Lab shows its run, and the hover,
   * the Samples view and samples use it. Replaces the current run.
   */
  open(path: string, options: ServeOptions): void {
    this.launchTrainer('model', options, `Opening ${path}`, `Opening ${path}…`, (client, runId) => {
      client.send('open', { runId, path, backend: options.backend, threads: 1, vocab: options.vocab, vocabText: options.vocabText });
      return `opening ${path}`;
    });
  }

  /**
   * A fresh trainer for a new run or model (replacing the current one): counted, remembered for
   * serving later, announced to the views; `send` gives it its first message and says what it does.
   * A model that is loaded and not training stays in its trainer until the new one has started.
   */
  private launchTrainer(role: 'run' | 'model', launch: ServeOptions, what: string, status: string, send: (client: TrainerClient, runId: string) => string): void {
    const keep = this.hasModel && !this.isRunning ? { client: this.client!, role: this.clientRole, launch: this.launch } : undefined;
    this.runs++;
    this.launch = launch;
    this.starting = what;
    this.publish(this.store.begin(status));
    const client = this.newClient(role, launch.execPath, (message) => this.receive(message), keep);
    const doing = send(client, newRunId());
    this.logs.fire({ level: 'info', message: `Trainer process ${client.pid ?? '?'} ${doing}` });
  }

  /**
   * Serves the checkpoint of the run the Lab shows (after Stop, or after a window reload), so the
   * hover and samples keep working; the run's history stays as it is.
   */
  serve(path: string, options: ServeOptions = this.launch): void {
    const client = this.newClient('model', options.execPath, (message) => {
      if (message.type === 'opened') {
        this.logs.fire({ level: 'info', message: `Serving the model of ${message.payload.path} (step ${message.payload.step})` });
        this.updates.fire([]);
      } else if (message.type === 'failed') {
        this.logs.fire({ level: 'warn', message: `The last checkpoint cannot be served: ${message.payload.message}` });
      } else if (message.type === 'log') {
        this.logs.fire(message.payload);
      }
    });
    this.logs.fire({ level: 'info', message: `Trainer process ${client.pid ?? '?'} serving ${path}` });
    client.send('open', { runId: newRunId(), path, backend: options.backend, threads: 1, vocab: options.vocab, vocabText: options.vocabText });
  }

  stop(): boolean {
    if (!this.isRunning || !this.client?.alive) return false;
    this.publish(this.store.setStatus('stopping', 'Stopping…'));
    return this.client.send('stop', {});
  }

  pause(): boolean {
    return this.store.status === 'running' && (this.client?.send('pause', {}) ?? false);
  }

  resume(): boolean {
    return this.store.status === 'paused' && (this.client?.send('resume', {}) ?? false);
  }

  /** A sample from the current weights; also shown in the webviews. Undefined when there is no model or no answer. */
  async sample(prime: string, length: number, temperature: number): Promise<string | undefined> {
    if (!this.hasModel) return undefined;
    const text = await this.client!.sample(prime, length, temperature);
    if (text !== undefined) this.publish(this.store.sampled({ text, prime, temperature }));
    return text;
  }

  probs(context: string, top: number, timeoutMs: number, options: { next?: string } = {}): Promise<ProbsAnswer | undefined> {
    return this.hasModel ? this.client!.probs(context, top, timeoutMs, options) : Promise.resolve(undefined);
  }

  /** A lab question for the model; always an answer (a calm error when there is no model or no reply). */
  async lab(request: LabRequest): Promise<LabAnswer> {
    if (!this.hasModel) return { kind: 'error', message: noModelMessage };
    const answer = await this.client!.lab(request);
    return answer ?? { kind: 'error', message: 'The trainer did not answer in time (it may be busy with a long step, or it has ended). Try again.' };
  }

  /** A sample streamed to `onChunk` (the samples view); undefined when there is no model or no answer. */
  generate(request: { prime: string; length: number; temperature: number; stopAtEnd: boolean }, onChunk: (text: string) => void): Promise<string | undefined> {
    return this.hasModel ? this.client!.streamSample(request, onChunk) : Promise.resolve(undefined);
  }

  /** Each character's bits after `context`; with `summary`, only their mean (a whole file's figure). */
  surprisal(context: string, text: string, summary = false): Promise<SurprisalResult | undefined> {
    return this.hasModel ? this.client!.surprisal(context, text, summary) : Promise.resolve(undefined);
  }

  /** Ends the trainer and the events; settles when the trainer process is gone. */
  dispose(): Promise<void> {
    this.dropPrevious();
    const gone = this.client?.dispose() ?? Promise.resolve();
    this.client = undefined;
    this.updates.dispose();
    this.problems.dispose();
    this.logs.dispose();
    return gone;
  }

  /** A fresh trainer process as the current one; any previous trainer is ended first, unless it is to be `kept` for now. */
  private newClient(role: 'run' | 'model', execPath: string | undefined, onMessage: (message: TrainerMessage) => void, keep?: RunController['previous']): TrainerClient {
    this.dropPrevious();
    if (keep) this.previous = keep;
    else this.client?.dispose();
    this.modelReady = false;
    this.clientRole = role;
    const client: TrainerClient = new TrainerClient({
      trainerPath: this.trainerPath,
      execPath,
      env: this.trainerEnv(),
      onMessage: (message) => {
        if (client !== this.client) return;
        if (message.type === 'started' || message.type === 'opened') {
          this.modelReady = true;
          this.dropPrevious();
        }
        onMessage(message);
      },
      onExit: (exit) => { if (client === this.client) this.trainerExited(exit); },
      onStderr: (line) => this.logs.fire({ level: 'warn', message: `trainer: ${line}` }),
    });
    this.client = client;
    return client;
  }

  private receive(message: TrainerMessage): void {
    if (message.type === 'log') this.logs.fire(message.payload);
    if (message.type === 'failed') {
      if (message.payload.detail) this.logs.fire({ level: 'error', message: message.payload.detail });
      this.problems.fire({ message: message.payload.message, detail: message.payload.detail });
      if (this.takeBackPrevious(message.payload.message)) return;
    }
    if (message.type === 'finished') {
      this.logs.fire({ level: message.payload.checkpointFailed ? 'error' : 'info', message: `Run ended (${message.payload.reason}): ${message.payload.message}` });
      // The Lab's status keeps the line (status 'error'); the notice stays too.
      if (message.payload.checkpointFailed) this.problems.fire({ message: message.payload.message, lasting: true });
    }
    this.publish(this.store.apply(message));
    if (message.type === 'started' && message.payload.patienceReset) {
      this.publish(this.store.setStatus('running', `Resumed at step ${message.payload.startStep ?? 0} after early stopping: its patience (rnnLab.earlyStop) starts afresh.`));
    }
  }

  /** Only the current client's exit gets here; one ended on purpose has been replaced already. */
  private trainerExited(exit: TrainerExit): void {
    this.logs.fire({ level: 'info', message: `Trainer process exited (code ${exit.code}, signal ${exit.signal})` });
    const how = exit.error ?? (exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`);
    if (this.takeBackPrevious(`its trainer process ended before it started (${how}).`)) {
      this.problems.fire({ message: `${this.store.snapshot?.statusMessage}` });
      return;
    }
    const shown = this.store.trainerExited(exit);
    // Even with nothing new to show, listeners re-check `hasModel` (the hover and menus depend on it).
    this.updates.fire(shown);
    const status = shown.find((m) => m.type === 'status');
    if (status?.type === 'status') this.problems.fire({ message: status.payload.message });
    // A stopped run's trainer has ended on purpose; its checkpoint keeps the model available.
    const checkpoint = this.store.runState().checkpointPath;
    if (this.clientRole === 'run' && this.store.status === 'stopped' && checkpoint && !exit.error) this.serve(checkpoint);
  }

  /**
   * The new run or model failed before it started: the trainer of the model before it (if one was
   * kept) becomes the current one again, and the views show that model's run with why the start failed.
   */
  private takeBackPrevious(why: string): boolean {
    const previous = this.previous;
    this.previous = undefined;
    if (this.modelReady || !previous?.client.alive) {
      previous?.client.dispose();
      return false;
    }
    const failed = this.client;
    this.client = previous.client;
    this.clientRole = previous.role;
    this.launch = previous.launch;
    this.modelReady = true;
    void failed?.dispose();
    this.logs.fire({ level: 'info', message: `${this.starting} failed; the trainer process ${previous.client.pid ?? '?'} keeps serving the model loaded before` });
    this.publish(this.store.failedStart(this.starting, why));
    return true;
  }

  /** The kept trainer of the model before is not needed any more (the new one started, or yet another replaced it). */
  private dropPrevious(): void {
    void this.previous?.client.dispose();
    this.previous = undefined;
  }

  private publish(messages: ToWebviewMessage[]): void {
    if (messages.length > 0) this.updates.fire(messages);
  }
}

function newRunId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
