/** The "Samples" webview view in the RNN Lab sidebar: the current run's samples, newest first. */
import * as vscode from 'vscode';
import { connectWebview, getWebviewOptions, webviewHtml, type WebviewDeps } from './webviewHost';

export class SamplesViewProvider implements vscode.WebviewViewProvider {
  static readonly viewType = 'rnnLab.samples';

  constructor(private readonly extensionUri: vscode.Uri, private readonly deps: WebviewDeps) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    view.webview.options = getWebviewOptions(this.extensionUri);
    view.webview.html = webviewHtml(view.webview, this.extensionUri, 'samples', 'RNN Lab samples');
    const connection = connectWebview(view.webview, this.deps);
    view.onDidDispose(() => connection.dispose());
  }
}
