/**
 * The host's end of one trainer process: forks `dist/trainer.js`, sends typed HostToTrainer
 * messages, receives validated TrainerToHost messages, turns each request of `trainerAnswers` into a
 * promise of its answer (with a timeout, so a busy or dead trainer never hangs the caller) and
 * reports how the process ended.
 * No `vscode` import, so unit tests drive it against a real forked trainer.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { describeRejected, isMessageOf } from '../protocol/envelope';
import type { LabAnswer, LabRequest } from '../protocol/labs';
import {
  hostToTrainerTypes, trainerAnswers, trainerToHostTypes,
  type AnswerTo, type HostToTrainer, type TrainerMessage, type TrainerRequest, type TrainerToHost,
} from '../protocol/trainer';
import type { SurprisalResult } from '../engine/train/events';
import type { TrainerExit } from './runStore';

export interface TrainerClientOptions {
  /** Absolute path of the bundled trainer entry (dist/trainer.js). */
  trainerPath: string;
  /** Another Node binary; undefined = this process's own (inside VS Code, Electron run as Node). */
  execPath?: string;
  /** Variables added to the trainer's environment (the GPU webview's socket). */
  env?: Record<string, string>;
  onMessage(message: TrainerMessage): void;
  /** Called once when the process is gone; `expected` is true when `dispose()` ended it. */
  onExit(exit: TrainerExit & { expected: boolean }): void;
  /** Lines the trainer wrote to stderr (crash traces, warnings from native code). */
  onStderr?(line: string): void;
}

export type ProbsAnswer = Omit<TrainerToHost['probsResult'], 'requestId'>;

interface Pending {
  resolve(value: unknown): void;
  timer: NodeJS.Timeout;
}

/** The message types that answer a request (the values of `trainerAnswers`). */
const answerTypes: ReadonlySet<keyof TrainerToHost> = new Set(Object.values(trainerAnswers));

export class TrainerClient {
  private readonly child: ChildProcess;
  private exited = false;
  private disposing = false;
  /** Settles once the process is gone, whichever way it went. */
  private readonly gone: Promise<void>;
  private markGone: () => void = () => undefined;
  private nextRequestId = 1;
  /** Requests waiting for their answer, by request id (ids are unique across request types). */
  private readonly pending = new Map<number, Pending>();
  /** Listeners for the pieces of streamed samples, by request id. */
  private readonly sampleChunks = new Map<number, (text: string) => void>();

  constructor(private readonly options: TrainerClientOptions) {
    this.gone = new Promise((resolve) => { this.markGone = resolve; });
    this.child = fork(options.trainerPath, [], {
      execPath: options.execPath,
      // The host's own flags (inspector ports, loaders) do not belong to the trainer.
      execArgv: [],
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child.on('message', (raw) => this.receive(raw));
    this.child.on('exit', (code, signal) => this.handleExit(code, signal));
    this.child.on('error', (error) => {
      // Spawning failed (bad nodePath) or the channel broke: the process may never emit 'exit'.
      options.onStderr?.(`trainer process error: ${error.message}`);
      if (this.child.pid === undefined) this.handleExit(null, null, error.message);
    });
    forwardLines(this.child.stderr, (line) => options.onStderr?.(line));
    forwardLines(this.child.stdout, (line) => options.onStderr?.(line));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  send<K extends keyof HostToTrainer>(type: K, payload: HostToTrainer[K]): boolean {
    if (this.exited || !this.child.connected) return false;
    if (!Object.prototype.hasOwnProperty.call(hostToTrainerTypes, type)) throw new Error(`unknown trainer message ${String(type)}`);
    this.child.send({ type, payload });
    return true;
  }

  /** A sample from the current weights, or undefined if the trainer did not answer in time. */
  sample(prime: string, length: number, temperature: number, timeoutMs = 30_000): Promise<string | undefined> {
    return this.request('sample', { prime, length, temperature }, timeoutMs).then((a) => a?.text);
  }

  /** A sample streamed in pieces to `onChunk`; resolves with the whole text (undefined: no answer in time). */
  async streamSample(
    request: { prime: string; length: number; temperature: number; stopAtEnd: boolean },
    onChunk: (text: string) => void, timeoutMs = 60_000,
  ): Promise<string | undefined> {
    let id = 0;
    const answer = await this.request('sample', { ...request, stream: true }, timeoutMs, (requestId) => {
      id = requestId;
      this.sampleChunks.set(requestId, onChunk);
    });
    this.sampleChunks.delete(id);
    return answer?.text;
  }

  /** The next-symbol distribution after `context`, or undefined if the trainer did not answer in time. */
  probs(context: string, top: number, timeoutMs = 2_000, options: { next?: string } = {}): Promise<ProbsAnswer | undefined> {
    return this.request('probs', { context, top, ...options }, timeoutMs).then((a) => a && withoutId(a));
  }

  /** A lab question's answer, or undefined if the trainer did not answer in time. */
  lab(request: LabRequest, timeoutMs = 60_000): Promise<LabAnswer | undefined> {
    return this.request('lab', { request }, timeoutMs).then((a) => a?.answer);
  }

  surprisal(context: string, text: string, summary = false, timeoutMs = 120_000): Promise<SurprisalResult | undefined> {
    return this.request('surprisal', { context, text, summary }, timeoutMs).then((a) => a && withoutId(a));
  }

  /**
   * Ends the process on purpose (its exit is then not a crash). The promise settles when the
   * process is gone, so a caller that removes the run's folder or quits knows nothing still
   * writes there; callers that need not know may ignore it.
   */
  dispose(): Promise<void> {
    this.disposing = true;
    if (this.exited) return this.gone;
    if (this.child.connected) this.child.disconnect();
    // The trainer exits on disconnect; make sure of it if it is stuck in a long step.
    const timer = setTimeout(() => { if (!this.exited) this.child.kill('SIGKILL'); }, 2_000);
    timer.unref();
    return this.gone;
  }

  /**
   * Sends request `type` with a fresh id and resolves with the payload of the message that answers
   * it (`trainerAnswers`), or undefined when it could not be sent or no answer came in time.
   * `beforeSend` sees the id first (a streamed sample listens for its pieces).
   */
  private request<R extends TrainerRequest>(
    type: R, payload: Omit<HostToTrainer[R], 'requestId'>, timeoutMs: number, beforeSend?: (requestId: number) => void,
  ): Promise<AnswerTo<R> | undefined> {
    const requestId = this.nextRequestId++;
    beforeSend?.(requestId);
    return new Promise((resolve) => {
      if (!this.send(type, { ...payload, requestId } as HostToTrainer[R])) { resolve(undefined); return; }
      const timer = setTimeout(() => { this.pending.delete(requestId); resolve(undefined); }, timeoutMs);
      this.pending.set(requestId, { resolve: resolve as (value: unknown) => void, timer });
    });
  }

  private receive(raw: unknown): void {
    if (!isMessageOf<TrainerToHost>(raw, trainerToHostTypes)) {
      this.options.onStderr?.(`ignored a message from the trainer, ${describeRejected(raw)}`);
      return;
    }
    if (answerTypes.has(raw.type)) this.settle((raw.payload as { requestId: number }).requestId, raw.payload);
    else if (raw.type === 'sampleChunk') this.sampleChunks.get(raw.payload.requestId)?.(raw.payload.text);
    this.options.onMessage(raw);
  }

  private settle(requestId: number, payload: unknown): void {
    const entry = this.pending.get(requestId);
    if (!entry) return;
    this.pending.delete(requestId);
    clearTimeout(entry.timer);
    entry.resolve(payload);
  }

  private handleExit(code: number | null, signal: NodeJS.Signals | null, error?: string): void {
    if (this.exited) return;
    this.exited = true;
    for (const { resolve, timer } of this.pending.values()) { clearTimeout(timer); resolve(undefined); }
    this.pending.clear();
    this.markGone();
    this.options.onExit({ code, signal, error, expected: this.disposing });
  }
}

/** An answer's payload without the id that paired it with its request. */
function withoutId<T extends { requestId: number }>(payload: T): Omit<T, 'requestId'> {
  const { requestId: _id, ...rest } = payload;
  return rest;
}

function forwardLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') onLine(line);
  });
  stream.on('end', () => { if (buffered.trim() !== '') onLine(buffered); });
}
