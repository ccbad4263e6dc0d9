/** Q2: the most probable first symbols of a sentence, after the start symbol or a typed prefix. */
import { clamp, type LabCard, type LabQuestion } from '../card';
import { topFirstSymbols, type FirstSymbolsAnswer } from '../firstSymbols';

export interface FirstSymbolsRequest { kind: 'firstSymbols'; prefix: string; top: number }

export const firstSymbolsQuestion: LabQuestion<FirstSymbolsRequest> = {
  kind: 'firstSymbols',
  clamp: (r) => ({ kind: 'firstSymbols', prefix: String(r.prefix ?? '').slice(0, 500), top: clamp(r.top, 1, 50, 10) }),
};

export const firstSymbolsCard: LabCard<FirstSymbolsRequest, { kind: 'firstSymbols' } & FirstSymbolsAnswer> = {
  question: firstSymbolsQuestion,
  answer: (r, { model, stepper }) => ({ kind: 'firstSymbols', ...topFirstSymbols(stepper(), model.vocab, r.prefix, r.top) }),
};
