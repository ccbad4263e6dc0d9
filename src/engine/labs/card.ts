/**
 * What a lab card is on the engine's side: a question (its kind, how its inputs are clamped, what
 * text of the open file it reads) and the computation that answers it. The question part is light
 * data the extension host reads (it fills in the editor text); the answer runs in the trainer
 * process on the model it holds. Each card is one module of labs/cards/, listed once in
 * labs/registry.ts; the protocol's unions, the trainer's dispatch and the host's text fetching are
 * derived from that list, and the webview renders each kind (webview/lab/cards.ts).
 */
import type { Stepper } from '../backends/types';
import type { LabModel } from '../train/samples';
import type { EpochClock } from './timing';

/**
 * Text of the open file a card reads, which the host fills in before the request goes on (the
 * webview cannot read the editor). `card` names the card in the message when there is no file.
 */
export type EditorTextNeed<Q> =
  /** `line`, when empty, becomes line `lineNumber` of the open file. */
  Q extends { line: string; lineNumber: number } ? { read: 'line'; card: string }
    /** `text`, when empty, becomes the open file's first `limit` characters. */
    : Q extends { text: string } ? { read: 'document'; card: string; limit: number }
      : never;

/** The light half of a card: what the host and the trainer check before any computation. */
export interface LabQuestion<Q extends { kind: string }> {
  readonly kind: Q['kind'];
  readonly editorText?: EditorTextNeed<Q>;
  /** The request with its inputs clamped into range (values from a webview are not trusted). */
  clamp(request: Q): Q;
}

/** No answer: no model, bad input, or the trainer failed; `message` says which, calmly. */
export interface LabRefusal {
  kind: 'error';
  message: string;
}

/** What an answer may use besides its request. */
export interface LabContext {
  model: LabModel;
  /** The training time measured in this process; undefined when the model was not trained here. */
  clock: EpochClock | undefined;
  /** A stepper on the model for this answer (made on first use, disposed after the answer). */
  stepper(): Stepper;
}

export interface LabCard<Q extends { kind: string }, A extends { kind: string }> {
  readonly question: LabQuestion<Q>;
  /** Computes the answer to a clamped request. */
  answer(request: Q, context: LabContext): A | LabRefusal;
}

/** Clamps a number into [lo, hi]; `fallback` when it is not a finite number. */
export const clamp = (x: number, lo: number, hi: number, fallback: number) => (Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : fallback);

/** One line of untrusted text: its first line, at most `max` characters. */
export const firstLine = (text: unknown, max: number) => String(text ?? '').split('\n')[0].slice(0, max);
