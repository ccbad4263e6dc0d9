/** Q3 and Q5: sentences sampled from the start symbol to the end symbol, each from a reset state. */
import { clamp, type LabCard, type LabQuestion } from '../card';
import { sampleSentences, type SentencesAnswer } from '../sentences';

export interface SentencesRequest { kind: 'sentences'; count: number; temperature: number; maxLength: number }

/** The clamps Q3, Q4 and Q5 share: up to 20 sentences of up to 1000 symbols, temperature 0 to 2. */
export function clampSentences<K extends string>(kind: K, r: { count: number; temperature: number; maxLength: number }) {
  return { kind, count: clamp(r.count, 1, 20, 5), temperature: clamp(r.temperature, 0, 2, 0.8), maxLength: clamp(r.maxLength, 1, 1000, 200) };
}

export const sentencesQuestion: LabQuestion<SentencesRequest> = {
  kind: 'sentences',
  clamp: (r) => clampSentences('sentences', r),
};

export const sentencesCard: LabCard<SentencesRequest, { kind: 'sentences' } & SentencesAnswer> = {
  question: sentencesQuestion,
  answer: ({ kind: _kind, ...options }, { model, stepper }) => ({ kind: 'sentences', ...sampleSentences(stepper(), model.vocab, { ...options, seed: model.seed }) }),
};
