/**
 * Lab questions: what a card asks the model the trainer holds, and the answer it gets. The same
 * request and answer travel webview -> host -> trainer and back. Both unions, and the map from a
 * request's kind to its answer, are derived from the engine's card list (engine/labs/registry.ts):
 * a new card changes none of this file.
 */
export type { LabAnswer, LabAnswerFor, LabAnswers, LabKind, LabRequest, LabRequestFor } from '../engine/labs/registry';
export { neuronTextLimit } from '../engine/labs/cards/neurons';
