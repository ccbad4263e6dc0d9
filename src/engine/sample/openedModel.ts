/**
 * A model opened from a checkpoint or a Keras weights file, without training: what the hover, the
 * Samples view and on-demand samples need (samples and next-symbol distributions), on any backend.
 */
import type { RunStarted } from '../../protocol/messages';
import type { Backend, BackendInfo, Network } from '../backends/types';
import type { LabModel } from '../train/run';
import { deriveSeed } from '../random';
import { asCheckpoint, type LoadedModel } from '../model/io/load';
import type { Checkpoint } from '../model/io/checkpoint';
import { ContextStateCache } from './contextCache';
import { generate } from './generate';

export class OpenedModel {
  private contextCache: ContextStateCache | undefined;
  private samples = 0;

  private constructor(readonly path: string, readonly checkpoint: Checkpoint, private readonly network: Network, private readonly backend: BackendInfo) {}

  /** `loaded` comes from loadWeights; `backend` must run its spec (see createBackendFor). */
  static fromLoaded(loaded: LoadedModel, backend: Backend): OpenedModel {
    const checkpoint = asCheckpoint(loaded);
    const network = backend.createNetwork(checkpoint.spec);
    network.params.set(loaded.params);
    network.paramsChanged();
    return new OpenedModel(loaded.path, checkpoint, network, backend.info);
  }

  /** The run this model came from, as a run's `started` message describes it. */
  describe(runId: string, backend: Backend): RunStarted {
    const c = this.checkpoint;
    return {
      runId,
      sourceName: c.sourceName,
      config: c.config,
      backend: backend.info,
      vocabSize: c.tokenizer.size,
      symbols: [...c.tokenizer.symbols],
      paramCount: this.network.params.length,
      trainChars: 0,
      valChars: 0,
      baselineNats: Math.log(c.tokenizer.size),
      totalSteps: c.step,
      stepsPerEpoch: 0,
    };
  }

  sample(prime: string, length: number, temperature: number): string {
    const stepper = this.network.createStepper(1);
    try {
      const { config } = this.checkpoint;
      return generate(stepper, this.checkpoint.tokenizer, {
        prime, length, temperature, seed: deriveSeed(config.seed, 5_000_000 + this.samples++),
        topK: config.topK, stopAtEnd: config.stopAtEnd, stopWord: config.stopWord,
      });
    } finally {
      stepper.dispose();
    }
  }

  nextSymbolProbs(context: string, top: number, next?: string) {
    this.contextCache ??= new ContextStateCache(this.network.createStepper(1), this.checkpoint.tokenizer);
    return this.contextCache.distribution(context, top, next);
  }

  /** What the lab answers need (the same as a training run's; see train/run.ts). */
  labModel(): LabModel {
    return {
      spec: this.checkpoint.spec,
      vocab: this.checkpoint.tokenizer,
      backend: this.backend,
      createStepper: () => this.network.createStepper(1),
      seed: deriveSeed(this.checkpoint.config.seed, 6_000_000 + this.samples++),
    };
  }
}
