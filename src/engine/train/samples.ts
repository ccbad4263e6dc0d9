/**
 * Samples and next-symbol probabilities from a network's current weights, for a run in progress
 * and for a model opened from a checkpoint. Each uses a stepper of its own, so sampling never
 * disturbs training. The hover's states along its last context are kept until `weightsChanged()`.
 */
import type { BackendSummary } from './events';
import type { Network, Stepper } from '../backends/types';
import type { ModelSpec } from '../model/spec';
import type { TrainConfig } from '../config/settings';
import type { Tokenizer } from '../data/tokenizer';
import { deriveSeed } from '../random';
import type { ActualNext } from '../sample/distribution';
import { ContextStateCache } from '../sample/contextCache';
import type { NextSymbolDistribution } from '../sample/distribution';
import { generate } from '../sample/generate';
import { appendContinuation } from '../data/wordTokenizer';
import { readingStepper } from '../sample/windowStepper';

/** Generation settings a sample takes from the run's config unless the request gives its own. */
export type SampleSettings = Pick<TrainConfig, 'topK' | 'stopAtEnd' | 'stopWord' | 'seed' | 'mode' | 'window'>;

/** A model as the lab answers use it (the trainer's labs desk). */
export interface LabModel {
  spec: ModelSpec;
  vocab: Tokenizer;
  backend: BackendSummary;
  /** A batch-of-one stepper on the current weights; the caller disposes it. */
  createStepper(): Stepper;
  /** A fresh seed for each request, so asking again gives new draws. */
  seed: number;
  /** The current weights, canonical layout (a live view: read, never write). */
  params: ArrayLike<number>;
}

export class SampleService {
  private contextCache: ContextStateCache | undefined;
  /** Lab questions asked so far: each gets its own seed. */
  private labRequests = 0;
  /** On-demand samples drawn so far: each gets its own seed, so asking again gives a new sample, reproducibly. */
  onDemandSamples = 0;

  constructor(private readonly network: Network, readonly tokenizer: Tokenizer, private readonly settings: SampleSettings) {}

  /** A sample, written to follow the prime (words get the space between them); without a seed, the next on-demand seed. */
  sample(prime: string, length: number, temperature: number, seed?: number): string {
    const s = seed ?? deriveSeed(this.settings.seed, 3_000_000 + this.onDemandSamples++);
    const stepper = this.createStepper();
    try {
      const text = generate(stepper, this.tokenizer, {
        topK: this.settings.topK, stopAtEnd: this.settings.stopAtEnd, stopWord: this.settings.stopWord,
        prime, length, temperature, seed: s,
      });
      return appendContinuation(this.tokenizer, prime, text).slice(prime.length);
    } finally {
      stepper.dispose();
    }
  }

  /** Next-symbol distribution after `context`, top-k (the hover); with `next`, also that character's probability and surprisal. */
  nextSymbolProbs(context: string, top: number, next?: string): NextSymbolDistribution & { next?: ActualNext } {
    this.contextCache ??= new ContextStateCache(this.createStepper(), this.tokenizer);
    return this.contextCache.distribution(context, top, next);
  }

  /** What the lab answers need, on this service's network; `seedBase` keeps a run's seeds apart from an opened model's. */
  labModel(spec: ModelSpec, backend: BackendSummary, seedBase: number): LabModel {
    return {
      spec,
      vocab: this.tokenizer,
      backend,
      createStepper: () => this.createStepper(),
      seed: deriveSeed(this.settings.seed, seedBase + this.labRequests++),
      params: this.network.params,
    };
  }

  /** A batch-of-one stepper that reads the model as it was trained (a windows-mode model: its last window). */
  private createStepper(): Stepper {
    return readingStepper(this.network.createStepper(1), this.settings);
  }

  weightsChanged(): void {
    this.contextCache?.invalidate();
  }

  dispose(): void {
    this.contextCache?.dispose();
    this.contextCache = undefined;
  }
}
