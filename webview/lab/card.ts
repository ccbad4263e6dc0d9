/**
 * What a lab card is in the webview: its inputs, the request they make, and how its answer is
 * rendered, with an `order` that places it in the panel. One render per card; the engine's side of
 * the card (its question and computation) is in src/engine/labs/cards/. A card of kind K renders
 * only answers of kind K: `labCard` checks the kind once, so no render casts its answer.
 */
import type { LabAnswer, LabAnswers, LabKind, LabRequest, LabRequestFor } from '../../src/protocol/labs';

export interface Rendered {
  result: Node;
  /** What the student sees and why, with this answer's numbers. */
  explanation: string;
  markdown: string;
}

export interface InputSpec {
  name: string;
  label: string;
  type: 'text' | 'number';
  value: string;
  placeholder?: string;
  width?: string;
}

/** Where a card sits: its group's heading, and its rank in the panel (smaller first). */
export interface Placement {
  order: number;
  group: 'questions' | 'more';
}

export interface CardSpec<K extends LabKind> extends Placement {
  /** The card's id in the page (`data-card`), unique. */
  id: string;
  /** The lab question it asks (several cards may ask the same one, as Q3 and Q5 do). */
  kind: K;
  title: string;
  /** What the card answers, shown before it has run. */
  intro: string;
  inputs: InputSpec[];
  request(values: Record<string, string>): LabRequestFor<K>;
  render(answer: LabAnswers[K], values: Record<string, string>): Rendered;
  /** More buttons beside Run (a command the card needs, such as Open model…). */
  extra?: () => HTMLElement[];
}

/** A card whose render takes any answer that is not a refusal, and checks that it is of its kind. */
export interface LabCardView extends Omit<CardSpec<LabKind>, 'render' | 'request'> {
  request(values: Record<string, string>): LabRequest;
  render(answer: Exclude<LabAnswer, { kind: 'error' }>, values: Record<string, string>): Rendered;
}

export function labCard<K extends LabKind>(spec: CardSpec<K>): LabCardView & { kind: K } {
  return {
    ...spec,
    render(answer, values) {
      if (answer.kind !== spec.kind) throw new Error(`a ${answer.kind} answer reached the ${spec.title} card`);
      return spec.render(answer as LabAnswers[K], values);
    },
  };
}
