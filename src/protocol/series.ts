/**
 * Messages between the extension host and the time-series lab's webview (webview/series). The
 * host runs `rnn-lab series --json` in a child process and forwards what it reports; the webview
 * sends the settings of a run, named as the engine's settings table names them.
 */
import {
  defaultSeriesSettings, seriesFormKeys, seriesSettings, type SeriesRunSettings, type SeriesSettingKey,
} from '../engine/series/settings';
import { isMessageOf, type Envelope, type MessageTypes } from './envelope';

/**
 * One run's settings, named as the engine names them (engine/series/settings.ts); each becomes the
 * CLI flag its declaration names (`hiddenSize` is `--hidden`). A setting left out keeps its default.
 */
export type SeriesRunRequest = Partial<SeriesRunSettings> & {
  /** A series file; absent: Mackey-Glass with `mackeyGlass` points. */
  file?: string;
};

/** The tutorial's run, as the panel's form shows it: what the panel starts with, and its "Tutorial settings" button. */
export const defaultSeriesRequest: SeriesRunRequest = Object.fromEntries(seriesFormKeys.map((k) => [k, defaultSeriesSettings[k]]));

/** The command-line arguments of a request: FILE first, then each given setting's flag. */
export function seriesRequestArgs(request: SeriesRunRequest): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(request)) {
    if (key === 'file') continue;
    if (!Object.prototype.hasOwnProperty.call(seriesSettings, key)) throw new Error(`unknown time-series setting "${key}"`);
    // A file replaces the generated series.
    if (value === undefined || value === '' || (request.file && (key === 'mackeyGlass' || key === 'tau'))) continue;
    // A quasi-Newton optimiser from the start has no gradient descent to continue.
    if (key === 'then' && (request.optimizer === 'lbfgs' || request.optimizer === 'bfgs')) continue;
    const flag = `--${seriesSettings[key as SeriesSettingKey].flag}`;
    if (typeof value === 'boolean') {
      if (value) args.push(flag);
    } else {
      args.push(flag, String(value));
    }
  }
  return request.file ? [request.file, ...args] : args;
}

/** One report line of the child (`phase` "gd", "lbfgs" or "bfgs"), as `rnn-lab series --json` prints it. */
export interface SeriesReportLine {
  phase: string;
  epoch?: number;
  iteration?: number;
  trainMse: number;
  valMse: number;
  objective?: number;
  functionEvaluations?: number;
  gradientEvaluations?: number;
}

export interface QuasiNewtonLine {
  method: string;
  iterations: number;
  functionEvaluations: number;
  gradientEvaluations: number;
  message: string;
  trainMse: number;
  valMse: number;
  seconds: number;
}

export interface GradientDescentLine {
  optimizer: string;
  epochs: number;
  trainMse: number;
  valMse: number;
  seconds: number;
}

/** The child's last line (`phase: "final"`), the parts the panel shows. */
export interface SeriesFinalLine {
  phase: 'final';
  trainMse: number;
  valMse: number;
  series: string;
  trainPoints: number;
  valPoints: number;
  parameters: number;
  gd: GradientDescentLine | null;
  lbfgs?: QuasiNewtonLine | null;
  bfgs?: QuasiNewtonLine | null;
  comparison: QuasiNewtonLine | null;
  continuation: { start: number; steps: number; known: number; mse: number };
}

export type SeriesStatus = 'idle' | 'running' | 'completed' | 'stopped' | 'failed';

export interface SeriesLabState {
  status: SeriesStatus;
  request: SeriesRunRequest;
  /** The child process while it runs. */
  pid?: number;
  reports: SeriesReportLine[];
  final?: SeriesFinalLine;
  /** The three plots (SVG markup written by `--plot`), once the run has ended. */
  svg?: string;
  error?: string;
}

export interface SeriesHostToWebview {
  state: SeriesLabState;
  report: SeriesReportLine;
}

export interface SeriesWebviewToHost {
  ready: Record<string, never>;
  run: SeriesRunRequest;
  stop: Record<string, never>;
  pickFile: Record<string, never>;
}

export const seriesHostToWebviewTypes = { state: true, report: true } as const satisfies MessageTypes<SeriesHostToWebview>;
export const seriesWebviewToHostTypes = { ready: true, run: true, stop: true, pickFile: true } as const satisfies MessageTypes<SeriesWebviewToHost>;

export const isSeriesHostMessage = (v: unknown): v is Envelope<SeriesHostToWebview> => isMessageOf<SeriesHostToWebview>(v, seriesHostToWebviewTypes);
export const isSeriesWebviewMessage = (v: unknown): v is Envelope<SeriesWebviewToHost> => isMessageOf<SeriesWebviewToHost>(v, seriesWebviewToHostTypes);
