/** Neurons: one hidden unit of the top layer read along the open file, and the units most correlated with its features. */
import type { LabCard, LabQuestion } from '../card';
import { findNeurons, hiddenTrace, unitActivations, type FeatureUnits } from '../neurons';

/** Characters of the open file the Neurons card reads at most. */
export const neuronTextLimit = 3000;

/** `unit` < 0: find the units most correlated with the text's features and show the best. */
export interface NeuronsRequest { kind: 'neurons'; text: string; unit: number }
export interface NeuronsAnswer { kind: 'neurons'; text: string; unit: number; units: number; found: FeatureUnits[]; activations: number[] }

const round = (x: number, digits: number) => Number(x.toFixed(digits));

export const neuronsQuestion: LabQuestion<NeuronsRequest> = {
  kind: 'neurons',
  editorText: { read: 'document', card: 'Neurons', limit: neuronTextLimit },
  clamp: (r) => ({ kind: 'neurons', text: [...String(r.text ?? '')].slice(0, neuronTextLimit).join(''), unit: Math.round(r.unit) }),
};

export const neuronsCard: LabCard<NeuronsRequest, NeuronsAnswer> = {
  question: neuronsQuestion,
  answer({ text, unit: asked }, { model, stepper }) {
    if (text.trim() === '') return { kind: 'error', message: 'Give the Neurons card some text to read (the open file is used when there is one).' };
    const trace = hiddenTrace(stepper(), model.spec, model.vocab.encode(text));
    const found = findNeurons(trace, text, 3);
    let unit = asked;
    if (!(unit >= 0 && unit < trace.units)) {
      const best = found.flatMap((f) => f.units ?? []).sort((a, b) => Math.abs(b.r) - Math.abs(a.r))[0];
      unit = best?.unit ?? 0;
    }
    return {
      kind: 'neurons', text, unit, units: trace.units,
      found: found.map((f) => ({ ...f, units: f.units?.map((u) => ({ unit: u.unit, r: round(u.r, 3) })) })),
      activations: unitActivations(trace, unit).map((a) => round(a, 3)),
    };
  },
};
