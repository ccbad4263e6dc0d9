/**
 * Lab questions: what a card asks the model the trainer holds (see src/engine/labs), and the
 * answer it gets. The same request and answer travel webview -> host -> trainer and back.
 *
 * Dependency-free (type-only imports of the answers' shapes, declared next to their computations).
 */
import type { DecodeResult } from '../engine/labs/decode';
import type { GradientFlowAnswer } from '../engine/labs/gradientFlow';
import type {
  FeatureUnits, FirstSymbolsAnswer, HardwareInfo, ResetStateAnswer, SentencesAnswer, TemperatureAnswer, TimingReport,
} from '../engine/labs';

/** Characters of the open file the Neurons card reads at most. */
export const neuronTextLimit = 3000;

/** A lab question put to the model the trainer holds (see src/engine/labs). */
export type LabRequest =
  | { kind: 'timing' }
  | { kind: 'firstSymbols'; prefix: string; top: number }
  | { kind: 'sentences'; count: number; temperature: number; maxLength: number }
  | { kind: 'resetState'; count: number; temperature: number; maxLength: number }
  | { kind: 'temperatures'; prime: string; length: number }
  /** `unit` < 0: find the units most correlated with the text's features and show the best. */
  | { kind: 'neurons'; text: string; unit: number }
  /** Teacher-forced decode of one line (the open file's line `lineNumber` when `line` is empty). */
  | { kind: 'decode'; line: string; lineNumber: number }
  /** ‖∂L_T/∂h_t‖ along one line (the open file's line `lineNumber` when `line` is empty), for the model and fresh RNN, GRU, LSTM. */
  | { kind: 'gradientFlow'; line: string; lineNumber: number };

export type LabAnswer =
  | { kind: 'timing'; timing: TimingReport; hardware: HardwareInfo }
  | ({ kind: 'firstSymbols' } & FirstSymbolsAnswer)
  | ({ kind: 'sentences' } & SentencesAnswer)
  | ({ kind: 'resetState' } & ResetStateAnswer)
  | ({ kind: 'temperatures' } & TemperatureAnswer)
  | { kind: 'neurons'; text: string; unit: number; units: number; found: FeatureUnits[]; activations: number[] }
  | ({ kind: 'decode'; lineNumber: number } & DecodeResult)
  | ({ kind: 'gradientFlow'; lineNumber: number } & GradientFlowAnswer)
  /** No answer: no model, bad input, or the trainer failed; `message` says which, calmly. */
  | { kind: 'error'; message: string };
