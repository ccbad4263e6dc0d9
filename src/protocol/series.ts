/**
 * Messages between the extension host and the time-series lab's webview (webview/series). The
 * host runs `rnn-lab series --json` in a child process and forwards what it reports; the webview
 * sends the settings of a run, built from the same names as the CLI's flags.
 */
import { isMessageOf, type Envelope, type MessageTypes } from './envelope';

/** One run's settings; each key is the CLI flag of the same name (`hidden` is `--hidden`). */
export interface SeriesRunRequest {
  /** A series file; absent: Mackey-Glass with `mackeyGlass` points. */
  file?: string;
  mackeyGlass?: number;
  cell?: 'rnn' | 'gru' | 'lstm';
  hidden?: number;
  activation?: 'tanh' | 'relu' | 'sigmoid';
  direct?: boolean;
  init?: 'seed' | 'uniform';
  initScale?: number;
  optimizer?: 'gd' | 'momentum' | 'rmsprop' | 'adam' | 'adagrad' | 'adadelta' | 'lbfgs' | 'bfgs';
  lr?: number;
  epochs?: number;
  then?: 'lbfgs' | 'bfgs' | 'none';
  iterations?: number;
  l2?: number;
  l1?: number;
  weightNoise?: number;
  seed?: number;
  generate?: number;
  generateFrom?: number;
}

/** The tutorial's run: what the panel starts with, and its "Tutorial settings" button. */
export const defaultSeriesRequest: SeriesRunRequest = {
  mackeyGlass: 2000, cell: 'rnn', hidden: 15, activation: 'tanh', direct: false, init: 'seed', initScale: 1,
  optimizer: 'gd', lr: 0.3, epochs: 1000, then: 'lbfgs', iterations: 1000, l2: 1e-4, l1: 0, weightNoise: 0, seed: 1, generate: 200, generateFrom: 0,
};

/** The flag of each request key: camelCase to --kebab-case. */
export function seriesRequestArgs(request: SeriesRunRequest): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(request)) {
    // A file replaces the generated series.
    if (value === undefined || value === '' || key === 'file' || (key === 'mackeyGlass' && request.file)) continue;
    // A quasi-Newton optimiser from the start has no gradient descent to continue.
    if (key === 'then' && (request.optimizer === 'lbfgs' || request.optimizer === 'bfgs')) continue;
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
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
