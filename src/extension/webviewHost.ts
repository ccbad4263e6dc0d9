/**
 * What the Lab panel and the samples view share: webview options, the HTML shell with its
 * nonce-based Content Security Policy, and the typed message wiring to the run controller
 * (a webview says `ready`, the host replies with the whole snapshot, then streams updates).
 */
import * as vscode from 'vscode';
import { isMessageOf, webviewToHostTypes, type FromWebviewMessage, type ToWebviewMessage, type WebviewToHost } from '../protocol/messages';
import type { RunController } from './runController';

/** The only folders a webview may load from: the bundles and the media. */
export function getWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, bundle: 'lab' | 'samples' | 'series', title: string): string {
  const nonce = makeNonce();
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${bundle}.js`));
  const media = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', file));
  const csp = [
    `default-src 'none'`,
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${media('sampleCards.css')}" rel="stylesheet">
<link href="${media(`${bundle}.css`)}" rel="stylesheet">
<title>${title}</title>
</head>
<body>
<div id="app" aria-live="polite"></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}

function makeNonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let nonce = '';
  for (let i = 0; i < 32; i++) nonce += chars.charAt(Math.floor(Math.random() * chars.length));
  return nonce;
}

export function postToWebview(webview: vscode.Webview, message: ToWebviewMessage): void {
  // A hidden webview drops messages; it asks again with `ready` when it is shown.
  void webview.postMessage(message);
}

/** Streams the controller's updates to a webview and carries out what the webview asks for. */
export function connectWebview(webview: vscode.Webview, controller: RunController): vscode.Disposable {
  const subscriptions: vscode.Disposable[] = [
    controller.onDidUpdate((messages) => { for (const m of messages) postToWebview(webview, m); }),
    webview.onDidReceiveMessage((raw: unknown) => {
      if (isMessageOf<WebviewToHost>(raw, webviewToHostTypes)) void handleWebviewMessage(webview, controller, raw);
    }),
  ];
  return vscode.Disposable.from(...subscriptions);
}

async function handleWebviewMessage(webview: vscode.Webview, controller: RunController, message: FromWebviewMessage): Promise<void> {
  switch (message.type) {
    case 'ready':
      return postToWebview(webview, { type: 'snapshot', payload: controller.snapshot });
    case 'stop':
      await vscode.commands.executeCommand('rnnLab.stop');
      return;
    case 'pause':
      await vscode.commands.executeCommand('rnnLab.pause');
      return;
    case 'resume':
      await vscode.commands.executeCommand('rnnLab.resume');
      return;
    case 'sample': {
      const text = await vscode.commands.executeCommand<string | undefined>('rnnLab.sample', message.payload);
      // A drawn sample reaches every view through the run's snapshot; a failure only this one.
      if (text === undefined) {
        const { prime, temperature } = message.payload;
        postToWebview(webview, { type: 'sampleResult', payload: { text: '', prime, temperature, error: 'No sample: the model is not loaded any more (the trainer has ended) or did not answer in time.' } });
      }
      return;
    }
    case 'openCheckpoint':
      await vscode.commands.executeCommand('rnnLab.openCheckpointFolder');
      return;
  }
}
