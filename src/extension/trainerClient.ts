/**
 * The host's end of one trainer process: forks `dist/trainer.js`, sends typed HostToTrainer
 * messages, receives validated TrainerToHost messages, answers sample/probs requests with promises
 * (with a timeout, so a busy or dead trainer never hangs the caller) and reports how the process ended.
 * No `vscode` import, so unit tests drive it against a real forked trainer.
 */
import { fork, type ChildProcess } from 'node:child_process';
import {
  hostToTrainerTypes, isMessageOf, trainerToHostTypes,
  type HostToTrainer, type LabAnswer, type LabRequest, type SurprisalResult, type TrainerMessage, type TrainerToHost,
} from '../protocol/messages';
import type { TrainerExit } from './runStore';

export interface TrainerClientOptions {
  /** Absolute path of the bundled trainer entry (dist/trainer.js). */
  trainerPath: string;
  /** Another Node binary; undefined = this process's own (inside VS Code, Electron run as Node). */
  execPath?: string;
  onMessage(message: TrainerMessage): void;
  /** Called once when the process is gone; `expected` is true when `dispose()` ended it. */
  onExit(exit: TrainerExit & { expected: boolean }): void;
  /** Lines the trainer wrote to stderr (crash traces, warnings from native code). */
  onStderr?(line: string): void;
}

export type ProbsAnswer = Omit<TrainerToHost['probsResult'], 'requestId'>;

interface Pending<T> {
  resolve(value: T | undefined): void;
  timer: NodeJS.Timeout;
}

export class TrainerClient {
  private readonly child: ChildProcess;
  private exited = false;
  private disposing = false;
  /** Settles once the process is gone, whichever way it went. */
  private readonly gone: Promise<void>;
  private markGone: () => void = () => undefined;
  private nextRequestId = 1;
  private readonly pendingSamples = new Map<number, Pending<string>>();
  private readonly pendingProbs = new Map<number, Pending<ProbsAnswer>>();
  private readonly pendingLabs = new Map<number, Pending<LabAnswer>>();
  private readonly pendingSurprisal = new Map<number, Pending<SurprisalResult>>();
  /** Listeners for the pieces of streamed samples, by request id. */
  private readonly sampleChunks = new Map<number, (text: string) => void>();

  constructor(private readonly options: TrainerClientOptions) {
    this.gone = new Promise((resolve) => { this.markGone = resolve; });
    this.child = fork(options.trainerPath, [], {
      execPath: options.execPath,
      // The host's own flags (inspector ports, loaders) do not belong to the trainer.
      execArgv: [],
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
    if (!hostToTrainerTypes.includes(type)) throw new Error(`unknown trainer message ${String(type)}`);
    this.child.send({ type, payload });
    return true;
  }

  /** A sample from the current weights, or undefined if the trainer did not answer in time. */
  sample(prime: string, length: number, temperature: number, timeoutMs = 30_000): Promise<string | undefined> {
    return this.request(this.pendingSamples, timeoutMs, (requestId) => this.send('sample', { requestId, prime, length, temperature }));
  }

  /** A sample streamed in pieces to `onChunk`; resolves with the whole text (undefined: no answer in time). */
  async streamSample(
    request: { prime: string; length: number; temperature: number; stopAtEnd: boolean },
    onChunk: (text: string) => void, timeoutMs = 60_000,
  ): Promise<string | undefined> {
    let id = 0;
    const text = await this.request(this.pendingSamples, timeoutMs, (requestId) => {
      id = requestId;
      this.sampleChunks.set(requestId, onChunk);
      return this.send('sample', { requestId, ...request, stream: true });
    });
    this.sampleChunks.delete(id);
    return text;
  }

  /** The next-symbol distribution after `context`, or undefined if the trainer did not answer in time. */
  probs(context: string, top: number, timeoutMs = 2_000, options: { next?: string } = {}): Promise<ProbsAnswer | undefined> {
    return this.request(this.pendingProbs, timeoutMs, (requestId) => this.send('probs', { requestId, context, top, ...options }));
  }

  /** A lab question's answer, or undefined if the trainer did not answer in time. */
  lab(request: LabRequest, timeoutMs = 60_000): Promise<LabAnswer | undefined> {
    return this.request(this.pendingLabs, timeoutMs, (requestId) => this.send('lab', { requestId, request }));
  }

  surprisal(context: string, text: string, summary = false, timeoutMs = 120_000): Promise<SurprisalResult | undefined> {
    return this.request(this.pendingSurprisal, timeoutMs, (requestId) => this.send('surprisal', { requestId, context, text, summary }));
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

  private request<T>(pending: Map<number, Pending<T>>, timeoutMs: number, sendIt: (requestId: number) => boolean): Promise<T | undefined> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      if (!sendIt(requestId)) { resolve(undefined); return; }
      const timer = setTimeout(() => { pending.delete(requestId); resolve(undefined); }, timeoutMs);
      pending.set(requestId, { resolve, timer });
    });
  }

  private receive(raw: unknown): void {
    if (!isMessageOf<TrainerToHost>(raw, trainerToHostTypes)) {
      this.options.onStderr?.(`ignored a malformed message from the trainer: ${JSON.stringify(raw).slice(0, 200)}`);
      return;
    }
    if (raw.type === 'sampleResult') settle(this.pendingSamples, raw.payload.requestId, raw.payload.text);
    else if (raw.type === 'probsResult') {
      const { requestId, ...answer } = raw.payload;
      settle(this.pendingProbs, requestId, answer);
    } else if (raw.type === 'sampleChunk') this.sampleChunks.get(raw.payload.requestId)?.(raw.payload.text);
    else if (raw.type === 'labResult') settle(this.pendingLabs, raw.payload.requestId, raw.payload.answer);
    else if (raw.type === 'surprisalResult') {
      const { requestId, ...answer } = raw.payload;
      settle(this.pendingSurprisal, requestId, answer);
    }
    this.options.onMessage(raw);
  }

  private handleExit(code: number | null, signal: NodeJS.Signals | null, error?: string): void {
    if (this.exited) return;
    this.exited = true;
    for (const pending of [this.pendingSamples, this.pendingProbs, this.pendingLabs, this.pendingSurprisal] as Array<Map<number, Pending<unknown>>>) {
      for (const { resolve, timer } of pending.values()) { clearTimeout(timer); resolve(undefined); }
      pending.clear();
    }
    this.markGone();
    this.options.onExit({ code, signal, error, expected: this.disposing });
  }
}

function settle<T>(pending: Map<number, Pending<T>>, requestId: number, value: T): void {
  const entry = pending.get(requestId);
  if (!entry) return;
  pending.delete(requestId);
  clearTimeout(entry.timer);
  entry.resolve(value);
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
