/**
 * The temperature explorer: the same prime continued at several temperatures side by side
 * (T = 0 is greedy: always the most likely symbol, which soon repeats itself). Each row also
 * says how surprising its own text is to the model (at T = 1) and how varied its words are.
 */
import type { Stepper } from '../backends/types';
import type { Tokenizer } from '../data/tokenizer';
import { negLog2Softmax } from '../sample/distribution';
import { drawSymbols } from '../sample/generate';
import { unknownSymbols } from './symbols';

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
  /** What the table shows, read from its own numbers (which row is cheapest, which repeats most). */
  summary: string;
  notes: string[];
}

/**
 * Each row is drawn as `generate` draws a sample (the same priming, and a lines model starts every
 * sentence after an end symbol from a zero state and the start symbol, as it was trained), and the
 * model's own probability of every drawn symbol is noted as it is drawn.
 */
export function temperatureExplorer(
  stepper: Stepper, vocab: Tokenizer,
  options: { prime: string; length: number; seed: number; temperatures?: readonly number[] },
): TemperatureAnswer {
  const notes: string[] = [];
  const unknown = unknownSymbols(vocab, options.prime);
  if (unknown.length) notes.push(`The prime has characters the model has never seen (${unknown.map((c) => `“${c}”`).join(', ')}); they are read as the unknown symbol.`);
  const rows = (options.temperatures ?? explorerTemperatures).map((temperature): TemperatureRow => {
    const ids: number[] = [];
    let bits = 0;
    const observe = (logits: Float32Array, id: number) => { bits += Math.min(negLog2Softmax(logits, vocab.size, id), MAX_SURPRISAL_BITS); };
    if (options.length > 0) {
      for (const id of drawSymbols(stepper, vocab, { prime: options.prime, temperature, seed: options.seed, stopAtEnd: false, observe })) {
        ids.push(id);
        if (ids.length >= options.length) break;
      }
    }
    const text = vocab.decode(ids);
    const words = text.split(/\s+/).filter((w) => w !== '');
    return {
      temperature,
      text,
      meanBits: ids.length > 0 ? bits / ids.length : 0,
      distinctWords: words.length ? new Set(words).size / words.length : 0,
    };
  });
  return { prime: options.prime, rows, summary: temperatureSummary(rows, vocab.kind === 'word' ? 'word' : 'char'), notes };
}

const label = (t: number) => (t === 0 ? 'T = 0 (greedy)' : `T = ${t}`);

/** The explorer's paragraph, every claim read from the rows it explains. */
export function temperatureSummary(rows: readonly TemperatureRow[], unit: 'char' | 'word'): string {
  if (rows.length === 0) return '';
  const cheapest = rows.reduce((a, r) => (r.meanBits < a.meanBits ? r : a));
  const dearest = rows.reduce((a, r) => (r.meanBits > a.meanBits ? r : a));
  const repetitive = rows.reduce((a, r) => (r.distinctWords < a.distinctWords ? r : a));
  const greedy = rows.find((r) => r.temperature === 0);
  const parts = ['Temperature divides the logits before the softmax: low temperatures sharpen the distribution, high ones flatten it.'];
  parts.push(`Here the text the model finds cheapest is ${label(cheapest.temperature)}'s (${cheapest.meanBits.toFixed(2)} bits/${unit} under the model) and the most surprising is ${label(dearest.temperature)}'s (${dearest.meanBits.toFixed(2)} bits/${unit}).`);
  if (greedy && greedy !== cheapest) {
    parts.push(`T = 0 takes the most likely symbol at every step, yet its text costs ${greedy.meanBits.toFixed(2)} bits/${unit}: the likeliest symbol now can lead where every later symbol is less certain.`);
  }
  parts.push(`The most repetitive text is ${label(repetitive.temperature)}'s (distinct words ${repetitive.distinctWords.toFixed(2)}: 1 = no word repeated).`);
  return parts.join(' ');
}
