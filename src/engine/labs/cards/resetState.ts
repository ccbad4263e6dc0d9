/** Q4: sentences with and without resetting the state between them, and how far the carried state drifts. */
import type { LabCard, LabQuestion } from '../card';
import { resetStateExperiment, type ResetStateAnswer } from '../sentences';
import { clampSentences } from './sentences';

export interface ResetStateRequest { kind: 'resetState'; count: number; temperature: number; maxLength: number }

export const resetStateQuestion: LabQuestion<ResetStateRequest> = {
  kind: 'resetState',
  clamp: (r) => clampSentences('resetState', r),
};

export const resetStateCard: LabCard<ResetStateRequest, { kind: 'resetState' } & ResetStateAnswer> = {
  question: resetStateQuestion,
  answer: ({ kind: _kind, ...options }, { model, stepper }) => ({ kind: 'resetState', ...resetStateExperiment(stepper(), model.vocab, { ...options, seed: model.seed }) }),
};
