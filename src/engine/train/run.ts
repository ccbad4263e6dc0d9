/**
 * One training run: text in, events out. Used by the trainer process and the CLI alike.
 *
 * Before any update the run evaluates once (step 0, beside the loss of a uniform guess, ln V).
 * Each step: the data plan's next batch (and whether the state carries over from the previous
 * one), forward + backward, weight decay and clipping, one optimizer update at the scheduled
 * learning rate, a `step` event. Every `evalInterval` steps and at the end: validation, a sample,
 * an `eval` event, the best weights kept (and checkpointed), and early stopping when validation
 * stopped improving. When the run ends, its network holds the best weights, so the hover and
 * samples use them. The loop awaits a macrotask between steps so pause / resume / stop (and any
 * IPC message) are handled between steps. Same seed + config + backend = the same losses, and a
 * run resumed from its checkpoint continues with the losses it would have had.
 *
 * The pieces live beside this file: evaluation.ts, bestWeights.ts, schedule.ts, regularisation.ts,
 * divergence.ts, progress.ts, samples.ts, checkpointing.ts.
 */
import type { TrainConfig } from '../config/settings';
import type { CheckpointSaved, EvalMetrics, NextSymbolProbs, RunFinished, RunStarted, StepMetrics } from './events';
import type { Backend, LossResult, Network } from '../backends/types';
import { planData, type DataPlan } from '../data/batcher';
import type { Corpus } from '../data/corpus';
import { initOptionsFromConfig, initParams } from '../model/init';
import { textFingerprint, type Checkpoint, type TextFingerprint, type TrainingState, type ValPoint } from '../model/io/checkpoint';
import type { ModelSpec } from '../model/spec';
import { createOptimizer, type Optimizer } from '../optim/optimizers';
import { deriveSeed, Rng } from '../random';
import { UserInputError } from '../text/errors';
import { BestWeights } from './bestWeights';
import { Checkpointer, type CheckpointsClosed, type RecordFields } from './checkpointing';
import { specFromConfig, validateConfig } from './config';
import { DivergenceGuard } from './divergence';
import { Evaluator } from './evaluation';
import { DownsampledHistory } from './history';
import { RunClock } from './progress';
import { GradientProcessing } from './regularisation';
import { SampleService, type LabModel } from './samples';
import { untrainedBestNote } from './untrainedBest';
import { LearningRateSchedule } from './schedule';
import { DebiasedAverage } from './smoothing';
import { fewStepsWarning } from './fewSteps';

export { DIVERGENCE_FACTOR } from './divergence';

export type { LabModel } from './samples';

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
  /** The file the text came from, recorded in checkpoints so a resume can read it again. */
  sourcePath?: string;
  /** The training text, already tokenized (see data/corpus.ts). */
  text: Corpus;
  config: TrainConfig;
  backend: Backend;
  /** Where checkpoints go (a folder per run inside, see runFolder.ts); undefined = do not write checkpoints. */
  checkpointDir?: string;
  /** The checkpoint file `resumeFrom` was read from: the run continues in its run folder when it is a run's last checkpoint. */
  resumePath?: string;
  events: TrainEvents;
  /** Start from these weights (canonical layout, e.g. a checkpoint's: `--init-from`) instead of a fresh initialisation. */
  initialParams?: ArrayLike<number>;
  /**
   * Continue this checkpoint's run (`--resume`): its weights, optimizer, schedule, histories and
   * best weights; `config` (the checkpoint's, with a new budget) counts steps and epochs in total.
   * The text must be the one it trained on, read with its tokenizer.
   */
  resumeFrom?: Checkpoint;
}

/** Weight of the newest loss in the smoothed loss. */
const SMOOTHING = 0.05;
/** Length of the random prime taken from the training text when the config has none. */
const RANDOM_PRIME_SYMBOLS = 24;

export class TrainingRun {
  readonly spec: ModelSpec;
  readonly network: Network;
  /** Planned number of steps from the steps / epochs budget (in total, counting a resumed run's earlier steps), or 0 when only time limits the run. */
  readonly totalSteps: number;
  private readonly config: TrainConfig;
  private readonly corpus: Corpus;
  /** The text's hash, written into every checkpoint (a resumed run must see the same text). */
  private readonly fingerprint: TextFingerprint;
  private readonly data: DataPlan;
  /** The host's optimizer; with `selfUpdating` it only names the optimizer (and gives the zero state of a run saved before its first step). */
  private readonly optimizer: Optimizer;
  /**
   * The network clips and updates itself (`Network.trainStep`: on the GPU, or in the WebAssembly
   * kernels on all their threads), and only the loss and the gradient norm come back. Gradient
   * transforms it does not do (L2, value clipping) keep the host path.
   */
  private readonly selfUpdating: boolean;
  private readonly schedule: LearningRateSchedule;
  private readonly gradients: GradientProcessing;
  private readonly evaluator: Evaluator;
  private readonly best: BestWeights;
  private readonly guard = new DivergenceGuard();
  private readonly clock = new RunClock();
  private readonly samples: SampleService;
  private readonly checkpoints: Checkpointer;
  private readonly lossAverage = new DebiasedAverage(SMOOTHING);
  private readonly trainHistory = new DownsampledHistory();
  private readonly valHistory: ValPoint[] = [];

  private step = 0;
  private readonly startStep: number;
  private lastValLoss = NaN;
  /** Training time before this session (a resumed run's), added to the time its curves record. */
  private historyMsOffset = 0;
  private lastEvalStep = -1;
  private running = false;
  private pauseRequested = false;
  private stopRequested = false;
  private wake: (() => void) | undefined;
  /** A resumed run had stopped early: its patience starts afresh (else it would stop at its first evaluation). */
  private patienceReset = false;

  /** The options, less `resumeFrom` and `initialParams`: once copied into the network and optimizer, those are not kept (a large model's checkpoint is several times its weights). */
  readonly options: Omit<TrainingRunOptions, 'resumeFrom' | 'initialParams'>;

  constructor(options: TrainingRunOptions) {
    const { config, text, resumeFrom } = options;
    const { resumeFrom: _resumeFrom, initialParams: _initialParams, ...kept } = options;
    this.options = kept;
    validateConfig(config);
    this.config = { ...config };
    this.corpus = text;
    this.fingerprint = textFingerprint(text.ids, text.tokenizer);
    this.data = planData(text, this.config);
    this.spec = specFromConfig(this.config, text.tokenizer.size);
    this.network = options.backend.createNetwork(this.spec, { batchSize: config.batchSize, steps: config.seqLength });
    this.optimizer = createOptimizer(config.optimizer, config.learningRate, this.network.params.length);
    this.selfUpdating = this.network.trainStep !== undefined && !(config.l2 > 0) && !(config.clipValue > 0);
    this.schedule = new LearningRateSchedule(config.learningRate, config.lrDecay, config.halveOnRise);
    this.gradients = new GradientProcessing(this.network.layout, config.l2, config.clipValue, config.clipNorm);
    this.evaluator = new Evaluator(options.backend, this.spec, this.data.val, this.data.valSentences);
    this.best = new BestWeights(config.earlyStop);
    this.samples = new SampleService(this.network, text.tokenizer, this.config);
    this.checkpoints = new Checkpointer(
      options.checkpointDir === undefined ? undefined : { dir: options.checkpointDir, sourceName: options.sourceName, resumePath: options.resumePath, keepRuns: config.keepRuns },
      options.events,
    );
    if (resumeFrom) {
      this.restore(resumeFrom);
    } else if (options.initialParams) {
      if (options.initialParams.length !== this.network.params.length) throw new RangeError(`initial parameters have ${options.initialParams.length} values, the model needs ${this.network.params.length}`);
      this.network.params.set(options.initialParams);
    } else {
      initParams(this.spec, this.network.params, config.seed, initOptionsFromConfig(config));
    }
    this.network.paramsChanged();
    this.startStep = this.step;
    const limits = [config.steps, config.epochs * this.stepsPerEpoch].filter((n) => n > 0);
    this.totalSteps = limits.length ? Math.min(...limits) : 0;
  }

  get stepsPerEpoch(): number {
    return this.data.train.batchesPerEpoch;
  }

  /** Runs until the budget is spent, validation stops improving, or `stop()` is called; yields to the event loop between steps. */
  async run(): Promise<RunFinished> {
    if (this.running) throw new Error('this run is already running');
    this.running = true;
    const events = this.options.events;
    try {
      // The run's folder first: a folder that cannot be written stops the run before it trains.
      await this.checkpoints.open();
      this.clock.start();
      events.started?.(this.startedInfo());
      if (this.patienceReset) events.log?.('info', `Resumed at step ${this.step} after early stopping: validation may go {setting:earlyStop} = ${this.config.earlyStop} evaluations without improving again.`);
      for (const note of this.corpus.notes) events.log?.('info', `${this.corpus.name}: ${note}`);
      events.log?.('info', `${this.corpus.name}: ${this.data.description}`);
      const fewSteps = this.step === 0 ? fewStepsWarning(this.config, this.stepsPerEpoch, this.corpus.name) : undefined;
      if (fewSteps) events.log?.('warn', fewSteps);
      // Step 0: the loss before any update, to compare with ln V.
      if (this.step === 0) await this.evaluateAndReport();
      let stoppedEarly = false;
      while (!this.budgetSpent()) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.pauseRequested && !this.stopRequested) await this.waitWhilePaused();
        if (this.stopRequested) break;
        const diverged = this.trainStep();
        if (diverged) return await this.finishDiverged(diverged);
        if (this.step % this.config.evalInterval === 0) {
          await this.evaluateAndReport();
          if (this.checkpoints.failure) return await this.finishFailed();
          if (this.best.shouldStop) {
            stoppedEarly = true;
            break;
          }
        }
      }
      if (this.step > this.startStep && this.lastEvalStep !== this.step) await this.evaluateAndReport();
      // The final checkpoint continues from here; then the network keeps the best weights for the hover and samples.
      const last = this.step > this.startStep ? await this.checkpoints.save('final', () => this.checkpointMeta(), this.network.params, this.valHistory.at(-1)?.valLoss ?? NaN, () => this.recordFields()) : undefined;
      if (this.checkpoints.failure) return await this.finishFailed();
      this.useBestWeights();
      const reason = this.stopRequested ? 'stopped' : 'completed';
      const closed = await this.checkpoints.close(reason, this.recordFields());
      if (this.checkpoints.failure) return await this.finishFailed();
      const bestNote = this.best.step >= 0 ? ` Best validation ${this.formatLoss(this.best.valLoss)} at step ${this.best.step}; samples and the hover use those weights.` : '';
      const whyUntrained = untrainedBestNote(this.valHistory, this.best.step, {
        trainTokens: this.data.trainTokens, steps: this.step, stepsPerEpoch: this.stepsPerEpoch,
        learningRate: this.config.learningRate, paramCount: this.network.params.length,
      });
      const kept = closed.fileBestKept;
      const keptNote = kept ? ` The best model of ${this.options.sourceName} stays that of run ${kept.runId} (${this.formatLoss(kept.valLoss)}), better than this run's.` : '';
      const message = stoppedEarly
        ? `Stopped early at step ${this.step}: validation did not improve for ${this.config.earlyStop} evaluations.${bestNote}`
        : (reason === 'stopped' ? `Stopped at step ${this.step}.` : `Finished ${this.step} steps.`) + bestNote;
      const endMessage = message + keptNote + whyUntrained;
      return {
        reason, message: endMessage, step: this.step, bestValLoss: this.best.valLoss, bestStep: this.best.step, stoppedEarly,
        checkpointPath: this.checkpoints.bestPath ?? last,
        ...this.checkpointPaths(closed),
      };
    } finally {
      this.running = false;
      // Whatever ended the run (an error included), its folder's lock is given up.
      await this.checkpoints.release();
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

  /** A sample with the network's current weights (its own stepper: training is not disturbed); a new draw each call. */
  sample(prime: string, length: number, temperature: number, seed?: number): string {
    return this.samples.sample(prime, length, temperature, seed);
  }

  /** Next-symbol distribution after `context`, top-k (states along the last context are cached until the weights change). */
  nextSymbolProbs(context: string, top: number, next?: string): NextSymbolProbs {
    return this.samples.nextSymbolProbs(context, top, next);
  }

  /** What the lab answers need: the model's shape, its tokenizer and steppers on the live weights. */
  labModel(): LabModel {
    return this.samples.labModel(this.spec, this.options.backend.info, 4_000_000);
  }

  /** Validation cross-entropy in nats per token with the current weights. */
  validationLoss(): number {
    return this.evaluator.evaluate(this.network.params).valLoss;
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
      startStep: this.startStep,
      ...(this.patienceReset ? { patienceReset: true } : {}),
      ...(this.checkpoints.runDir ? { runDir: this.checkpoints.runDir } : {}),
      dataDescription: this.data.description,
    };
  }

  private budgetSpent(): boolean {
    const total = this.totalSteps;
    if (total > 0 && this.step >= total) return true;
    return this.config.seconds > 0 && this.clock.elapsedMs() >= this.config.seconds * 1000;
  }

  private async waitWhilePaused(): Promise<void> {
    const since = Date.now();
    this.options.events.paused?.(this.step);
    while (this.pauseRequested && !this.stopRequested) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    this.clock.addPause(Date.now() - since);
    if (!this.stopRequested) this.options.events.resumed?.(this.step);
  }

  /** The time a curve point records: the run's training time, earlier sessions included. */
  private historyMs(): number {
    return this.historyMsOffset + this.clock.elapsedMs();
  }

  /** One optimizer step; returns a message when the loss guard trips. */
  private trainStep(): string | undefined {
    const began = performance.now();
    const epoch = Math.floor(this.step / this.stepsPerEpoch);
    const { batch, carry } = this.data.train.batchAt(epoch, this.step % this.stepsPerEpoch);
    const passOptions = { carryState: carry, train: true, dropoutSeed: deriveSeed(this.config.seed, 1000 + this.step) };
    let result: LossResult;
    let gradNorm: number;
    if (this.selfUpdating) {
      // The update is already applied when the guard looks; a diverged run ends without saving it.
      const rule = { optimizer: this.config.optimizer, learningRate: this.schedule.atEpoch(epoch), clipNorm: this.config.clipNorm };
      const device = this.network.trainStep!(batch, passOptions, rule);
      result = device;
      gradNorm = device.gradNorm;
      const problem = this.guard.check(this.step + 1, device.lossSum / device.count, gradNorm);
      if (problem) return problem;
    } else {
      result = this.network.forwardBackward(batch, passOptions);
      gradNorm = this.gradients.apply(this.network.grads, this.network.params);
      // A diverged step is not applied.
      const problem = this.guard.check(this.step + 1, result.lossSum / result.count, gradNorm);
      if (problem) return problem;
      this.optimizer.learningRate = this.schedule.atEpoch(epoch);
      this.optimizer.step(this.network.params, this.network.grads);
      this.network.paramsChanged();
    }
    const loss = result.lossSum / result.count;
    this.samples.weightsChanged();
    this.step++;
    this.clock.addStep(performance.now() - began, result.count);
    const smoothLoss = this.lossAverage.add(loss);
    this.trainHistory.add(this.step, loss, this.historyMs());
    this.options.events.step?.({
      step: this.step,
      epoch: this.step / this.stepsPerEpoch,
      loss,
      smoothLoss,
      gradNorm,
      charsPerSec: this.clock.tokensPerSec(),
      elapsedMs: this.clock.elapsedMs(),
      etaMs: this.clock.etaMs(this.step, this.startStep, this.totalSteps, this.config.seconds),
    });
    return undefined;
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
    const { valLoss, valLossPerSentence } = this.evaluator.evaluate(this.network.params);
    const evalSeed = deriveSeed(this.config.seed, 2000000 + this.step);
    const prime = this.config.prime || this.randomPrime(new Rng(evalSeed));
    const sample = this.samples.sample(prime, this.config.sampleLength, this.config.temperature, evalSeed);
    // Only evaluations on the interval steer training (halving, patience): a run resumed from a
    // checkpoint written at an extra, final evaluation then continues as an uninterrupted run would.
    const onInterval = this.step % this.config.evalInterval === 0;
    const isBest = this.best.record(this.step, valLoss, this.network.params, onInterval);
    if (onInterval) {
      if (this.step > 0 && this.schedule.afterEvaluation(valLoss, this.lastValLoss)) {
        this.options.events.log?.('info', `validation loss rose (${this.formatLoss(this.lastValLoss)} -> ${this.formatLoss(valLoss)}): learning rate halved to ${this.schedule.rate.toPrecision(3)}`);
      }
      this.lastValLoss = valLoss;
    }
    this.lastEvalStep = this.step;
    this.valHistory.push({ step: this.step, valLoss, ms: Math.round(this.historyMs()), epoch: this.step / this.stepsPerEpoch });
    this.options.events.eval?.({
      step: this.step,
      epoch: this.step / this.stepsPerEpoch,
      valLoss,
      valBitsPerChar: valLoss / Math.LN2,
      valBitsPerToken: valLoss / Math.LN2,
      valPerplexity: Math.exp(valLoss),
      ...(valLossPerSentence !== undefined ? { valLossPerSentence } : {}),
      bestValLoss: this.best.valLoss,
      bestStep: this.best.step,
      learningRate: this.schedule.rate,
      trainLoss: this.lossAverage.value,
      sample,
      prime,
      temperature: this.config.temperature,
      charsPerSec: this.clock.tokensPerSec(),
      elapsedMs: this.clock.elapsedMs(),
      isBest,
    });
    if (isBest && this.step > 0) await this.checkpoints.save('best', () => this.checkpointMeta(), this.network.params, valLoss, () => this.recordFields());
  }

  private formatLoss(nats: number): string {
    return `${(nats / Math.LN2).toFixed(3)} bits/${this.corpus.tokenizer.kind === 'word' ? 'word' : 'char'}`;
  }

  /**
   * Puts the best weights into the network (samples and the hover then use them). `always`: also
   * when they are this step's (a self-updating network has applied a diverged update since).
   */
  private useBestWeights(always = false): void {
    const weights = this.best.weights;
    if (!weights || (!always && this.best.step === this.step)) return;
    this.network.params.set(weights);
    this.network.paramsChanged();
    this.samples.weightsChanged();
  }

  private trainingState(): TrainingState {
    return {
      optimizer: (this.selfUpdating ? this.network.getOptimizerState?.() : undefined) ?? this.optimizer.getState(),
      learningRate: this.schedule.rate,
      lastValLoss: this.lastValLoss,
      initialLoss: this.guard.initialLoss,
      smoothing: this.lossAverage.state(),
      carriedState: this.network.getCarriedState?.(),
      onDemandSamples: this.samples.onDemandSamples,
      bestStep: this.best.step,
      evalsSinceBest: this.best.evalsSinceBest,
    };
  }

  private checkpointMeta() {
    const best = this.best.weights;
    return {
      sourceName: this.options.sourceName,
      sourcePath: this.options.sourcePath,
      step: this.step,
      bestValLoss: this.best.valLoss,
      createdAt: new Date().toISOString(),
      spec: this.spec,
      config: this.config,
      tokenizer: this.corpus.tokenizer,
      fingerprint: this.fingerprint,
      bestParams: best && this.best.step !== this.step ? best : undefined,
      training: this.trainingState(),
      trainHistory: this.trainHistory.toArray(),
      valHistory: this.valHistory.slice(),
    };
  }

  /** Continues a checkpoint's run: every piece of state the next steps depend on. */
  private restore(c: Checkpoint): void {
    const where = c.sourcePath ?? c.sourceName;
    const t = c.training;
    if (!t) throw new UserInputError(`${where}: this checkpoint (format version ${c.version}) has no training state to resume from; start a new run from its weights with --init-from instead.`);
    const fingerprint = this.fingerprint;
    if (c.fingerprint && (c.fingerprint.hash !== fingerprint.hash || c.fingerprint.tokens !== fingerprint.tokens)) {
      throw new UserInputError(
        `the text of ${this.options.sourceName} changed since the checkpoint was written (${c.fingerprint.tokens.toLocaleString('en-US')} tokens then, ` +
        `${fingerprint.tokens.toLocaleString('en-US')} now, different content): a resumed run must see the same text. Start a new run, or one from its weights with --init-from.`,
      );
    }
    if (c.params.length !== this.network.params.length) throw new UserInputError('the checkpoint was written by a different model than its own settings make: it cannot be resumed.');
    this.network.params.set(c.params);
    try {
      if (this.selfUpdating && this.network.setOptimizerState) {
        // The network keeps the state itself; a host copy would only take memory.
        if (t.optimizer.name !== this.optimizer.name) throw new RangeError(`optimizer state for ${t.optimizer.name} does not fit ${this.optimizer.name}`);
        this.network.setOptimizerState(t.optimizer);
      } else {
        this.optimizer.setState(t.optimizer);
      }
    } catch (error) {
      throw new UserInputError(`the checkpoint's optimizer state does not fit (${(error as Error).message}).`);
    }
    this.step = c.step;
    this.schedule.restore(t.learningRate, Math.floor(Math.max(0, c.step - 1) / this.stepsPerEpoch));
    this.lastValLoss = t.lastValLoss;
    this.lastEvalStep = c.valHistory.length ? c.valHistory[c.valHistory.length - 1].step : -1;
    this.guard.initialLoss = t.initialLoss;
    this.lossAverage.restore(t.smoothing);
    this.samples.onDemandSamples = t.onDemandSamples;
    this.patienceReset = this.config.earlyStop > 0 && t.evalsSinceBest >= this.config.earlyStop;
    this.best.restore(c.bestValLoss, t.bestStep, this.patienceReset ? 0 : t.evalsSinceBest, c.bestParams ?? (t.bestStep === c.step ? c.params : undefined));
    for (const p of c.trainHistory) this.trainHistory.add(p.step, p.loss, p.ms);
    this.valHistory.push(...c.valHistory);
    // The recorded curves go on from the checkpoint's time, so the wall-clock axis keeps its order.
    this.historyMsOffset = Math.max(0, ...c.trainHistory.map((p) => p.ms ?? 0), ...c.valHistory.map((p) => p.ms ?? 0));
    // Mid-epoch in stream mode the next batch continues the rows of the last one.
    if (c.step % this.stepsPerEpoch !== 0) this.network.setCarriedState?.(t.carriedState);
  }

  private async finishDiverged(why: string): Promise<RunFinished> {
    const message = this.guard.message(why, this.checkpoints.bestPath);
    this.options.events.log?.('error', message);
    this.useBestWeights(this.selfUpdating);
    const closed = await this.checkpoints.close('diverged', this.recordFields());
    return {
      reason: 'diverged', message, step: this.step, bestValLoss: this.best.valLoss, bestStep: this.best.step, checkpointPath: this.checkpoints.bestPath,
      ...this.checkpointPaths(closed),
    };
  }

  /** A checkpoint could not be written: the run ends here, its message the one line that says what was lost. */
  private async finishFailed(): Promise<RunFinished> {
    this.useBestWeights();
    const closed = await this.checkpoints.close('error', this.recordFields());
    return {
      reason: 'error', message: this.checkpoints.failure!, step: this.step, bestValLoss: this.best.valLoss, bestStep: this.best.step,
      checkpointPath: this.checkpoints.bestPath, checkpointFailed: true, ...this.checkpointPaths(closed),
    };
  }

  private checkpointPaths(closed: CheckpointsClosed): Pick<RunFinished, 'runDir' | 'bestPath'> {
    return { ...(closed.runDir ? { runDir: closed.runDir } : {}), ...(closed.fileBestPath ? { bestPath: closed.fileBestPath } : {}) };
  }

  /** What run.json records (at each checkpoint and when the run ends). */
  private recordFields(): RecordFields {
    return {
      sourcePath: this.options.sourcePath,
      fingerprint: this.fingerprint,
      tokens: this.config.tokens,
      step: this.step,
      bestValLoss: Number.isFinite(this.best.valLoss) ? this.best.valLoss : null,
      bestStep: this.best.step,
      history: { train: this.trainHistory.toArray(), val: this.valHistory.slice() },
    };
  }
}
