/**
 * The temperature explorer: the same prime continued at several temperatures side by side
 * (T = 0 is greedy: always the most likely symbol, which soon repeats itself). Each row also
 * says how surprising its own text is to the model (at T = 1) and how varied its words are.
 */
import type { Stepper } from '../backends/types';
import { Rng } from '../random';
import { sampleFromLogits } from '../sample/sampler';
import { feed, negLog2Softmax } from '../sample/distribution';
import { boundariesOf, unknownSymbols, type LabVocab } from './symbols';

/** A drawn symbol's surprisal is capped here (p = 1e-12), so one near-impossible draw cannot swamp the mean. */
const MAX_SURPRISAL_BITS = -Math.log2(1e-12);

export const explorerTemperatures = [0, 0.3, 0.8, 1.2] as const;

export interface TemperatureRow {
  temperature: number;
  text: string;
  /** Mean -log2 p (at T = 1) of the generated symbols: low = the model's safest guesses. */
  meanBits: number;
  /** Distinct words / words: low = repeating itself. */
  distinctWords: number;
}

export interface TemperatureAnswer {
  prime: string;
  rows: TemperatureRow[];
  notes: string[];
}

export function temperatureExplorer(
  stepper: Stepper, vocab: LabVocab,
  options: { prime: string; length: number; seed: number; temperatures?: readonly number[] },
): TemperatureAnswer {
  const b = boundariesOf(vocab);
  const notes: string[] = [];
  const unknown = unknownSymbols(vocab, options.prime);
  if (unknown.length) notes.push(`The prime has characters the model has never seen (${unknown.map((c) => `“${c}”`).join(', ')}); they are read as the unknown symbol.`);
  const primeIds = vocab.encode(options.prime);
  const avoid = b.hasStartSymbol ? [vocab.unknownId, b.startId] : vocab.unknownId;
  const rows = (options.temperatures ?? explorerTemperatures).map((temperature) => {
    const rng = new Rng(options.seed, 31);
    stepper.reset();
    // A model trained on sentences reads a prime as the start of one.
    let logits = feed(stepper, b.hasStartSymbol ? [b.startId, ...primeIds] : primeIds.length ? primeIds : [b.startId]);
    const parts: number[] = [];
    let bits = 0;
    const token = new Int32Array(1);
    for (let i = 0; i < options.length; i++) {
      const id = sampleFromLogits(logits, 0, vocab.size, { temperature, avoid }, rng);
      bits += Math.min(negLog2Softmax(logits, vocab.size, id), MAX_SURPRISAL_BITS);
      parts.push(id);
      token[0] = id;
      logits = stepper.step(token);
    }
    const text = vocab.decode(parts);
    const words = text.split(/\s+/).filter((w) => w !== '');
    return {
      temperature,
      text,
      meanBits: options.length > 0 ? bits / options.length : 0,
      distinctWords: words.length ? new Set(words).size / words.length : 0,
    };
  });
  return { prime: options.prime, rows, notes };
}
