/**
 * The global gradient norm of each training step (before clipping), on a log scale under the loss
 * chart, folded away until opened: a norm that climbs by orders of magnitude warns of an exploding
 * gradient (what clipping is for), one that collapses of a vanishing one.
 */
import type { StepMetrics } from '../../src/protocol/messages';
import { el, setText } from '../shared/dom';
import { formatInt } from '../shared/format';
import { LogChart } from '../shared/logChart';

export interface GradNormView {
  node: HTMLElement;
  update(steps: StepMetrics[], clipNorm: number | undefined): void;
}

export function buildGradNormChart(): GradNormView {
  const canvas = el('canvas', { class: 'chart', role: 'img', 'aria-label': 'Global gradient norm by step, log scale' });
  canvas.style.height = '160px';
  const readout = el('div', { class: 'chart-readout' }, '\u00a0');
  const note = el('p', { class: 'card-note' });
  const chart = new LogChart(canvas, readout, {
    xLabel: 'step', yLabel: 'gradient norm',
    describe: (s, [x, y]) => (s.label === 'clip' ? `clip at ${y}` : `step ${formatInt(x)}: gradient norm ${y.toPrecision(3)}`),
  });
  const details = el('details', { class: 'grad-norm' }, el('summary', {}, 'Gradient norm per step (log scale)'), note, canvas, readout);
  let shown: StepMetrics[] | undefined;
  return {
    node: details,
    update(steps, clipNorm) {
      if (steps === shown) return;
      shown = steps;
      const points = steps.filter((s) => s.gradNorm > 0).map((s): [number, number] => [s.step, s.gradNorm]);
      setText(note, points.length === 0
        ? 'No gradient norms yet: they are measured at each training step (a run restored from its checkpoint did not record them).'
        : `The global norm of all gradients at each step, before clipping${clipNorm ? `; the dashed level is the clip norm ${clipNorm}, above which a step is scaled down` : ''}.`);
      const series = [{ label: 'gradient norm', color: ['--vscode-charts-purple', '#b180d7'] as [string, string], points }];
      if (clipNorm && points.length > 0) series.push({ label: 'clip', color: ['--vscode-charts-red', '#f14c4c'], points: [[points[0][0], clipNorm], [points[points.length - 1][0], clipNorm]] });
      chart.setSeries(series);
    },
  };
}
