/**
 * A model's layers as Keras' `model.summary()` lists them (seed 004): each layer with its output
 * shape and parameter count, and the total. Every size comes from the shared parameter layout
 * (`paramLayout`), so the summary is the layout the backends and the Keras files use, layer by
 * layer; the names are those `rnn-lab export` gives the layers in a Keras file.
 */
import { kerasCellNames } from './io/keras';
import { recurrentSizes } from './headline';
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
  return layout.byName.get(name)!;
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
