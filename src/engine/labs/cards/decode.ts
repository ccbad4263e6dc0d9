/** Teacher-forced decode of one line (the open file's line `lineNumber` when `line` is empty). */
import { firstLine, type LabCard, type LabQuestion } from '../card';
import { teacherForcedDecode, type DecodeResult } from '../decode';

export interface DecodeRequest { kind: 'decode'; line: string; lineNumber: number }

export const decodeQuestion: LabQuestion<DecodeRequest> = {
  kind: 'decode',
  editorText: { read: 'line', card: 'decode' },
  clamp: (r) => ({ kind: 'decode', line: firstLine(r.line, 1000), lineNumber: r.lineNumber }),
};

export const decodeCard: LabCard<DecodeRequest, { kind: 'decode'; lineNumber: number } & DecodeResult> = {
  question: decodeQuestion,
  answer({ line, lineNumber }, { model, stepper }) {
    if (line.trim() === '') return { kind: 'error', message: 'That line is empty: pick a line of text to decode.' };
    return { kind: 'decode', lineNumber, ...teacherForcedDecode(stepper(), model.vocab, line) };
  },
};
