/** The temperature explorer: one prime continued at several temperatures. */
import { clamp, type LabCard, type LabQuestion } from '../card';
import { temperatureExplorer, type TemperatureAnswer } from '../temperature';

export interface TemperaturesRequest { kind: 'temperatures'; prime: string; length: number }

export const temperaturesQuestion: LabQuestion<TemperaturesRequest> = {
  kind: 'temperatures',
  clamp: (r) => ({ kind: 'temperatures', prime: String(r.prime ?? '').slice(0, 2000), length: clamp(r.length, 1, 1000, 120) }),
};

export const temperaturesCard: LabCard<TemperaturesRequest, { kind: 'temperatures' } & TemperatureAnswer> = {
  question: temperaturesQuestion,
  answer: (r, { model, stepper }) => ({ kind: 'temperatures', ...temperatureExplorer(stepper(), model.vocab, { prime: r.prime, length: r.length, seed: model.seed }) }),
};
