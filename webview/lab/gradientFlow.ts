/**
 * The gradient-flow card: ‖∂L_T/∂h_t‖ against t − T on a log scale for the model the Lab holds and
 * for fresh RNN, GRU and LSTM models of its size, on one line of the open file, so the student sees
 * how fast each cell forgets (the vanishing gradient of seed 003) and why the LSTM remembers.
 */
import type { LabAnswers } from '../../src/protocol/labs';
import { el } from '../shared/dom';
import { LogChart, type LogSeries } from '../shared/logChart';
import { cssVar } from '../shared/theme';
import { labCard } from './card';

type GradientFlow = LabAnswers['gradientFlow'];

/** Theme chart colours: the model first (blue), then the fresh RNN, GRU and LSTM. */
const palette: Array<[string, string]> = [
  ['--vscode-charts-blue', '#3794ff'], ['--vscode-charts-red', '#f14c4c'], ['--vscode-charts-orange', '#d18616'], ['--vscode-charts-green', '#89d185'],
];

/** Steps back until the norm falls below 1/100 of the last step's, or undefined when it never does. */
export function stepsToHundredth(norms: number[]): number | undefined {
  const last = norms[norms.length - 1];
  for (let k = norms.length - 2; k >= 0; k--) if (norms[k] < last / 100) return norms.length - 1 - k;
  return undefined;
}

function seriesOf(a: GradientFlow): LogSeries[] {
  const n = a.symbols;
  return a.curves.map((c, i) => ({
    label: c.label, color: palette[i % palette.length], width: c.trained ? 2.5 : 1.5,
    points: c.norms.map((v, k): [number, number] => [k - (n - 1), v]),
  }));
}

function legend(series: LogSeries[]): HTMLElement {
  return el('div', { class: 'legend' }, ...series.map((s) => {
    const swatch = el('span', { class: 'swatch' });
    swatch.style.borderColor = cssVar(s.color[0], s.color[1]);
    return el('span', { class: 'legend-item' }, swatch, s.label);
  }));
}

const sci = (x: number) => (x === 0 ? '0' : x.toExponential(1));
const reach = (norms: number[]) => {
  const k = stepsToHundredth(norms);
  return k === undefined ? `stays above 1/100 over all ${norms.length - 1} steps` : `falls to 1/100 within ${k} steps`;
};

export const gradientFlowCard = labCard({
  id: 'gradientFlow', kind: 'gradientFlow', order: 10, group: 'more', title: 'Gradient flow through time',
  intro: 'How strongly the loss at the end of a line still depends on the hidden state k steps earlier, ‖∂L_T/∂h_t‖ against t − T (log scale), for this model and for freshly initialised RNN, GRU and LSTM models of its size, on one line of the open file (computed exactly, in float64, by backpropagation).',
  inputs: [{ name: 'lineNumber', label: 'Line', type: 'number', value: '1', width: '5em' }],
  request: (v) => ({ kind: 'gradientFlow', line: '', lineNumber: Number.isFinite(Number(v.lineNumber)) && v.lineNumber.trim() !== '' ? Number(v.lineNumber) : 1 }),
  render(a) {
    const series = seriesOf(a);
    const canvas = el('canvas', { class: 'chart', role: 'img', 'aria-label': 'Gradient norm against steps back, log scale' });
    canvas.style.height = '240px';
    const readout = el('div', { class: 'chart-readout' }, '\u00a0');
    const chart = new LogChart(canvas, readout, {
      xLabel: 't − T (steps back from the loss)', yLabel: '‖∂L_T/∂h_t‖',
      describe: (s, [x, y]) => `${s.label}: ${sci(y)} at t − T = ${x}`,
    });
    chart.setSeries(series);
    const rows = a.curves.map((c) => `${c.label}: ×${c.perStep.toFixed(3)} per step back, ${reach(c.norms)}; ${sci(c.norms[0])} at the line's start`);
    const byLabel = (label: string) => a.curves.find((c) => c.label === label)!;
    const rnn = byLabel('fresh RNN');
    const lstm = byLabel('fresh LSTM');
    const model = a.curves[0];
    return {
      result: el('div', {},
        ...a.notes.map((n) => el('p', { class: 'card-note' }, n)),
        el('p', {}, `Line ${a.lineNumber}: ${a.symbols} symbols read, the loss is the prediction of “${a.target}” after the last.`),
        canvas, legend(series), readout,
        el('ul', {}, ...rows.map((r) => el('li', {}, r)))),
      explanation: `Backpropagation multiplies the gradient by one Jacobian per step back. In a plain RNN that is the recurrent kernel times tanh's slope, so the norm changes by a roughly constant factor per step and shrinks geometrically once the factor is below 1: the fresh RNN's is ${rnn.perStep.toFixed(3)}, so its gradient ${reach(rnn.norms)}. ` +
        `The LSTM's cell state is carried by the forget gate, c_t = f⊙c_{t−1} + i⊙g, a path with no squashing and no matrix product, so with the forget gate open the gradient reaches further back (the fresh LSTM: ×${lstm.perStep.toFixed(3)} per step; its forget bias starts at 1, f ≈ 0.73, and training can open it further). ` +
        `This model (${model.cell.toUpperCase()}, trained): ×${model.perStep.toFixed(3)} per step. Where a curve falls by many powers of ten, what happened that many steps earlier can no longer change the weights: the model cannot learn to use it.`,
      markdown: `### Gradient flow through time (line ${a.lineNumber}, ${a.symbols} symbols)\n\n${rows.map((r) => `- ${r}`).join('\n')}`,
    };
  },
});
