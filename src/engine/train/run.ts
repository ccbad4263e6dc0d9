/**
 * One training run: text in, events out. Used by the trainer process and the CLI alike.
 *
 * Each step: the next stream batch (state carried from the previous batch within an epoch),
 * forward + backward, global-norm clipping, one optimizer update, a `step` event. Every
 * `evalInterval` steps and at the end: validation cross-entropy (with its own network so the
 * training state is untouched), a sample, an `eval` event, and a checkpoint at each new best.
 * The loop awaits a macrotask between steps so pause / resume / stop (and any IPC message)
 * are handled between steps. Same seed + config + backend = the same losses.
 */
import type { CheckpointSaved, EvalMetrics, RunFinished, RunStarted, StepMetrics, TrainConfig } from '../../protocol/messages';
import type { Backend, Network } from '../backends/types';
import { initParams } from '../model/init';
import type { ModelSpec } from '../model/spec';
import { clipGlobalNorm } from '../optim/clip';
import { createOptimizer, type Optimizer } from '../optim/optimizers';
import { deriveSeed, Rng } from '../random';
import { ContextStateCache } from '../sample/contextCache';
import { generate } from '../sample/generate';
import { planData, type DataPlan } from '../data/batcher';
import type { Corpus } from '../data/corpus';
import { checkpointPath, writeCheckpoint, type ValPoint } from './checkpoint';
import { DebiasedAverage } from './smoothing';
import { specFromConfig, validateConfig } from './config';
import { DownsampledHistory } from './history';

export interface TrainEvents {
  started?(info: RunStarted): void;
  step?(metrics: StepMetrics): void;
  eval?(metrics: EvalMetrics): void;
  checkpoint?(saved: CheckpointSaved): void;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
  /** The loop has actually stopped between steps after `pause()`. */
  paused?(step: number): void;
  resumed?(step: number): void;
}

export interface TrainingRunOptions {
  runId: string;
  sourceName: string;
  /** The training text, already decoded (see text/read.ts for files). */
  text: Corpus;
  config: TrainConfig;
  backend: Backend;
  /** Where checkpoints go; undefined = do not write checkpoints. */
  checkpointDir?: string;
  events: TrainEvents;
  /** Start from these weights (canonical layout, e.g. a checkpoint's) instead of a fresh initialisation. */
  initialParams?: ArrayLike<number>;
}

/** The loss guard: a loss above this multiple of the first step's loss means the run diverged. */
export const DIVERGENCE_FACTOR = 3;
/** Weight of the newest loss in the smoothed loss. */
const SMOOTHING = 0.05;
/** Length of the random prime taken from the training text when the config has none. */
const RANDOM_PRIME_SYMBOLS = 24;

export class TrainingRun {
  readonly spec: ModelSpec;
  readonly network: Network;
  /** Planned number of steps from the steps / epochs budget, or 0 when only time (or nothing) limits the run. */
  readonly totalSteps: number;
  private readonly config: TrainConfig;
  private readonly corpus: Corpus;
  private readonly data: DataPlan;
  private readonly optimizer: Optimizer;
  private evalNetwork: Network | undefined;
  private contextCache: ContextStateCache | undefined;
  private onDemandSamples = 0;
  private readonly trainHistory = new DownsampledHistory();
  private readonly valHistory: ValPoint[] = [];

  private step = 0;
  private initialLoss = NaN;
  private smoothLoss = NaN;
  private readonly lossAverage = new DebiasedAverage(SMOOTHING);
  private bestValLoss = Infinity;
  private bestPath: string | undefined;
  private lastEvalStep = -1;
  private trainingMs = 0;
  private trainedChars = 0;
  private pausedMs = 0;
  private startTime = 0;
  private running = false;
  private pauseRequested = false;
  private stopRequested = false;
  private wake: (() => void) | undefined;

  constructor(readonly options: TrainingRunOptions) {
    const { config, text } = options;
    validateConfig(config);
    this.config = { ...config };
    this.corpus = text;
    this.data = planData(text, this.config);
    this.spec = specFromConfig(this.config, text.tokenizer.size);
    this.network = options.backend.createNetwork(this.spec);
    if (options.initialParams) {
      if (options.initialParams.length !== this.network.params.length) throw new RangeError(`initial parameters have ${options.initialParams.length} values, the model needs ${this.network.params.length}`);
      this.network.params.set(options.initialParams);
    } else {
      initParams(this.spec, this.network.params, config.seed);
    }
    this.network.paramsChanged();
    this.optimizer = createOptimizer(config.optimizer, config.learningRate, this.network.params.length);
    const limits = [config.steps, config.epochs * this.stepsPerEpoch].filter((n) => n > 0);
    this.totalSteps = limits.length ? Math.min(...limits) : 0;
  }

  get stepsPerEpoch(): number {
    return this.data.train.batchesPerEpoch;
  }


  /** Runs until the configured budget is spent or `stop()` is called; yields to the event loop between steps. */
  async run(): Promise<RunFinished> {
    if (this.running) throw new Error('this run is already running');
    this.running = true;
    this.startTime = Date.now();
    const events = this.options.events;
    try {
      events.started?.(this.startedInfo());
      for (const note of this.corpus.notes) events.log?.('info', `${this.corpus.name}: ${note}`);
      events.log?.('info', `${this.corpus.name}: ${this.data.description}`);
      while (!this.budgetSpent()) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.pauseRequested && !this.stopRequested) await this.waitWhilePaused();
        if (this.stopRequested) break;
        const diverged = this.trainStep();
        if (diverged) return await this.finishDiverged(diverged);
        if (this.step % this.config.evalInterval === 0) await this.evaluateAndReport();
      }
      if (this.step > 0 && this.lastEvalStep !== this.step) await this.evaluateAndReport();
      const last = await this.saveCheckpoint('final');
      const reason = this.stopRequested ? 'stopped' : 'completed';
      return {
        reason,
        message: reason === 'stopped' ? `Stopped at step ${this.step}.` : `Finished ${this.step} steps.`,
        step: this.step,
        bestValLoss: this.bestValLoss,
        checkpointPath: this.bestPath ?? last,
      };
    } finally {
      this.running = false;
    }
  }

  pause(): void {
    this.pauseRequested = true;
  }

  resume(): void {
    this.pauseRequested = false;
    this.wake?.();
  }

  stop(): void {
    this.stopRequested = true;
    this.wake?.();
  }

  /**
   * Samples with the current weights (a separate stepper: does not disturb training). Each
   * on-demand sample gets its own seed, so asking again gives a new sample, reproducibly.
   */
  sample(prime: string, length: number, temperature: number, seed = deriveSeed(this.config.seed, 3_000_000 + this.onDemandSamples++)): string {
    const stepper = this.network.createStepper(1);
    try {
      return generate(stepper, this.corpus.tokenizer, {
        prime, length, temperature, seed, topK: this.config.topK, stopAtEnd: this.config.stopAtEnd, stopWord: this.config.stopWord,
      });
    } finally {
      stepper.dispose();
    }
  }

  /**
   * Next-symbol distribution after `context`, top-k. States along the last context are kept until
   * the weights change, so nearby queries over the same text are cheap (the hover).
   */
  nextSymbolProbs(context: string, top: number): { probs: Array<{ symbol: string; p: number }>; entropyBits: number } {
    this.contextCache ??= new ContextStateCache(this.network.createStepper(1), this.corpus.tokenizer);
    return this.contextCache.distribution(context, top);
  }

  /** Validation cross-entropy in nats/char with the current weights. */
  validationLoss(): number {
    let net = this.evalNetwork;
    if (!net) net = this.evalNetwork = this.options.backend.createNetwork(this.spec);
    net.params.set(this.network.params);
    net.paramsChanged();
    net.resetState();
    let lossSum = 0;
    let count = 0;
    const val = this.data.val;
    for (let i = 0; i < val.batchesPerEpoch; i++) {
      const { batch, carry } = val.batchAt(0, i);
      const r = net.evaluate(batch, { carryState: carry });
      lossSum += r.lossSum;
      count += r.count;
    }
    return lossSum / count;
  }

  private startedInfo(): RunStarted {
    const { backend } = this.options;
    return {
      runId: this.options.runId,
      sourceName: this.options.sourceName,
      config: { ...this.config },
      backend: { ...backend.info },
      vocabSize: this.corpus.tokenizer.size,
      symbols: [...this.corpus.tokenizer.symbols],
      paramCount: this.network.params.length,
      trainChars: this.data.trainTokens,
      valChars: this.data.valTokens,
      baselineNats: Math.log(this.corpus.tokenizer.size),
      totalSteps: this.totalSteps,
      stepsPerEpoch: this.stepsPerEpoch,
    };
  }

  private elapsedMs(): number {
    return Date.now() - this.startTime - this.pausedMs;
  }

  private budgetSpent(): boolean {
    const total = this.totalSteps;
    if (total > 0 && this.step >= total) return true;
    return this.config.seconds > 0 && this.elapsedMs() >= this.config.seconds * 1000;
  }

  private async waitWhilePaused(): Promise<void> {
    const since = Date.now();
    this.options.events.paused?.(this.step);
    while (this.pauseRequested && !this.stopRequested) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    this.pausedMs += Date.now() - since;
    if (!this.stopRequested) this.options.events.resumed?.(this.step);
  }

  /** One optimizer step; returns a message when the loss guard trips. */
  private trainStep(): string | undefined {
    const began = performance.now();
    const indexInEpoch = this.step % this.stepsPerEpoch;
    const { batch, carry } = this.data.train.batchAt(Math.floor(this.step / this.stepsPerEpoch), indexInEpoch);
    const result = this.network.forwardBackward(batch, {
      carryState: carry,
      train: true,
      dropoutSeed: deriveSeed(this.config.seed, 1000 + this.step),
    });
    const loss = result.lossSum / result.count;
    if (this.step === 0) this.initialLoss = loss;
    if (!Number.isFinite(loss)) return `the training loss became ${loss} at step ${this.step + 1}`;
    if (loss > DIVERGENCE_FACTOR * this.initialLoss) {
      return `the training loss ${loss.toFixed(3)} at step ${this.step + 1} is more than ${DIVERGENCE_FACTOR}x the initial ${this.initialLoss.toFixed(3)}`;
    }
    const gradNorm = clipGlobalNorm(this.network.grads, this.config.clipNorm);
    if (!Number.isFinite(gradNorm)) return `the gradient norm became ${gradNorm} at step ${this.step + 1}`;
    this.optimizer.step(this.network.params, this.network.grads);
    this.network.paramsChanged();
    this.contextCache?.invalidate();
    this.step++;
    this.trainingMs += performance.now() - began;
    this.trainedChars += result.count;
    this.smoothLoss = this.lossAverage.add(loss);
    this.trainHistory.add(this.step, loss);
    const elapsedMs = this.elapsedMs();
    this.options.events.step?.({
      step: this.step,
      epoch: this.step / this.stepsPerEpoch,
      loss,
      smoothLoss: this.smoothLoss,
      gradNorm,
      charsPerSec: this.charsPerSec(),
      elapsedMs,
      etaMs: this.etaMs(elapsedMs),
    });
    return undefined;
  }

  /** Training throughput: characters per second of time spent in training steps. */
  private charsPerSec(): number {
    return this.trainingMs > 0 ? (1000 * this.trainedChars) / this.trainingMs : 0;
  }

  private etaMs(elapsedMs: number): number {
    const estimates: number[] = [];
    const total = this.totalSteps;
    if (total > 0 && this.step > 0) estimates.push(((total - this.step) * elapsedMs) / this.step);
    if (this.config.seconds > 0) estimates.push(Math.max(0, this.config.seconds * 1000 - elapsedMs));
    return estimates.length ? Math.min(...estimates) : -1;
  }

  private randomPrime(rng: Rng): string {
    const { ids, tokenizer, lineStarts } = this.corpus;
    // Framed models (lines mode) start a sentence from the start symbol: no prime.
    if (lineStarts) return '';
    const words = tokenizer.kind === 'word';
    const length = words ? Math.ceil(RANDOM_PRIME_SYMBOLS / 4) : RANDOM_PRIME_SYMBOLS;
    const span = this.data.trainTokens - length;
    let start = span > 0 ? rng.int(span) : 0;
    // Characters: start after a space or newline when one is near, so the prime begins with a word.
    const space = tokenizer.idOf(' ');
    const newline = tokenizer.idOf('\n');
    for (let k = 0; !words && k < length && start + 1 < span; k++, start++) {
      if (ids[start] === space || ids[start] === newline) {
        start++;
        break;
      }
    }
    return tokenizer.decode(ids.subarray(start, Math.min(start + length, this.data.trainTokens)));
  }

  private async evaluateAndReport(): Promise<void> {
    const valLoss = this.validationLoss();
    const evalSeed = deriveSeed(this.config.seed, 2000000 + this.step);
    const prime = this.config.prime || this.randomPrime(new Rng(evalSeed));
    const sample = this.sample(prime, this.config.sampleLength, this.config.temperature, evalSeed);
    const isBest = valLoss < this.bestValLoss;
    if (isBest) this.bestValLoss = valLoss;
    this.lastEvalStep = this.step;
    this.valHistory.push({ step: this.step, valLoss });
    this.options.events.eval?.({
      step: this.step,
      epoch: this.step / this.stepsPerEpoch,
      valLoss,
      valBitsPerChar: valLoss / Math.LN2,
      trainLoss: this.smoothLoss,
      sample,
      prime,
      temperature: this.config.temperature,
      charsPerSec: this.charsPerSec(),
      elapsedMs: this.elapsedMs(),
      isBest,
    });
    if (isBest) this.bestPath = (await this.saveCheckpoint('best')) ?? this.bestPath;
  }

  private async saveCheckpoint(reason: 'best' | 'final'): Promise<string | undefined> {
    const dir = this.options.checkpointDir;
    if (!dir || this.step === 0) return undefined;
    const path = checkpointPath(dir, this.options.sourceName, reason === 'best' ? 'best' : 'last');
    try {
      await this.writeCheckpointTo(path);
    } catch (error) {
      // A full disk or an unwritable folder must not throw away the training: say so and carry on.
      this.options.events.log?.('error', `Could not write the checkpoint ${path}: ${(error as Error).message}`);
      return undefined;
    }
    const valLoss = this.valHistory.length ? this.valHistory[this.valHistory.length - 1].valLoss : NaN;
    this.options.events.checkpoint?.({ path, step: this.step, valLoss, reason });
    return path;
  }

  private writeCheckpointTo(path: string): Promise<void> {
    return writeCheckpoint(path, {
      sourceName: this.options.sourceName,
      step: this.step,
      bestValLoss: this.bestValLoss,
      createdAt: new Date().toISOString(),
      spec: this.spec,
      config: this.config,
      tokenizer: this.corpus.tokenizer,
      trainHistory: this.trainHistory.toArray(),
      valHistory: this.valHistory.slice(),
    }, this.network.params);
  }

  private async finishDiverged(why: string): Promise<RunFinished> {
    const message = `Training diverged: ${why}. Try a lower learning rate (--lr) or gradient clipping (--clip).` +
      (this.bestPath ? ` The best checkpoint so far is kept: ${this.bestPath}` : '');
    this.options.events.log?.('error', message);
    return { reason: 'diverged', message, step: this.step, bestValLoss: this.bestValLoss, checkpointPath: this.bestPath };
  }
}
