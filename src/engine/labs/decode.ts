/**
 * Teacher-forced decoding (seed 004, section 4): feed a line the model knows, one symbol at a time
 * from a zero state (after the start symbol when the model has one, else after a newline, so the
 * line's first symbol is predicted too), and take the most probable
 * next symbol at every position. Each prediction sees the true text before it, never the model's
 * own guesses, so it shows what the model has learned position by position.
 */
import type { Stepper } from '../backends/types';
import type { Tokenizer } from '../data/tokenizer';
import { softmax } from '../sample/sampler';

export interface DecodeStep {
  /** The symbol fed at this position. */
  input: string;
  /** The most probable next symbol, and its probability. */
  predicted: string;
  p: number;
  /** The symbol that really comes next (the end symbol after the line), or undefined after the last one. */
  target?: string;
  /** Probability the model gave the true next symbol. */
  pTarget?: number;
}

export interface DecodeResult {
  line: string;
  steps: DecodeStep[];
  /** Positions with a target, and how many the argmax got right. */
  total: number;
  correct: number;
  /** What goes between two symbols written side by side: a space between words, nothing between characters. */
  separator: string;
}

export function teacherForcedDecode(stepper: Stepper, tokenizer: Tokenizer, line: string): DecodeResult {
  if (stepper.batchSize !== 1) throw new RangeError('decoding needs a stepper with batch size 1');
  const text = Array.from(tokenizer.encode(line));
  const framed = tokenizer.startId >= 0 && tokenizer.endId >= 0;
  // A stream model learned lines as what follows a newline: reading one first lets it predict c1 too.
  const newline = tokenizer.kind === 'char' ? tokenizer.idOf('\n') : tokenizer.unknownId;
  const lead = framed ? tokenizer.startId : newline !== tokenizer.unknownId ? newline : undefined;
  // Framed (as in the seed): inputs S c1 .. cn, targets c1 .. cn E. After a newline: inputs ⏎ c1 .. cn,
  // targets c1 .. cn, nothing. With neither: c1 .. cn, targets c2 .. cn.
  const inputs = lead !== undefined ? [lead, ...text] : text;
  const targets: Array<number | undefined> = framed ? [...text, tokenizer.endId] : lead !== undefined ? [...text, undefined] : [...text.slice(1), undefined];
  const V = tokenizer.size;
  const p = new Float64Array(V);
  const token = new Int32Array(1);
  stepper.reset();
  const steps: DecodeStep[] = [];
  let correct = 0;
  let total = 0;
  inputs.forEach((id, t) => {
    token[0] = id;
    softmax(stepper.step(token), 0, V, p);
    let best = 0;
    for (let k = 1; k < V; k++) if (p[k] > p[best]) best = k;
    const target = targets[t];
    const step: DecodeStep = { input: tokenizer.symbolOf(id), predicted: tokenizer.symbolOf(best), p: p[best] };
    if (target !== undefined) {
      step.target = tokenizer.symbolOf(target);
      step.pTarget = p[target];
      total++;
      if (best === target) correct++;
    }
    steps.push(step);
  });
  return { line, steps, total, correct, separator: tokenizer.kind === 'word' ? ' ' : '' };
}
