/**
 * What the Lab panel and the samples view share: webview options, the HTML shell with its
 * nonce-based Content Security Policy, and the typed message wiring to the run controller
 * (a webview says `ready`, the host replies with the whole snapshot, then streams updates).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeRejected, isMessageOf } from '../protocol/envelope';
import { labQuestionOf } from '../engine/labs/registry';
import type { LabRequest } from '../protocol/labs';
import { noModelMessage, webviewToHostTypes, type FromWebviewMessage, type ToWebviewMessage, type WebviewToHost } from '../protocol/webview';
import type { RunController } from './runController';
import { listRuns } from './runsList';
import { lastCheckpointBeside } from '../engine/train/runFolder';

/** The only folders a webview may load from: the bundles and the media. */
export function getWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/** The webview pages: each is dist/webview/<bundle>.js with media/<bundle>.css (the GPU tab's page needs no other stylesheet). */
export type WebviewBundle = 'lab' | 'samples' | 'series' | 'gpu';

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, bundle: WebviewBundle, title: string): string {
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
${bundle === 'gpu' ? '' : `<link href="${media('controls.css')}" rel="stylesheet">
${bundle === 'samples' ? '' : `<link href="${media('panel.css')}" rel="stylesheet">\n`}<link href="${media('sampleCards.css')}" rel="stylesheet">\n`}${bundle === 'lab' ? `<link href="${webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'uPlot.min.css'))}" rel="stylesheet">\n` : ''}<link href="${media(`${bundle}.css`)}" rel="stylesheet">
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

/** What a webview's requests need besides the run: where this workspace keeps its checkpoints. */
export interface WebviewDeps {
  controller: RunController;
  checkpointFolder(): string;
}

/** Streams the controller's updates to a webview and carries out what the webview asks for. */
export function connectWebview(webview: vscode.Webview, deps: WebviewDeps): vscode.Disposable {
  const subscriptions: vscode.Disposable[] = [
    deps.controller.onDidUpdate((messages) => { for (const m of messages) postToWebview(webview, m); }),
    webview.onDidReceiveMessage((raw: unknown) => {
      if (isMessageOf<WebviewToHost>(raw, webviewToHostTypes)) void handleWebviewMessage(webview, deps, raw);
      // A webview built from other sources than this host's: say so in the extension host's log rather than drop it unseen.
      else console.warn(`RNN Lab: ignored a message from a webview, ${describeRejected(raw)}`);
    }),
  ];
  return vscode.Disposable.from(...subscriptions);
}

/** The editor text goes into: the active one, else the first visible (a sidebar view has the focus). */
export function targetEditor(): vscode.TextEditor | undefined {
  return vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme !== 'output');
}

/** The text document the user was last in (see `targetDocument`). */
let lastTextDocument: vscode.TextDocument | undefined;

/** Remembers the text document the user was last in, from activation on. */
export function trackTextDocuments(): vscode.Disposable {
  const remember = (editor: vscode.TextEditor | undefined) => {
    if (editor && editor.document.uri.scheme !== 'output') lastTextDocument = editor.document;
  };
  remember(vscode.window.activeTextEditor);
  return vscode.window.onDidChangeActiveTextEditor(remember);
}

/**
 * The file the Lab's cards read (a line to decode or follow the gradient back through, the text for
 * Neurons): the editor's beside the Lab, else the one the user was last in while it is still open,
 * since the Lab may share its editor group and hide it (its tab is there, no editor is visible).
 */
export function targetDocument(): vscode.TextDocument | undefined {
  const document = targetEditor()?.document ?? lastTextDocument;
  return document && !document.isClosed ? document : undefined;
}

/**
 * The request with the open file's text its card reads (`editorText` of its question, in
 * engine/labs/registry.ts) filled in, or why it cannot be: no file beside the Lab, no such line.
 */
function withEditorText(request: LabRequest): LabRequest | string {
  const need = labQuestionOf(request.kind)?.editorText;
  if (need?.read === 'document') {
    const asked = request as LabRequest & { text: string };
    if (asked.text !== '') return request;
    const document = targetDocument();
    if (!document) return `Open a text file beside the Lab: the ${need.card} card reads its first ${need.limit.toLocaleString('en-US')} characters.`;
    return { ...asked, text: document.getText(new vscode.Range(0, 0, Math.min(document.lineCount, 400), 0)).slice(0, need.limit) } as LabRequest;
  }
  if (need?.read === 'line') {
    const asked = request as LabRequest & { line: string; lineNumber: number };
    if (asked.line !== '') return request;
    const document = targetDocument();
    const n = Math.round(asked.lineNumber);
    if (!document || !(n >= 1 && n <= document.lineCount)) {
      return document ? `Pick a line from 1 to ${document.lineCount} of ${path.basename(document.uri.path)}.` : `Open a text file beside the Lab: the ${need.card} card reads one of its lines.`;
    }
    return { ...asked, line: document.lineAt(n - 1).text } as LabRequest;
  }
  return request;
}

async function handleWebviewMessage(webview: vscode.Webview, deps: WebviewDeps, message: FromWebviewMessage): Promise<void> {
  const { controller } = deps;
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
    case 'lab': {
      const { requestId } = message.payload;
      const request = withEditorText(message.payload.request);
      const answer = typeof request === 'string' ? { kind: 'error' as const, message: request } : await controller.lab(request);
      return postToWebview(webview, { type: 'labResult', payload: { requestId, answer } });
    }
    case 'generate': {
      const { requestId, ...request } = message.payload;
      let sofar = '';
      const done = await controller.generate(request, (piece) => {
        sofar += piece;
        postToWebview(webview, { type: 'generated', payload: { requestId, text: piece, done: false } });
      });
      return postToWebview(webview, { type: 'generated', payload: done === undefined
        ? { requestId, text: sofar, done: true, error: controller.hasModel ? 'The trainer did not answer in time.' : noModelMessage }
        : { requestId, text: done, done: true } });
    }
    case 'copy':
      await vscode.env.clipboard.writeText(message.payload.text);
      void vscode.window.setStatusBarMessage('RNN Lab: copied', 2000);
      return;
    case 'insert': {
      const editor = targetEditor();
      if (!editor) {
        void vscode.window.showInformationMessage('RNN Lab: open a text editor to insert the sample into.');
        return;
      }
      await editor.edit((edit) => {
        for (const selection of editor.selections) edit.replace(selection, message.payload.text);
      });
      return;
    }
    case 'command':
      if (message.payload.id === 'openModel') await vscode.commands.executeCommand('rnnLab.openModel');
      else if (message.payload.id === 'compareModes') await trainBothModes(webview, deps);
      else await vscode.commands.executeCommand('rnnLab.train', targetDocument()?.uri, { preset: message.payload.preset });
      return;
    case 'listRuns':
      return postToWebview(webview, { type: 'runs', payload: await listRuns(deps.checkpointFolder()) });
  }
}

/**
 * The Q6 card: the open file with the captions preset's model in lines mode, then the same model
 * in windows; when both complete, Compare runs shows the two ticked. Stops quietly when a run does
 * not start (no open file, the user kept the run in progress) or does not complete.
 */
async function trainBothModes(webview: vscode.Webview, deps: WebviewDeps): Promise<void> {
  const uri = targetDocument()?.uri;
  const ids: string[] = [];
  for (const mode of ['lines', 'windows'] as const) {
    const before = deps.controller.generation;
    await vscode.commands.executeCommand('rnnLab.train', uri, { preset: 'captions', mode });
    const generation = deps.controller.generation;
    if (generation === before) return;
    await runEnded(deps.controller);
    const state = deps.controller.runState();
    if (deps.controller.generation !== generation || state.status !== 'completed' || !state.checkpointPath) return;
    // Compare runs lists a run by its final checkpoint when there is one.
    const last = lastCheckpointBeside(state.checkpointPath);
    ids.push(await fs.access(last).then(() => last, () => state.checkpointPath!));
  }
  postToWebview(webview, { type: 'runs', payload: { ...(await listRuns(deps.checkpointFolder())), select: ids } });
}

/** Resolves when the controller's run is no longer starting, running, paused or stopping. */
function runEnded(controller: RunController): Promise<void> {
  return new Promise((resolve) => {
    if (!controller.isRunning) return resolve();
    const subscription = controller.onDidUpdate(() => {
      if (controller.isRunning) return;
      subscription.dispose();
      resolve();
    });
  });
}
