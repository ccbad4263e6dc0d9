/**
 * Lab questions 3 and 4: sentences sampled one symbol at a time from the start symbol until the
 * end symbol, and what happens when the state is not reset between them (the tutorial's
 * `inference_model.reset_states()`): the same first-symbol question is asked with a fresh state
 * and with the state the previous sentence left, and the gap between the two is measured.
 */
import type { Stepper } from '../backends/types';
import { Rng } from '../random';
import { sampleFromLogits } from '../sample/sampler';
import { feed, probabilities, topSymbols, type SymbolProbability } from '../sample/distribution';
import { boundariesOf, type Boundaries, type LabVocab } from './symbols';

export interface SentenceOptions {
  count: number;
  /** 0 = greedy. */
  temperature: number;
  /** Symbols per sentence at most (a model that never samples the end stops here). */
  maxLength: number;
  seed: number;
}

interface Sentence {
  text: string;
  /** False when the length limit, not the end symbol, ended it. */
  ended: boolean;
  /** The distribution of its first symbol, from the state it started in. */
  first: Float64Array;
}

/** One sentence from the stepper's current state: feed the start symbol, sample until the end symbol. */
function sampleSentence(stepper: Stepper, vocab: LabVocab, b: Boundaries, options: SentenceOptions, rng: Rng): Sentence {
  let logits = feed(stepper, [b.startId]);
  const first = probabilities(logits, vocab.size);
  const parts: number[] = [];
  const token = new Int32Array(1);
  const avoid = b.hasStartSymbol ? [vocab.unknownId, b.startId] : vocab.unknownId;
  const text = () => vocab.decode(parts).replace(/^\s+/, '');
  for (let i = 0; i < options.maxLength; i++) {
    const id = sampleFromLogits(logits, 0, vocab.size, { temperature: options.temperature, avoid }, rng);
    // A newline standing in for the end symbol right after the start is a blank line, not a sentence: read on.
    const blankLine = !b.hasEndSymbol && parts.length === 0;
    if (id === b.endId && !blankLine) return { text: text(), ended: true, first };
    if (id === b.endId) {
      token[0] = id;
      logits = stepper.step(token);
      continue;
    }
    parts.push(id);
    token[0] = id;
    logits = stepper.step(token);
  }
  return { text: text(), ended: false, first };
}

export interface SentencesAnswer {
  sentences: string[];
  /** How many ended at the end symbol (the rest hit the length limit). */
  ended: number;
  /** What a sentence starts after and ends at, as a student reads it: "the start symbol ⟨s⟩", "a newline". */
  startsAfter: string;
  endsAt: string;
  notes: string[];
}

/** `count` sentences, the state reset before each (as in the tutorial's section 6). */
export function sampleSentences(stepper: Stepper, vocab: LabVocab, options: SentenceOptions): SentencesAnswer {
  const b = boundariesOf(vocab);
  const rng = new Rng(options.seed, 23);
  const out: Sentence[] = [];
  for (let i = 0; i < options.count; i++) {
    stepper.reset();
    out.push(sampleSentence(stepper, vocab, b, options, rng));
  }
  return { sentences: out.map((s) => s.text), ended: out.filter((s) => s.ended).length, ...boundaryWords(b), notes: boundaryNotes(b) };
}

function boundaryWords(b: Boundaries): { startsAfter: string; endsAt: string } {
  return {
    startsAfter: b.hasStartSymbol ? `the start symbol ${b.startLabel}` : b.startLabel,
    endsAt: b.hasEndSymbol ? `the end symbol ${b.endLabel}` : b.endLabel,
  };
}

function boundaryNotes(b: Boundaries): string[] {
  if (b.hasStartSymbol && b.hasEndSymbol) return [];
  return [`This model has no ${b.hasStartSymbol ? 'end' : 'start'} symbol (it was trained on a stream of text, not sentence by sentence): a sentence here starts after ${b.startLabel} and ends at ${b.endLabel}.`];
}

export interface DriftPoint {
  /** 1-based sentence number in the chain without resets. */
  sentence: number;
  /** Total variation distance between the fresh and the carried first-symbol distributions (0 = same, 1 = disjoint). */
  totalVariation: number;
  /** KL(fresh ‖ carried) in bits. */
  klBits: number;
  /** Root-mean-square of the state the sentence started from (0 for a fresh state). */
  stateRms: number;
  /** The carried state's three most likely first symbols. */
  top: SymbolProbability[];
}

export interface ResetStateAnswer {
  withReset: string[];
  withoutReset: string[];
  /** The first-symbol distribution from a fresh state (what every sentence with reset starts from). */
  freshTop: SymbolProbability[];
  /** Sentence by sentence without resets: how far the first-symbol distribution is from the fresh one. */
  drift: DriftPoint[];
  /** How many sentences without resets ended at the end symbol (vs with). */
  endedWith: number;
  endedWithout: number;
  /** As in SentencesAnswer: "the start symbol ⟨s⟩", "a newline". */
  startsAfter: string;
  endsAt: string;
  notes: string[];
}

function totalVariation(p: Float64Array, q: Float64Array): number {
  let d = 0;
  for (let k = 0; k < p.length; k++) d += Math.abs(p[k] - q[k]);
  return d / 2;
}

function klBits(p: Float64Array, q: Float64Array): number {
  let d = 0;
  for (let k = 0; k < p.length; k++) if (p[k] > 0) d += p[k] * Math.log2(p[k] / Math.max(q[k], 1e-12));
  return d;
}

function rms(state: Float32Array): number {
  let s = 0;
  for (let i = 0; i < state.length; i++) s += state[i] * state[i];
  return state.length ? Math.sqrt(s / state.length) : 0;
}

/**
 * Five sentences with a reset before each and five in one chain without, from the same seed, and
 * the measured drift of the first-symbol distribution along a chain of `driftSentences`.
 */
export function resetStateExperiment(stepper: Stepper, vocab: LabVocab, options: SentenceOptions & { driftSentences?: number }): ResetStateAnswer {
  const b = boundariesOf(vocab);
  const withReset = sampleSentences(stepper, vocab, options);
  stepper.reset();
  const fresh = feed(stepper, [b.startId]);
  const freshP = probabilities(fresh, vocab.size);

  const rng = new Rng(options.seed, 23);
  const chain = Math.max(options.count, options.driftSentences ?? 10);
  stepper.reset();
  const withoutReset: Sentence[] = [];
  const drift: DriftPoint[] = [];
  for (let i = 0; i < chain; i++) {
    const stateRms = rms(stepper.getState());
    const s = sampleSentence(stepper, vocab, b, options, rng);
    withoutReset.push(s);
    drift.push({ sentence: i + 1, totalVariation: totalVariation(freshP, s.first), klBits: klBits(freshP, s.first), stateRms, top: topSymbols(s.first, vocab, 3) });
  }
  const shown = withoutReset.slice(0, options.count);
  return {
    withReset: withReset.sentences,
    withoutReset: shown.map((s) => s.text),
    freshTop: topSymbols(freshP, vocab, 3),
    drift,
    endedWith: withReset.ended,
    endedWithout: shown.filter((s) => s.ended).length,
    ...boundaryWords(b),
    notes: boundaryNotes(b),
  };
}
