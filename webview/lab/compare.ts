/**
 * Compare runs: this workspace's runs (read by the host from their checkpoints) with their loss
 * and validation curves overlaid. Drawn with uPlot: a maintained canvas chart library of about
 * 50 KB that needs no `unsafe-eval` (so it runs under the panel's strict CSP) and already has
 * drag-to-zoom, log scales, aligned multi-series data and a cursor legend; the live chart above
 * stays the small hand-written one.
 */
import uPlot from 'uplot';
import type { RunCurves } from '../../src/protocol/messages';
import { debiasedEma, xOf, type XAxis } from '../shared/curves';
import { el, setText, withStyle } from '../shared/dom';
import { bitsAxisLabel, formatLoss, natsToBits } from '../shared/format';
import { postToHost } from '../shared/vscodeApi';

const palette = ['#3794ff', '#d18616', '#89d185', '#f14c4c', '#b180d7', '#4ec9b0', '#cca700', '#e06c75'];

let runs: RunCurves[] = [];
const selected = new Set<string>();
let plot: uPlot | undefined;

const list = el('div', { class: 'run-list' });
const note = el('p', { class: 'card-note' });
const smoothing = el('input', { type: 'range', min: '0', max: '0.99', step: '0.01', value: '0.6', 'aria-label': 'Smoothing', 'data-input': 'smoothing' });
const smoothingValue = el('span', {}, '0.60');
const logY = el('input', { type: 'checkbox', 'data-input': 'logY' });
const xAxis = el('select', { 'data-input': 'xAxis' }, el('option', { value: 'step' }, 'step'), el('option', { value: 'epoch' }, 'epoch'), el('option', { value: 'wall' }, 'wall time (s)'));
const refresh = el('button', { class: 'run secondary' }, 'Refresh runs');
const chartBox = el('div', { class: 'compare-chart', role: 'img', 'aria-label': 'Loss and validation curves of the selected runs' });
const summary = el('p', { class: 'compare-summary' });

refresh.addEventListener('click', () => { setText(note, 'Reading the checkpoints…'); postToHost('listRuns', {}); });
smoothing.addEventListener('input', () => { setText(smoothingValue, Number(smoothing.value).toFixed(2)); draw(); });
logY.addEventListener('change', draw);
xAxis.addEventListener('change', draw);

export function buildCompareCard(): HTMLElement {
  return el('section', { class: 'lab-card', 'data-card': 'compare' },
    el('h3', {}, 'Compare runs'),
    el('div', { class: 'card-inputs' },
      el('label', {}, 'Smoothing ', smoothing, smoothingValue),
      el('label', {}, logY, ' log y'),
      el('label', {}, 'x ', xAxis),
      refresh),
    note, list, chartBox, summary,
    el('p', { class: 'card-explanation' }, 'Solid lines: training loss (smoothed with a debiased moving average, as TensorBoard does); dashed: validation loss, in bits per symbol (bits/char, or bits/word for a word-level run). Drag across the chart to zoom, double-click to zoom out. Runs are read from the checkpoints in this workspace\'s .rnnlab folder; when a file is trained again, the earlier run\'s curves are kept there too (in runs/).'));
}

export function onRuns(found: RunCurves[], why?: string, select?: string[]): void {
  runs = found;
  if (select && select.some((id) => runs.some((r) => r.id === id))) {
    selected.clear();
    for (const id of select) selected.add(id);
    list.closest('section')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  } else if (selected.size === 0 || ![...selected].some((id) => runs.some((r) => r.id === id))) {
    selected.clear();
    for (const r of runs.slice(0, 4)) selected.add(r.id);
  }
  setText(note, why ?? (runs.length ? `${runs.length} run${runs.length === 1 ? '' : 's'} in this workspace.` : 'No runs yet.'));
  list.replaceChildren(...runs.map((r, i) => {
    const box = el('input', { type: 'checkbox', 'data-run': r.name });
    box.checked = selected.has(r.id);
    box.addEventListener('change', () => { if (box.checked) selected.add(r.id); else selected.delete(r.id); draw(); });
    return el('label', { class: 'run-choice' }, box, withStyle(el('span', { class: 'swatch-box' }), { backgroundColor: palette[i % palette.length] }),
      ` ${r.name} · ${r.step} steps · best val ${formatLoss(r.bestValLoss, r.tokens)} · ${r.createdAt.slice(0, 16).replace('T', ' ')}`);
  }));
  draw();
}

function draw(): void {
  const axis = xAxis.value as XAxis;
  const w = Number(smoothing.value);
  const tables: uPlot.AlignedData[] = [];
  const series: uPlot.Series[] = [{ label: axis }];
  const missing: string[] = [];
  const units: Array<RunCurves['tokens']> = [];
  runs.forEach((run, i) => {
    if (!selected.has(run.id)) return;
    units.push(run.tokens);
    const colour = palette[i % palette.length];
    const train = run.train.map((p) => [xOf(run, p, axis), p.loss] as const).filter((p): p is readonly [number, number] => p[0] !== undefined);
    const val = run.val.map((p) => [xOf(run, p, axis), p.valLoss] as const).filter((p): p is readonly [number, number] => p[0] !== undefined);
    if (train.length === 0 && val.length === 0) { missing.push(run.name); return; }
    tables.push([train.map((p) => p[0]), debiasedEma(train.map((p) => natsToBits(p[1])), w)]);
    series.push({ label: `${run.name} train`, stroke: colour, width: 1.5, spanGaps: true });
    tables.push([val.map((p) => p[0]), val.map((p) => natsToBits(p[1]))]);
    series.push({ label: `${run.name} val`, stroke: colour, width: 2, dash: [6, 4], spanGaps: true, points: { show: true, size: 4 } });
  });
  plot?.destroy();
  plot = undefined;
  setText(summary, missing.length ? `No ${axis === 'wall' ? 'wall-time' : axis} data in: ${missing.join(', ')} (older checkpoints).` : '');
  if (tables.length === 0) { chartBox.replaceChildren(el('p', { class: 'empty' }, 'Select runs to compare.')); return; }
  chartBox.replaceChildren();
  const style = getComputedStyle(document.body);
  const fg = style.getPropertyValue('--vscode-foreground').trim() || '#ccc';
  const grid = style.getPropertyValue('--vscode-widget-border').trim() || 'rgba(128,128,128,0.25)';
  const data = uPlot.join(tables);
  plot = new uPlot({
    width: Math.max(320, chartBox.clientWidth || 640),
    height: 300,
    series,
    scales: { x: { time: false }, y: { distr: logY.checked ? 3 : 1 } },
    axes: [
      { stroke: fg, grid: { stroke: grid, width: 1 }, label: axis === 'wall' ? 'seconds' : axis },
      { stroke: fg, grid: { stroke: grid, width: 1 }, label: bitsAxisLabel(units) },
    ],
    cursor: { drag: { x: true, y: false } },
    legend: { show: true },
  }, data, chartBox);
}

window.addEventListener('resize', () => { if (plot) plot.setSize({ width: Math.max(320, chartBox.clientWidth), height: 300 }); });
