/**
 * The model in one line for the Lab ("LSTM 2×256, 870,464 parameters — details: rnn-lab summary"),
 * its sizes read from the shared parameter layout. Kept apart from summary.ts (which names layers
 * as the Keras writer does) so the webview bundles only the layout.
 */
import { paramLayout, type CellType, type ModelSpec, type ParamLayout } from './spec';

const cellNames: Record<CellType, string> = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' };

/** The hidden size of each recurrent layer, read from the layout (the rows of its recurrent kernel). */
export function recurrentSizes(spec: ModelSpec, layout: ParamLayout = paramLayout(spec)): number[] {
  const sizes: number[] = [];
  for (let l = 0; layout.byName.has(`l${l}.recurrent_kernel`); l++) sizes.push(layout.byName.get(`l${l}.recurrent_kernel`)!.shape[0]);
  return sizes;
}

export function modelHeadline(spec: ModelSpec): string {
  const layout = paramLayout(spec);
  const sizes = recurrentSizes(spec, layout);
  const stack = sizes.every((h) => h === sizes[0]) ? (sizes.length > 1 ? `${sizes.length}×${sizes[0]}` : String(sizes[0])) : sizes.join('–');
  const dense = layout.byName.get('dense.kernel');
  const embedding = layout.byName.get('embedding');
  return `${cellNames[spec.cell]} ${stack}${dense ? ` + Dense ${dense.shape[1]}` : ''}${embedding ? `, embedding ${embedding.shape[1]}` : ''}, ` +
    `${layout.total.toLocaleString('en-US')} parameters — details: rnn-lab summary`;
}
