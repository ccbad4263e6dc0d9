/** ‖∂L_T/∂h_t‖ along one line (the open file's line `lineNumber` when `line` is empty), for the model and fresh RNN, GRU, LSTM. */
import { firstLine, type LabCard, type LabQuestion } from '../card';
import { gradientFlow, type GradientFlowAnswer } from '../gradientFlow';

export interface GradientFlowRequest { kind: 'gradientFlow'; line: string; lineNumber: number }

export const gradientFlowQuestion: LabQuestion<GradientFlowRequest> = {
  kind: 'gradientFlow',
  editorText: { read: 'line', card: 'gradient flow' },
  clamp: (r) => ({ kind: 'gradientFlow', line: firstLine(r.line, 1000), lineNumber: r.lineNumber }),
};

export const gradientFlowCard: LabCard<GradientFlowRequest, { kind: 'gradientFlow'; lineNumber: number } & GradientFlowAnswer> = {
  question: gradientFlowQuestion,
  answer({ line, lineNumber }, { model }) {
    if (model.vocab.encode(line).length + (model.vocab.startId >= 0 ? 1 : 0) < 2) {
      return { kind: 'error', message: 'That line is too short: pick a line of at least two symbols to follow the gradient back through.' };
    }
    return { kind: 'gradientFlow', lineNumber, ...gradientFlow(model.spec, model.params, model.vocab, line, model.seed) };
  },
};
