/**
 * A model opened from a checkpoint or a Keras weights file, without training: what the hover, the
 * Samples view and on-demand samples need (samples and next-symbol distributions), on any backend.
 */
import type { RunStarted } from '../train/events';
import type { Backend, BackendInfo, Network } from '../backends/types';
import type { LabModel } from '../train/samples';
import { asCheckpoint, type LoadedModel } from '../model/io/load';
import type { Checkpoint } from '../model/io/checkpoint';
import { SampleService } from '../train/samples';

export class OpenedModel {
  /** The same sampling and hover service a training run uses, on the opened weights and the run's settings. */
  private readonly samples: SampleService;

  private constructor(readonly path: string, readonly checkpoint: Checkpoint, private readonly network: Network, private readonly backend: BackendInfo) {
    this.samples = new SampleService(network, checkpoint.tokenizer, checkpoint.config);
  }

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
    return this.samples.sample(prime, length, temperature);
  }

  nextSymbolProbs(context: string, top: number, next?: string) {
    return this.samples.nextSymbolProbs(context, top, next);
  }

  /** What the lab answers need (as a training run's, with seeds of their own). */
  labModel(): LabModel {
    return this.samples.labModel(this.checkpoint.spec, this.backend, 6_000_000);
  }
}
