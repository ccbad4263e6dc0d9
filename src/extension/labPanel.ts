/**
 * The Lab panel (viewType `rnnLab.lab`): one at a time, created beside the editor or revived by
 * the panel serializer after a reload. It renders only what the run controller sends it.
 */
import * as vscode from 'vscode';
import { connectWebview, getWebviewOptions, webviewHtml, type WebviewDeps } from './webviewHost';

export class LabPanel {
  static readonly viewType = 'rnnLab.lab';
  private static current: LabPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** Resolves when the page has loaded (its first message) or the panel is gone. */
  private readonly loaded: Promise<void>;

  /** Resolves once the Lab panel, if there is one, has loaded its page (at once when there is none). */
  static whenLoaded(): Promise<void> {
    return LabPanel.current?.loaded ?? Promise.resolve();
  }

  /** `focus`: give the panel the focus (Show Lab) rather than leave it with the editor (starting a run). */
  static createOrShow(extensionUri: vscode.Uri, deps: WebviewDeps, focus = false): void {
    if (LabPanel.current) {
      LabPanel.current.panel.reveal(undefined, !focus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      LabPanel.viewType, 'RNN Lab', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: !focus }, getWebviewOptions(extensionUri),
    );
    LabPanel.current = new LabPanel(panel, extensionUri, deps);
  }

  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, deps: WebviewDeps): void {
    LabPanel.current?.panel.dispose();
    LabPanel.current = new LabPanel(panel, extensionUri, deps);
  }

  private constructor(private readonly panel: vscode.WebviewPanel, extensionUri: vscode.Uri, deps: WebviewDeps) {
    panel.webview.options = getWebviewOptions(extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'rnn-lab.svg');
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'lab', 'RNN Lab');
    this.loaded = new Promise<void>((resolve) => {
      this.disposables.push(panel.webview.onDidReceiveMessage(() => resolve()), panel.onDidDispose(() => resolve()));
    });
    this.disposables.push(connectWebview(panel.webview, deps));
    // Closing the panel leaves training running; only the view goes away.
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
  }

  private dispose(): void {
    if (LabPanel.current === this) LabPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
