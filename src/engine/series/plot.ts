/**
 * The lab's three plots as one SVG document: the loss curves (train and validation MSE, log scale,
 * through gradient descent then the quasi-Newton iterations), the predictions against the data with
 * the training and validation parts marked, and the free-running continuation against the true
 * continuation. Colours are presentation attributes, so the file stands alone; every element also
 * has a class, so a stylesheet (the Lab panel's, with the editor theme's colours) can restyle it.
 */
import type { SeriesLabResult, SeriesReport } from './lab';

const WIDTH = 900;
const PANEL = 260;
const GAP = 24;
const M = { left: 64, right: 16, top: 34, bottom: 34 };

const colors = {
  text: '#444444', grid: '#d0d0d0', data: '#3794ff', prediction: '#d18616', train: '#3794ff', val: '#d18616', region: '#f14c4c',
};

interface Frame {
  x0: number; x1: number; y0: number; y1: number;
  sx(v: number): number;
  sy(v: number): number;
}

function frame(top: number, xMin: number, xMax: number, yMin: number, yMax: number, log = false): Frame {
  const x0 = M.left, x1 = WIDTH - M.right, y0 = top + M.top, y1 = top + PANEL - M.bottom;
  const ly = (v: number) => (log ? Math.log10(v) : v);
  const [a, b] = [ly(yMin), ly(yMax)];
  const span = b - a || 1;
  return {
    x0, x1, y0, y1,
    sx: (v) => x0 + ((v - xMin) / (xMax - xMin || 1)) * (x1 - x0),
    sy: (v) => y1 - ((ly(v) - a) / span) * (y1 - y0),
  };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(+v.toPrecision(3)));

function path(points: Array<[number, number]>, cls: string, color: string, dashed = false): string {
  const finite = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (finite.length === 0) return '';
  const d = finite.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
  return `<path class="${cls}" d="${d}" fill="none" stroke="${color}" stroke-width="1.5"${dashed ? ' stroke-dasharray="4 3"' : ''}/>`;
}

function text(x: number, y: number, s: string, cls = 'label', anchor = 'start'): string {
  return `<text class="${cls}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}" fill="${colors.text}" font-size="11">${esc(s)}</text>`;
}

function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function axes(f: Frame, title: string, xTicks: Array<[number, string]>, yTicks: Array<[number, string]>, xLabel: string): string {
  const parts = [`<text class="title" x="${f.x0}" y="${(f.y0 - 12).toFixed(1)}" fill="${colors.text}" font-size="13" font-weight="bold">${esc(title)}</text>`];
  for (const [y, label] of yTicks) {
    parts.push(`<line class="grid" x1="${f.x0}" x2="${f.x1}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="${colors.grid}" stroke-width="0.5"/>`);
    parts.push(text(f.x0 - 6, y + 4, label, 'tick', 'end'));
  }
  for (const [x, label] of xTicks) parts.push(text(x, f.y1 + 14, label, 'tick', 'middle'));
  parts.push(`<rect class="axis" x="${f.x0}" y="${f.y0}" width="${f.x1 - f.x0}" height="${f.y1 - f.y0}" fill="none" stroke="${colors.grid}"/>`);
  parts.push(text((f.x0 + f.x1) / 2, f.y1 + 28, xLabel, 'label', 'middle'));
  return parts.join('');
}

function legend(f: Frame, items: Array<[string, string, string, boolean?]>): string {
  let x = f.x1;
  const parts: string[] = [];
  for (const [label, cls, color, dashed] of [...items].reverse()) {
    x -= 6 * label.length + 30;
    parts.push(`<line class="${cls}" x1="${x}" x2="${x + 18}" y1="${f.y0 - 16}" y2="${f.y0 - 16}" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
    parts.push(text(x + 22, f.y0 - 12, label));
  }
  return parts.join('');
}

/** Loss curves: one x position per report, gradient descent then the quasi-Newton phase. */
export function lossPanel(reports: SeriesReport[], top = 0): string {
  const values = reports.flatMap((r) => [r.trainMse, r.valMse]).filter((v) => v > 0 && Number.isFinite(v));
  if (values.length === 0) return text(M.left, top + PANEL / 2, 'Loss curves: no reports yet', 'title');
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const f = frame(top, 0, Math.max(1, reports.length - 1), lo, hi, true);
  const yTicks: Array<[number, string]> = [];
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) yTicks.push([f.sy(10 ** e), `1e${e}`]);
  const xTicks: Array<[number, string]> = [];
  const parts: string[] = [];
  const step = Math.max(1, Math.ceil(reports.length / 10));
  reports.forEach((r, i) => {
    if (i % step === 0 || i === reports.length - 1) xTicks.push([f.sx(i), r.phase === 'gd' ? String(r.epoch) : `it ${r.iteration}`]);
    if (i > 0 && r.phase !== reports[i - 1].phase) {
      const x = (f.sx(i - 1) + f.sx(i)) / 2;
      parts.push(`<line class="phase" x1="${x}" x2="${x}" y1="${f.y0}" y2="${f.y1}" stroke="${colors.grid}" stroke-dasharray="3 3"/>`);
      parts.push(text(x + 4, f.y0 + 12, r.phase === 'bfgs' ? 'BFGS' : 'L-BFGS'));
    }
  });
  if (reports[0].phase === 'gd') parts.push(text(f.x0 + 4, f.y0 + 12, 'gradient descent'));
  else parts.push(text(f.x0 + 4, f.y0 + 12, reports[0].phase === 'bfgs' ? 'BFGS' : 'L-BFGS'));
  return [
    axes(f, 'Loss curves (MSE, log scale)', xTicks, yTicks, 'epoch, then quasi-Newton iteration'),
    ...parts,
    path(reports.map((r, i) => [f.sx(i), f.sy(r.trainMse)]), 'line-train', colors.train),
    path(reports.map((r, i) => [f.sx(i), f.sy(r.valMse)]), 'line-val', colors.val),
    legend(f, [['train MSE', 'line-train', colors.train], ['validation MSE', 'line-val', colors.val]]),
  ].join('');
}

function valueRange(...arrays: ArrayLike<number>[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const a of arrays) for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) { lo = Math.min(lo, a[i]); hi = Math.max(hi, a[i]); }
  if (!Number.isFinite(lo)) return [0, 1];
  const pad = 0.05 * (hi - lo || 1);
  return [lo - pad, hi + pad];
}

/** Column `d` of a row-major series. */
function column(values: Float64Array, D: number, d: number): Float64Array {
  const out = new Float64Array(values.length / D);
  for (let t = 0; t < out.length; t++) out[t] = values[t * D + d];
  return out;
}

/** Data against one-step predictions over the whole series; the validation part is shaded. */
export function predictionPanel(r: SeriesLabResult, top = 0): string {
  const D = r.columns;
  const data = column(r.series, D, 0);
  const pred = column(r.predictions, D, 0);
  const T = data.length;
  const [lo, hi] = valueRange(data, pred);
  const f = frame(top, 0, T - 1, lo, hi);
  const v0 = f.sx(r.trainPoints);
  return [
    `<rect class="region-val" x="${v0.toFixed(1)}" y="${f.y0}" width="${(f.x1 - v0).toFixed(1)}" height="${f.y1 - f.y0}" fill="${colors.region}" fill-opacity="0.08"/>`,
    text(f.x0 + 4, f.y0 + 12, `train (${r.trainPoints} points)`),
    text(v0 + 4, f.y0 + 12, `validation (${r.valPoints} points)`),
    axes(f, `Predictions vs data${D > 1 ? ' (column 1)' : ''}: train MSE ${num(r.trainMse)}, val ${num(r.valMse)}`,
      niceTicks(0, T - 1).map((t) => [f.sx(t), String(t)]), niceTicks(lo, hi).map((v) => [f.sy(v), num(v)]), 'time step'),
    path(Array.from(data, (v, t) => [f.sx(t), f.sy(v)]), 'line-data', colors.data),
    // Prediction t is made after reading row t: it belongs at t+1.
    path(Array.from(pred.subarray(0, T - 1), (v, t) => [f.sx(t + 1), f.sy(v)]), 'line-pred', colors.prediction),
    legend(f, [['data', 'line-data', colors.data], ['one-step prediction', 'line-pred', colors.prediction]]),
  ].join('');
}

/** The continuation the network generates on its own, against the series itself. */
export function continuationPanel(r: SeriesLabResult, top = 0): string {
  const D = r.columns;
  const { start, predicted, truth, mse } = r.continuation;
  const steps = predicted.length / D;
  const context = Math.min(start, 100);
  const before = column(r.series.subarray((start - context) * D, start * D), D, 0);
  const gen = column(predicted, D, 0);
  const tru = column(truth, D, 0);
  const [lo, hi] = valueRange(before, gen, tru);
  const f = frame(top, start - context, start + Math.max(steps, 1) - 1, lo, hi);
  const title = `Free-running from step ${start}${tru.length > 0 ? `: MSE ${num(mse)}` : ''}`;
  return [
    axes(f, title, niceTicks(start - context, start + steps - 1).map((t) => [f.sx(t), String(t)]), niceTicks(lo, hi).map((v) => [f.sy(v), num(v)]), 'time step'),
    `<line class="phase" x1="${f.sx(start)}" x2="${f.sx(start)}" y1="${f.y0}" y2="${f.y1}" stroke="${colors.grid}" stroke-dasharray="3 3"/>`,
    path(Array.from(before, (v, i) => [f.sx(start - context + i), f.sy(v)]), 'line-data', colors.data),
    path(Array.from(tru, (v, i) => [f.sx(start + i), f.sy(v)]), 'line-data', colors.data, true),
    path(Array.from(gen, (v, i) => [f.sx(start + i), f.sy(v)]), 'line-pred', colors.prediction),
    legend(f, [['series read', 'line-data', colors.data], ['true continuation', 'line-data', colors.data, true], ['generated', 'line-pred', colors.prediction]]),
  ].join('');
}

/** The three panels, stacked, as a standalone SVG document. */
export function seriesPlotSvg(r: SeriesLabResult): string {
  const height = 3 * PANEL + 2 * GAP;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="series-plot" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" font-family="sans-serif" role="img" aria-label="Time-series lab plots">
<rect class="background" width="${WIDTH}" height="${height}" fill="#ffffff"/>
<g class="plot-loss">${lossPanel(r.reports, 0)}</g>
<g class="plot-predictions">${predictionPanel(r, PANEL + GAP)}</g>
<g class="plot-continuation">${continuationPanel(r, 2 * (PANEL + GAP))}</g>
</svg>
`;
}

/** One panel alone as an SVG document (the Lab panel shows them one by one). */
export function panelSvg(body: string, label: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="series-plot" viewBox="0 0 ${WIDTH} ${PANEL}" font-family="sans-serif" role="img" aria-label="${esc(label)}">${body}</svg>`;
}
