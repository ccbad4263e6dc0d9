/**
 * Surprisal: how many bits each character of a text costs the model, -log2 p(char | text before).
 * Computed in chunks that yield between them, so a trainer that is also training stays responsive
 * (and a newer request can cancel an older one). In lines mode each line is read on its own,
 * from the start symbol, as the model was trained.
 */
import type { Stepper } from '../backends/types';
import { feed, negLog2Softmax } from '../sample/distribution';
import { boundariesOf, type LabVocab } from './symbols';

export interface SurprisalOptions {
  /** Text before `text`, read first (its characters get no figure). */
  context: string;
  /** Read each line from a fresh state and the start symbol. */
  lines: boolean;
  /** Called every `chunk` characters; resolve to go on, return false to stop (the request was superseded). */
  pause?: () => Promise<boolean>;
  chunk?: number;
}

export interface SurprisalAnswer {
  /** Bits per code point of `text`; NaN where the character is not in the model's vocabulary. */
  bits: Float32Array;
  /** Mean bits over the known characters. */
  meanBits: number;
  /** Characters not in the vocabulary. */
  unknownCount: number;
  /** False when cancelled before the end. */
  complete: boolean;
}

export async function surprisal(stepper: Stepper, vocab: LabVocab, text: string, options: SurprisalOptions): Promise<SurprisalAnswer> {
  const b = boundariesOf(vocab);
  const ids = vocab.encode(text);
  const bits = new Float32Array(ids.length).fill(NaN);
  const chunk = options.chunk ?? 2000;
  const newline = vocab.symbols.indexOf('\n');
  const UNKNOWN_ID = vocab.unknownId;
  stepper.reset();
  let contextIds: number[] = [b.startId];
  if (!options.lines) {
    const before = vocab.encode(options.context);
    if (before.length) contextIds = Array.from(before);
  } else {
    const lineStart = options.context.lastIndexOf('\n') + 1;
    contextIds.push(...vocab.encode(options.context.slice(lineStart)));
  }
  let logits = feed(stepper, contextIds);
  const token = new Int32Array(1);
  let sum = 0;
  let known = 0;
  let unknownCount = 0;
  for (let i = 0; i < ids.length; i++) {
    if (i > 0 && i % chunk === 0 && options.pause && !(await options.pause())) {
      return { bits, meanBits: known ? sum / known : NaN, unknownCount, complete: false };
    }
    const id = ids[i];
    if (id === UNKNOWN_ID) unknownCount++;
    else {
      bits[i] = negLog2Softmax(logits, vocab.size, id);
      sum += bits[i];
      known++;
    }
    if (options.lines && id === newline) {
      stepper.reset();
      logits = feed(stepper, [b.startId]);
    } else {
      token[0] = id;
      logits = stepper.step(token);
    }
  }
  return { bits, meanBits: known ? sum / known : NaN, unknownCount, complete: true };
}
