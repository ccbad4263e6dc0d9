/**
 * Neurons: the hidden units of the top recurrent layer read along a text, as in Karpathy, Johnson
 * and Fei-Fei, "Visualizing and Understanding Recurrent Networks". Each unit's activation after
 * each character is correlated with simple properties of the text (inside quotes, position in the
 * line, inside brackets), so the Lab can point at the units that track them.
 */
import type { Stepper } from '../backends/types';
import { stateOffsetOfLayer, topHiddenSize, type ModelSpec } from '../model/spec';

export const neuronFeatureNames = ['quotes', 'linePosition', 'brackets'] as const;
export type NeuronFeature = (typeof neuronFeatureNames)[number];

export const neuronFeatureLabels: Record<NeuronFeature, string> = {
  quotes: 'inside quotes',
  linePosition: 'position in the line',
  brackets: 'inside brackets',
};

/** Per character of `text`: the value of each feature. */
export function textFeatures(text: string): Record<NeuronFeature, Float64Array> {
  const chars = [...text];
  const quotes = new Float64Array(chars.length);
  const linePosition = new Float64Array(chars.length);
  const brackets = new Float64Array(chars.length);
  let inQuote = false;
  let column = 0;
  let depth = 0;
  chars.forEach((c, i) => {
    if (c === '"' || c === '“' || c === '”') inQuote = c === '“' ? true : c === '”' ? false : !inQuote;
    if (c === '(' || c === '[' || c === '{') depth++;
    if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
    quotes[i] = inQuote ? 1 : 0;
    linePosition[i] = column;
    brackets[i] = depth > 0 ? 1 : 0;
    column = c === '\n' ? 0 : column + 1;
  });
  return { quotes, linePosition, brackets };
}

export interface HiddenTrace {
  /** Characters read (code points). */
  length: number;
  units: number;
  /** activations[t * units + u]: unit u after reading character t. */
  activations: Float32Array;
}

/** Reads `text` from a fresh state and keeps the top layer's hidden output h after each character. */
export function hiddenTrace(stepper: Stepper, spec: ModelSpec, ids: ArrayLike<number>): HiddenTrace {
  const H = topHiddenSize(spec);
  const offset = stateOffsetOfLayer(spec, spec.layers - 1);
  const activations = new Float32Array(ids.length * H);
  const token = new Int32Array(1);
  stepper.reset();
  for (let t = 0; t < ids.length; t++) {
    token[0] = ids[t];
    stepper.step(token);
    activations.set(stepper.getState().subarray(offset, offset + H), t * H);
  }
  return { length: ids.length, units: H, activations };
}

function correlation(x: Float64Array, trace: HiddenTrace, unit: number): number {
  const n = trace.length;
  let mx = 0, my = 0;
  for (let t = 0; t < n; t++) { mx += x[t]; my += trace.activations[t * trace.units + unit]; }
  mx /= n; my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let t = 0; t < n; t++) {
    const dx = x[t] - mx;
    const dy = trace.activations[t * trace.units + unit] - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

export interface UnitCorrelation {
  unit: number;
  /** Pearson correlation of the unit's activation with the feature. */
  r: number;
}

export interface FeatureUnits {
  feature: NeuronFeature;
  label: string;
  /** Undefined when the text never shows the feature (no quotes at all, say). */
  units?: UnitCorrelation[];
}

/** For each feature, the `top` units most correlated with it (by |r|). */
export function findNeurons(trace: HiddenTrace, text: string, top = 3): FeatureUnits[] {
  const features = textFeatures(text);
  return neuronFeatureNames.map((feature) => {
    const x = features[feature].subarray(0, trace.length);
    const varies = x.some((v) => v !== x[0]);
    if (!varies) return { feature, label: neuronFeatureLabels[feature] };
    const all: UnitCorrelation[] = [];
    for (let u = 0; u < trace.units; u++) all.push({ unit: u, r: correlation(x, trace, u) });
    all.sort((a, b) => Math.abs(b.r) - Math.abs(a.r));
    return { feature, label: neuronFeatureLabels[feature], units: all.slice(0, top) };
  });
}

/** One unit's activation after each character. */
export function unitActivations(trace: HiddenTrace, unit: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < trace.length; t++) out.push(trace.activations[t * trace.units + unit]);
  return out;
}
