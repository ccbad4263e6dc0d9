/**
 * A model's layers as Keras' `model.summary()` lists them (seed 004): each layer with its output
 * shape and parameter count, and the total. Every size comes from the shared parameter layout
 * (`paramLayout`), so the summary is the layout the backends and the Keras files use, layer by
 * layer; the names are those `rnn-lab export` gives the layers in a Keras file.
 */
import { kerasCellNames } from './io/keras';
import { paramLayout, type ModelSpec, type ParamLayout } from './spec';

export interface SummaryRow {
  /** Keras' layer name: embedding, lstm, lstm_1, dense, dense_1. */
  name: string;
  /** Keras' class: Embedding, LSTM, GRU, SimpleRNN, Dense. */
  type: string;
  /** (batch, time, units); null is Keras' None (any size). */
  outputShape: Array<number | null>;
  params: number;
}

export interface ModelSummary {
  rows: SummaryRow[];
  total: number;
}

const numbered = (base: string, i: number) => (i === 0 ? base : `${base}_${i}`);

/** Sum of the sizes of the layout's tensors whose names start with `prefix` (`l0.`, `dense.`). */
function sizeOf(layout: ParamLayout, prefix: string): number {
  return layout.slots.filter((s) => s.name.startsWith(prefix)).reduce((a, s) => a + s.size, 0);
}

function slot(layout: ParamLayout, name: string) {
  const found = layout.byName.get(name);
  if (!found) throw new Error(`the parameter layout has no ${name}`);
  return found;
}

/** The hidden size of each recurrent layer, read from the layout (the rows of its recurrent kernel). */
export function recurrentSizes(spec: ModelSpec, layout = paramLayout(spec)): number[] {
  const sizes: number[] = [];
  for (let l = 0; layout.byName.has(`l${l}.recurrent_kernel`); l++) sizes.push(slot(layout, `l${l}.recurrent_kernel`).shape[0]);
  return sizes;
}

export function modelSummary(spec: ModelSpec): ModelSummary {
  const layout = paramLayout(spec);
  const rows: SummaryRow[] = [];
  if (layout.byName.has('embedding')) {
    rows.push({ name: 'embedding', type: 'Embedding', outputShape: [null, null, slot(layout, 'embedding').shape[1]], params: sizeOf(layout, 'embedding') });
  }
  const names = kerasCellNames[spec.cell];
  recurrentSizes(spec, layout).forEach((units, l) => {
    rows.push({ name: numbered(names.layer, l), type: names.cls, outputShape: [null, null, units], params: sizeOf(layout, `l${l}.`) });
  });
  let dense = 0;
  for (const prefix of ['dense', 'output']) {
    if (!layout.byName.has(`${prefix}.kernel`)) continue;
    rows.push({ name: numbered('dense', dense++), type: 'Dense', outputShape: [null, null, slot(layout, `${prefix}.kernel`).shape[1]], params: sizeOf(layout, `${prefix}.`) });
  }
  return { rows, total: layout.total };
}

const int = (n: number) => n.toLocaleString('en-US');
const shapeText = (shape: Array<number | null>) => `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')})`;

/** The summary as Keras prints it: a table of layers, then the parameter totals. */
export function formatSummary(summary: ModelSummary, title = 'sequential'): string {
  const rule = (c: string) => c.repeat(65);
  const row = (a: string, b: string, c: string) => ` ${a.padEnd(28)}${b.padEnd(26)}${c}`.trimEnd();
  const lines = [`Model: "${title}"`, rule('_'), row('Layer (type)', 'Output Shape', 'Param #'), rule('=')];
  summary.rows.forEach((r, i) => {
    lines.push(row(`${r.name} (${r.type})`, shapeText(r.outputShape), String(r.params)));
    lines.push(i === summary.rows.length - 1 ? rule('=') : '');
  });
  lines.push(`Total params: ${int(summary.total)}`, `Trainable params: ${int(summary.total)}`, 'Non-trainable params: 0', rule('_'));
  return lines.join('\n') + '\n';
}

/** One line for the Lab: "LSTM 2×256, 870,464 parameters — details: rnn-lab summary". */
export function modelHeadline(spec: ModelSpec): string {
  const layout = paramLayout(spec);
  const sizes = recurrentSizes(spec, layout);
  const stack = sizes.every((h) => h === sizes[0]) ? (sizes.length > 1 ? `${sizes.length}×${sizes[0]}` : String(sizes[0])) : sizes.join('–');
  const dense = layout.byName.has('dense.kernel') ? ` + Dense ${slot(layout, 'dense.kernel').shape[1]}` : '';
  return `${kerasCellNames[spec.cell].cls === 'SimpleRNN' ? 'RNN' : kerasCellNames[spec.cell].cls} ${stack}${dense}, ${int(layout.total)} parameters — details: rnn-lab summary`;
}
