/**
 * The time-series lab's panel (viewType `rnnLab.seriesLab`): the webview in webview/series, and
 * the runs it asks for, each `rnn-lab series --json --compare --plot <tmp>.svg` in a child process
 * (dist/cli.js), never in the extension host. The child's report lines stream to the webview; when
 * it ends, the panel sends the final result and the SVG plots it wrote.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { describeRejected, type Envelope } from '../protocol/envelope';
import {
  defaultSeriesRequest, isSeriesWebviewMessage, seriesRequestArgs,
  type SeriesFinalLine, type SeriesHostToWebview, type SeriesLabState, type SeriesReportLine, type SeriesRunRequest, type SeriesWebviewToHost,
} from '../protocol/series';
import { getWebviewOptions, webviewHtml } from './webviewHost';

/** True while a series run goes (the palette lists "Stop the time-series lab" only then). */
export const seriesRunningContextKey = 'rnnLab.seriesLabRunning';

export class SeriesPanel {
  static readonly viewType = 'rnnLab.seriesLab';
  private static current: SeriesPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private state: SeriesLabState = { status: 'idle', request: defaultSeriesRequest, reports: [] };
  private child: ChildProcess | undefined;
  private stopRequested = false;
  private readonly tmp = mkdtempSync(join(tmpdir(), 'rnnlab-series-'));

  /** Opens (or shows) the panel; with `request`, starts that run at once. */
  static show(extensionUri: vscode.Uri, request?: SeriesRunRequest): SeriesPanel {
    let panel = SeriesPanel.current;
    if (panel) {
      panel.panel.reveal();
    } else {
      const webviewPanel = vscode.window.createWebviewPanel(SeriesPanel.viewType, 'Time-series lab', vscode.ViewColumn.Active, {
        ...getWebviewOptions(extensionUri),
        // The plots and controls are cheap to keep; a hidden panel keeps its run's picture.
        retainContextWhenHidden: true,
      });
      panel = SeriesPanel.current = new SeriesPanel(webviewPanel, extensionUri);
    }
    if (request) panel.run({ ...defaultSeriesRequest, ...request });
    return panel;
  }

  /** Brings the panel back after a window reload, as an idle lab (its run ended with the old window). */
  static registerSerializer(extensionUri: vscode.Uri): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(SeriesPanel.viewType, {
      async deserializeWebviewPanel(webviewPanel: vscode.WebviewPanel) {
        SeriesPanel.current?.panel.dispose();
        webviewPanel.webview.options = getWebviewOptions(extensionUri);
        SeriesPanel.current = new SeriesPanel(webviewPanel, extensionUri);
      },
    });
  }

  /** Stops the open panel's run, if one is going; it still reports what it has. */
  static stopCurrent(): void {
    SeriesPanel.current?.stop();
  }

  /** The open panel's state (for tests and the extension's API). */
  static currentState(): SeriesLabState | undefined {
    return SeriesPanel.current?.state;
  }

  private constructor(private readonly panel: vscode.WebviewPanel, private readonly extensionUri: vscode.Uri) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'rnn-lab.svg');
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'series', 'Time-series lab');
    panel.webview.onDidReceiveMessage((raw: unknown) => {
      if (isSeriesWebviewMessage(raw)) void this.handle(raw);
      else console.warn(`RNN Lab: ignored a message from the time-series panel, ${describeRejected(raw)}`);
    }, null, this.disposables);
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
  }

  private post(message: Envelope<SeriesHostToWebview>): void {
    void this.panel.webview.postMessage(message);
  }

  private setState(change: Partial<SeriesLabState>): void {
    const wasRunning = this.state.status === 'running';
    this.state = { ...this.state, ...change };
    if (wasRunning !== (this.state.status === 'running')) void vscode.commands.executeCommand('setContext', seriesRunningContextKey, this.state.status === 'running');
    this.post({ type: 'state', payload: this.state });
  }

  private async handle(message: Envelope<SeriesWebviewToHost>): Promise<void> {
    switch (message.type) {
      case 'ready':
        return this.post({ type: 'state', payload: this.state });
      case 'run':
        return this.run(message.payload);
      case 'stop':
        return this.stop();
      case 'pickFile': {
        const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use this series', filters: { 'Series': ['txt', 'csv', 'tsv', 'dat'], 'All files': ['*'] } });
        if (picked?.[0]) this.setState({ request: { ...this.state.request, file: picked[0].fsPath } });
        return;
      }
    }
  }

  /** The child stops at its next epoch or iteration and still reports what it has (it handles SIGTERM). */
  private stop(): void {
    if (!this.child) return;
    this.stopRequested = true;
    this.child.kill('SIGTERM');
  }

  private run(request: SeriesRunRequest): void {
    if (this.child) {
      void vscode.window.showWarningMessage('RNN Lab: the time-series lab is already running; stop it first.');
      return;
    }
    const plot = join(this.tmp, 'plots.svg');
    rmSync(plot, { force: true });
    const cli = vscode.Uri.joinPath(this.extensionUri, 'dist', 'cli.js').fsPath;
    let settings: string[];
    try {
      settings = seriesRequestArgs(request);
    } catch (error) {
      // A request with a setting the lab does not have (a webview of another version): say so, run nothing.
      this.setState({ status: 'failed', request, error: (error as Error).message });
      return;
    }
    const args = ['series', ...settings, '--json', '--compare', '--plot', plot];
    const child = fork(cli, args, { execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.child = child;
    this.stopRequested = false;
    this.setState({ status: 'running', request, pid: child.pid, reports: [], final: undefined, svg: undefined, error: undefined });
    let final: SeriesFinalLine | undefined;
    let stderr = '';
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (!line.trim()) continue;
        let parsed: { phase?: string; summary?: boolean };
        try {
          parsed = JSON.parse(line);
        } catch {
          continue;
        }
        if (parsed.phase === 'final') final = parsed as SeriesFinalLine;
        else if (parsed.phase && !parsed.summary && parsed.phase !== 'compare') {
          const report = parsed as SeriesReportLine;
          this.state.reports.push(report);
          this.post({ type: 'report', payload: report });
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-4000); });
    child.on('error', (error) => { stderr += error.message; });
    child.on('exit', (code, signal) => {
      this.child = undefined;
      if (final) {
        let svg: string | undefined;
        try {
          svg = readFileSync(plot, 'utf8');
        } catch {
          svg = undefined;
        }
        this.setState({ status: this.stopRequested ? 'stopped' : 'completed', pid: undefined, final, svg });
      } else {
        // One line, as the CLI writes its errors ("rnn-lab: ...").
        const message = stderr.trim().split('\n').pop()?.replace(/^rnn-lab: /, '') || `the series process ended (${signal ?? `exit code ${code}`})`;
        this.setState({ status: 'failed', pid: undefined, error: message });
      }
    });
  }

  private dispose(): void {
    if (this.child) void vscode.commands.executeCommand('setContext', seriesRunningContextKey, false);
    this.child?.kill('SIGKILL');
    this.child = undefined;
    if (SeriesPanel.current === this) SeriesPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
