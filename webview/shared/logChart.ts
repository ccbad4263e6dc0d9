/**
 * A small line chart with a log-scale y axis, for quantities that span orders of magnitude
 * (gradient norms). Drawn on a <canvas> like the loss chart, with its colours, line helper and
 * tick maths; y ticks at powers of ten. Series colours are CSS colours (the editor theme's chart
 * colours), set by the caller.
 */
import { chartColors, line, prepareCanvas } from './chart';
import { niceTicks } from './chartScale';
import { cssVar, isHighContrast, onThemeChange } from './theme';

export interface LogSeries {
  label: string;
  /** A CSS variable of the theme (`--vscode-charts-blue`) and the colour to use without it. */
  color: [string, string];
  points: Array<[number, number]>;
  width?: number;
}

export interface LogChartAxes {
  xLabel: string;
  yLabel: string;
  /** How the readout names a point. */
  describe(series: LogSeries, point: [number, number]): string;
}

const margin = { left: 56, right: 16, top: 16, bottom: 30 };

/** log10 range of the positive, finite values, widened to whole decades. */
export function decadeRange(values: number[]): { min: number; max: number } {
  const logs = values.filter((v) => v > 0 && Number.isFinite(v)).map(Math.log10);
  if (logs.length === 0) return { min: -1, max: 1 };
  const min = Math.floor(Math.min(...logs));
  const max = Math.ceil(Math.max(...logs));
  return max > min ? { min, max } : { min: min - 1, max: max + 1 };
}

export class LogChart {
  private series: LogSeries[] = [];
  private colors = chartColors();
  private frame = 0;
  private hoverX: number | undefined;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly readout: HTMLElement, private readonly axes: LogChartAxes) {
    onThemeChange(() => { this.colors = chartColors(); this.schedule(); });
    new ResizeObserver(() => this.schedule()).observe(canvas);
    canvas.addEventListener('mousemove', (e) => { this.hoverX = e.offsetX; this.schedule(); });
    canvas.addEventListener('mouseleave', () => { this.hoverX = undefined; this.schedule(); });
  }

  setSeries(series: LogSeries[]): void {
    this.series = series;
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.draw(); });
  }

  private draw(): void {
    const { canvas, colors } = this;
    const surface = prepareCanvas(canvas);
    if (!surface) return;
    const { ctx, width, height } = surface;
    const lineScale = isHighContrast() ? 1.5 : 1;
    const all = this.series.flatMap((s) => s.points);
    if (all.length === 0) return;
    const xs = all.map((p) => p[0]);
    const xr = { min: Math.min(...xs), max: Math.max(...xs) };
    if (xr.max === xr.min) xr.max = xr.min + 1;
    const yr = decadeRange(all.map((p) => p[1]));
    const plot = { x0: margin.left, x1: width - margin.right, y0: margin.top, y1: height - margin.bottom };
    const px = (x: number) => plot.x0 + ((x - xr.min) / (xr.max - xr.min)) * (plot.x1 - plot.x0);
    const py = (y: number) => plot.y1 - ((Math.log10(y) - yr.min) / (yr.max - yr.min)) * (plot.y1 - plot.y0);

    ctx.strokeStyle = colors.grid;
    ctx.fillStyle = colors.text;
    ctx.lineWidth = 1;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    const decades = yr.max - yr.min;
    const every = Math.max(1, Math.ceil(decades / Math.max(2, Math.floor((plot.y1 - plot.y0) / 28))));
    for (let d = yr.min; d <= yr.max; d += every) {
      const y = Math.round(py(10 ** d)) + 0.5;
      ctx.beginPath(); ctx.moveTo(plot.x0, y); ctx.lineTo(plot.x1, y); ctx.stroke();
      ctx.fillText(`1e${d}`, plot.x0 - 6, y);
    }
    ctx.textBaseline = 'top';
    ctx.textAlign = 'center';
    for (const t of niceTicks(xr, Math.max(2, Math.floor((plot.x1 - plot.x0) / 80)))) {
      const x = Math.round(px(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, plot.y1); ctx.lineTo(x, plot.y1 + 4); ctx.stroke();
      ctx.fillText(String(t), x, plot.y1 + 7);
    }
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'left';
    ctx.fillText(this.axes.yLabel, 4, plot.y0 - 2);
    ctx.textAlign = 'right';
    ctx.fillText(this.axes.xLabel, plot.x1, plot.y1 + margin.bottom);

    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.x0, plot.y0, plot.x1 - plot.x0, plot.y1 - plot.y0);
    ctx.clip();
    for (const s of this.series) {
      // A zero (or non-finite) value has no place on a log axis: the line breaks there.
      let run: Array<[number, number]> = [];
      const color = cssVar(s.color[0], s.color[1]);
      const flush = () => { line(ctx, run, color, (s.width ?? 2) * lineScale); run = []; };
      for (const [x, y] of s.points) {
        if (y > 0 && Number.isFinite(y)) run.push([px(x), py(y)]);
        else flush();
      }
      flush();
    }
    ctx.restore();
    this.drawHover(ctx, plot, px);
  }

  private drawHover(ctx: CanvasRenderingContext2D, plot: { x0: number; x1: number; y0: number; y1: number }, px: (x: number) => number): void {
    if (this.hoverX === undefined || this.hoverX < plot.x0 || this.hoverX > plot.x1) {
      this.readout.textContent = '\u00a0';
      return;
    }
    const parts: string[] = [];
    let lineX: number | undefined;
    for (const s of this.series) {
      let best: [number, number] | undefined;
      for (const p of s.points) if (!best || Math.abs(px(p[0]) - this.hoverX) < Math.abs(px(best[0]) - this.hoverX)) best = p;
      if (!best) continue;
      lineX ??= Math.round(px(best[0])) + 0.5;
      parts.push(this.axes.describe(s, best));
    }
    if (lineX !== undefined) {
      ctx.strokeStyle = this.colors.text;
      ctx.globalAlpha = 0.4;
      ctx.beginPath(); ctx.moveTo(lineX, plot.y0); ctx.lineTo(lineX, plot.y1); ctx.stroke();
      ctx.globalAlpha = 1;
    }
    this.readout.textContent = parts.join(' · ') || '\u00a0';
  }
}
