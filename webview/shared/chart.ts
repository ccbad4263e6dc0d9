/**
 * The loss chart: a <canvas> drawn by hand (no chart library, nothing that needs `unsafe-eval`).
 * Training loss per batch (raw, faint) and its moving average, validation loss at each evaluation,
 * and the ln(V) "random guess" baseline dashed, read in bits/char (bits/word for a word model) on
 * the left axis and in nats on the right, as every loss in the extension is shown (lossFormat.ts). Colours come from the editor theme; it redraws on theme
 * change and resize, and shows the values under the mouse in a readout element.
 */
import type { EvalMetrics, StepMetrics } from '../../src/protocol/messages';
import { bitsTicks, lossRange, nearestIndex, niceTicks, stepRange, type Range } from './chartScale';
import { cssVar, isHighContrast, onThemeChange } from './theme';
import { bitsUnit, formatInt, formatLoss, type SymbolUnit } from './format';

export interface ChartData {
  steps: StepMetrics[];
  evals: EvalMetrics[];
  baselineNats?: number;
  totalSteps: number;
  /** What a symbol is (the unit of the bits axis); char when not given. */
  unit?: SymbolUnit;
}

export interface ChartColors {
  text: string;
  grid: string;
  train: string;
  validation: string;
  baseline: string;
}

export function chartColors(): ChartColors {
  return {
    text: cssVar('--vscode-foreground', '#cccccc'),
    grid: cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.35)'),
    train: cssVar('--vscode-charts-blue', '#3794ff'),
    validation: cssVar('--vscode-charts-orange', '#d18616'),
    baseline: cssVar('--vscode-charts-red', '#f14c4c'),
  };
}

const margin = { left: 52, right: 56, top: 18, bottom: 30 };

export class LossChart {
  private data: ChartData = { steps: [], evals: [], totalSteps: 0 };
  private colors = chartColors();
  private frame = 0;
  private hoverX: number | undefined;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly readout: HTMLElement) {
    onThemeChange(() => { this.colors = chartColors(); this.schedule(); });
    new ResizeObserver(() => this.schedule()).observe(canvas);
    canvas.addEventListener('mousemove', (e) => { this.hoverX = e.offsetX; this.schedule(); });
    canvas.addEventListener('mouseleave', () => { this.hoverX = undefined; this.schedule(); });
  }

  setData(data: ChartData): void {
    this.data = data;
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.draw(); });
  }

  private draw(): void {
    const { canvas, data, colors } = this;
    const surface = prepareCanvas(canvas);
    if (!surface) return;
    const { ctx, width, height } = surface;
    const lineScale = isHighContrast() ? 1.5 : 1;

    const lastStep = data.steps[data.steps.length - 1]?.step ?? data.evals[data.evals.length - 1]?.step ?? 0;
    const xr = stepRange(lastStep, data.totalSteps);
    const yr = lossRange(data.steps.map((s) => s.smoothLoss), data.evals.map((e) => e.valLoss), data.baselineNats);
    const plot = { x0: margin.left, x1: width - margin.right, y0: margin.top, y1: height - margin.bottom };
    const px = (step: number) => plot.x0 + ((step - xr.min) / (xr.max - xr.min)) * (plot.x1 - plot.x0);
    const py = (nats: number) => plot.y1 - ((nats - yr.min) / (yr.max - yr.min)) * (plot.y1 - plot.y0);

    this.drawAxes(ctx, xr, yr, plot, px, py);

    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.x0, plot.y0, plot.x1 - plot.x0, plot.y1 - plot.y0);
    ctx.clip();
    if (data.baselineNats !== undefined) {
      ctx.setLineDash([6, 4]);
      line(ctx, [[plot.x0, py(data.baselineNats)], [plot.x1, py(data.baselineNats)]], colors.baseline, 1.5 * lineScale);
      ctx.setLineDash([]);
    }
    ctx.globalAlpha = 0.3;
    line(ctx, data.steps.map((s) => [px(s.step), py(s.loss)]), colors.train, 1 * lineScale);
    ctx.globalAlpha = 1;
    line(ctx, data.steps.map((s) => [px(s.step), py(s.smoothLoss)]), colors.train, 2 * lineScale);
    const valPoints = data.evals.map((e): [number, number] => [px(e.step), py(e.valLoss)]);
    line(ctx, valPoints, colors.validation, 2 * lineScale);
    ctx.fillStyle = colors.validation;
    for (const [x, y] of valPoints) { ctx.beginPath(); ctx.arc(x, y, 3 * lineScale, 0, 2 * Math.PI); ctx.fill(); }
    ctx.restore();

    if (data.baselineNats !== undefined) {
      ctx.fillStyle = colors.baseline;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'bottom';
      ctx.fillText(`random guess ln(V) = ${formatLoss(data.baselineNats, data.unit ?? 'char')}`, plot.x1 - 4, py(data.baselineNats) - 2);
    }
    this.drawHover(ctx, plot, px);
  }

  private drawAxes(
    ctx: CanvasRenderingContext2D, xr: Range, yr: Range, plot: { x0: number; x1: number; y0: number; y1: number },
    px: (step: number) => number, py: (nats: number) => number,
  ): void {
    const { colors } = this;
    ctx.strokeStyle = colors.grid;
    ctx.fillStyle = colors.text;
    ctx.lineWidth = 1;
    ctx.textBaseline = 'middle';
    // Round numbers in the unit the chart is read in (bits), not in nats.
    for (const t of bitsTicks(yr, Math.max(2, Math.floor((plot.y1 - plot.y0) / 40)))) {
      const y = Math.round(py(t.nats)) + 0.5;
      ctx.beginPath(); ctx.moveTo(plot.x0, y); ctx.lineTo(plot.x1, y); ctx.stroke();
      ctx.textAlign = 'right';
      ctx.fillText(t.label, plot.x0 - 6, y);
      ctx.textAlign = 'left';
      ctx.fillText(t.nats.toFixed(2), plot.x1 + 6, y);
    }
    ctx.textBaseline = 'top';
    ctx.textAlign = 'center';
    for (const t of niceTicks(xr, Math.max(2, Math.floor((plot.x1 - plot.x0) / 90)), { integer: true })) {
      const x = Math.round(px(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, plot.y1); ctx.lineTo(x, plot.y1 + 4); ctx.stroke();
      ctx.fillText(formatInt(t), x, plot.y1 + 7);
    }
    ctx.beginPath();
    ctx.moveTo(plot.x0 + 0.5, plot.y0); ctx.lineTo(plot.x0 + 0.5, plot.y1 + 0.5); ctx.lineTo(plot.x1, plot.y1 + 0.5);
    ctx.stroke();
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'left';
    ctx.fillText(bitsUnit(this.data.unit ?? 'char'), 4, plot.y0 - 4);
    ctx.textAlign = 'right';
    ctx.fillText('nats', plot.x1 + margin.right - 4, plot.y0 - 4);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    ctx.fillText('step', plot.x1, plot.y1 + margin.bottom);
  }

  private drawHover(ctx: CanvasRenderingContext2D, plot: { x0: number; x1: number; y0: number; y1: number }, px: (step: number) => number): void {
    const { data } = this;
    if (this.hoverX === undefined || this.hoverX < plot.x0 || this.hoverX > plot.x1 || data.steps.length === 0) {
      this.readout.textContent = '\u00a0';
      return;
    }
    const xs = data.steps.map((s) => px(s.step));
    const s = data.steps[nearestIndex(xs, this.hoverX)];
    const evalIndex = nearestIndex(data.evals.map((e) => px(e.step)), this.hoverX);
    const e = evalIndex >= 0 ? data.evals[evalIndex] : undefined;
    const x = Math.round(px(s.step)) + 0.5;
    ctx.strokeStyle = this.colors.text;
    ctx.globalAlpha = 0.4;
    ctx.beginPath(); ctx.moveTo(x, plot.y0); ctx.lineTo(x, plot.y1); ctx.stroke();
    ctx.globalAlpha = 1;
    const unit = data.unit ?? 'char';
    const parts = [`step ${formatInt(s.step)}: loss ${formatLoss(s.loss, unit)}, smoothed ${formatLoss(s.smoothLoss, unit)}`];
    if (e) parts.push(`validation at step ${formatInt(e.step)}: ${formatLoss(e.valLoss, unit)}`);
    this.readout.textContent = parts.join(' · ');
  }
}

/**
 * Sizes a canvas's backing store to its CSS size at the device's pixel ratio, clears it and sets
 * the theme's font; undefined while it is not laid out (zero size) or has no 2D context.
 */
export function prepareCanvas(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; width: number; height: number } | undefined {
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (width === 0 || height === 0) return undefined;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return undefined;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = `11px ${cssVar('--vscode-font-family', 'sans-serif')}`;
  return { ctx, width, height };
}

export function line(ctx: CanvasRenderingContext2D, points: Array<[number, number]>, color: string, width: number): void {
  if (points.length === 0) return;
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.lineJoin = 'round';
  ctx.beginPath();
  ctx.moveTo(points[0][0], points[0][1]);
  for (let i = 1; i < points.length; i++) ctx.lineTo(points[i][0], points[i][1]);
  ctx.stroke();
}
