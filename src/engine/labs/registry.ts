/**
 * The lab cards, listed once. `labQuestions` is the light half every party may import (the host
 * reads which editor text a card needs from it); `labCards` adds each card's computation and is
 * imported by the trainer only, so the extension host's bundle stays free of the engine's maths.
 * The protocol's request and answer unions are derived from these two tables.
 *
 * A new card: one module in labs/cards/ (its request, answer, question and card), one line in
 * each table below (the compiler asks for the second), and one render in webview/lab/cards.ts.
 */
import type { LabCard, LabQuestion, LabRefusal } from './card';
import { decodeCard, decodeQuestion } from './cards/decode';
import { firstSymbolsCard, firstSymbolsQuestion } from './cards/firstSymbols';
import { gradientFlowCard, gradientFlowQuestion } from './cards/gradientFlow';
import { neuronsCard, neuronsQuestion } from './cards/neurons';
import { resetStateCard, resetStateQuestion } from './cards/resetState';
import { sentencesCard, sentencesQuestion } from './cards/sentences';
import { temperaturesCard, temperaturesQuestion } from './cards/temperatures';
import { timingCard, timingQuestion } from './cards/timing';

export const labQuestions = [
  timingQuestion, firstSymbolsQuestion, sentencesQuestion, resetStateQuestion, temperaturesQuestion, neuronsQuestion, decodeQuestion, gradientFlowQuestion,
] as const;

type RequestOfQuestion<T> = T extends LabQuestion<infer Q> ? Q : never;

/** Every lab question a card may ask. */
export type LabRequest = RequestOfQuestion<(typeof labQuestions)[number]>;
export type LabKind = LabRequest['kind'];
export type LabRequestFor<K extends LabKind> = Extract<LabRequest, { kind: K }>;

/** Each kind's card: the compiler asks for one per question, and for nothing else. */
export const labCards = {
  timing: timingCard, firstSymbols: firstSymbolsCard, sentences: sentencesCard, resetState: resetStateCard, temperatures: temperaturesCard,
  neurons: neuronsCard, decode: decodeCard, gradientFlow: gradientFlowCard,
} satisfies { [K in LabKind]: LabCard<LabRequestFor<K>, { kind: K }> };

type AnswerOfCard<C> = C extends LabCard<infer _Q, infer A> ? A : never;

/** The answer to each kind of question: the map from request kind to answer type. */
export type LabAnswers = { [K in LabKind]: AnswerOfCard<(typeof labCards)[K]> };
/** An answer, or a calm refusal (no model, bad input, the trainer failed). */
export type LabAnswer = LabAnswers[LabKind] | LabRefusal;
/** What a request of kind `K` gets back. */
export type LabAnswerFor<K extends LabKind> = LabAnswers[K] | LabRefusal;

/** The question of a kind, or undefined for a kind no card asks (a request from elsewhere). */
export function labQuestionOf(kind: unknown): LabQuestion<LabRequest> | undefined {
  return labQuestions.find((q) => q.kind === kind) as LabQuestion<LabRequest> | undefined;
}
