/**
 * Answers one lab question on a model: finds its card (labs/registry.ts), clamps the request's
 * inputs and runs the card's computation with a stepper made for it, then disposed. Every failure
 * is a calm refusal the card can show.
 */
import type { Stepper } from '../backends/types';
import type { LabModel } from '../train/samples';
import type { LabCard, LabContext } from './card';
import { labCards, type LabAnswer, type LabRequest } from './registry';
import type { EpochClock } from './timing';

export function answerLabRequest(model: LabModel, clock: EpochClock | undefined, request: LabRequest): LabAnswer {
  const kind: unknown = request?.kind;
  if (typeof kind !== 'string' || !Object.prototype.hasOwnProperty.call(labCards, kind)) {
    return { kind: 'error', message: `There is no lab card "${String(kind)}" to answer.` };
  }
  // The tables pair each kind with its card, so the request fits the card it picked.
  const card = labCards[kind as LabRequest['kind']] as LabCard<LabRequest, Exclude<LabAnswer, { kind: 'error' }>>;
  let stepper: Stepper | undefined;
  const context: LabContext = { model, clock, stepper: () => (stepper ??= model.createStepper()) };
  try {
    return card.answer(card.question.clamp(request), context);
  } finally {
    stepper?.dispose();
  }
}
