/**
 * The surprisal view: a toggle that colours each character of the active editor by how surprising
 * the model finds it (-log2 p, in bits), with a legend and bits/char in the status bar. The trainer
 * computes it in the background (in chunks between training steps); the visible lines come first,
 * then the whole file's bits/char when the file is small enough. It refreshes after each
 * evaluation (the model improved), on scrolling and on edits, and never blocks typing: every
 * request is debounced and an older answer for a changed view is dropped.
 */
import * as vscode from 'vscode';
import type { SurprisalResult } from '../protocol/messages';
import type { RunController } from './runController';

import { legendMarkdown, surprisalBuckets } from './surprisalLegend';

export { legendMarkdown, surprisalBuckets };

/** Characters of the visible range (plus a margin) sent at most. */
const maxVisibleChars = 30_000;
/** Files up to this many characters also get a whole-file bits/char. */
const maxWholeFileChars = 2_000_000;
/** Characters of the text before the visible range that the model reads first. */
const contextChars = 2000;
const marginLines = 20;

export interface SurprisalState {
  on: boolean;
  /** Characters coloured in the last refresh. */
  coloured: number;
  visibleBitsPerChar?: number;
  fileBitsPerChar?: number;
  /** What the status bar says besides the numbers (waiting, too big, unknown characters). */
  note: string;
  refreshes: number;
}

export class SurprisalView implements vscode.Disposable {
  private on = false;
  private readonly decorations = surprisalBuckets.map((b) => vscode.window.createTextEditorDecorationType({ backgroundColor: b.colour }));
  private readonly unknownDecoration = vscode.window.createTextEditorDecorationType({ textDecoration: 'underline wavy', color: new vscode.ThemeColor('disabledForeground') });
  private readonly item = vscode.window.createStatusBarItem('rnnLab.surprisal', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private wholeFileTimer: NodeJS.Timeout | undefined;
  /** Bumped by every refresh; answers for an older one are dropped. */
  private generation = 0;
  private state: SurprisalState = { on: false, coloured: 0, note: '', refreshes: 0 };

  constructor(private readonly controller: RunController) {
    this.item.name = 'RNN Lab surprisal';
    this.item.command = 'rnnLab.toggleSurprisal';
    this.subscriptions.push(
      controller.onDidUpdate((messages) => {
        // A new evaluation means new weights worth showing; a new run, a new model.
        if (this.on && messages.some((m) => m.type === 'eval' || m.type === 'snapshot' || m.type === 'status')) this.schedule(300, true);
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.on && this.schedule(100, true)),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.on && e.textEditor === vscode.window.activeTextEditor && this.schedule(250, false)),
      vscode.workspace.onDidChangeTextDocument((e) => this.on && e.document === vscode.window.activeTextEditor?.document && this.schedule(600, true)),
    );
  }

  get current(): SurprisalState {
    return { ...this.state, on: this.on };
  }

  toggle(on = !this.on): boolean {
    this.on = on;
    if (on) {
      this.show('$(loading~spin) Surprisal', 'Computing…');
      this.schedule(0, true);
    } else {
      this.generation++;
      this.clear();
      this.item.hide();
    }
    return on;
  }

  private schedule(delayMs: number, wholeFile: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; void this.refresh(wholeFile); }, delayMs);
  }

  private clear(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      for (const d of this.decorations) editor.setDecorations(d, []);
      editor.setDecorations(this.unknownDecoration, []);
    }
  }

  private show(text: string, tooltip: string): void {
    this.item.text = text;
    const md = new vscode.MarkdownString(`**RNN Lab surprisal** — ${tooltip}\n\n${legendMarkdown()}\n\nClick to turn the colouring off.`);
    md.supportHtml = true;
    this.item.tooltip = md;
    this.item.show();
  }

  private async refresh(wholeFile: boolean): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const generation = ++this.generation;
    if (!this.on) return;
    if (!editor) return this.note('$(info) Surprisal', 'open a text file to colour it.');
    if (!this.controller.hasModel) {
      this.clear();
      return this.note('$(info) Surprisal: no model', 'no model yet: train one ("RNN Lab: Train char-LSTM on this file"); the colours appear once it answers.');
    }
    const document = editor.document;
    const first = editor.visibleRanges[0]?.start.line ?? 0;
    const last = editor.visibleRanges[editor.visibleRanges.length - 1]?.end.line ?? 0;
    const from = document.offsetAt(new vscode.Position(Math.max(0, first - marginLines), 0));
    let to = document.offsetAt(document.lineAt(Math.min(document.lineCount - 1, last + marginLines)).range.end);
    to = Math.min(to, from + maxVisibleChars);
    const context = document.getText(new vscode.Range(document.positionAt(Math.max(0, from - contextChars)), document.positionAt(from)));
    const text = document.getText(new vscode.Range(document.positionAt(from), document.positionAt(to)));
    const version = document.version;
    const visible = await this.controller.surprisal(context, text);
    if (generation !== this.generation || !this.on || document.version !== version) return;
    if (visible?.note) return this.note('$(info) Surprisal', visible.note);
    if (!visible) return this.note('$(warning) Surprisal', 'the trainer did not answer (it may have ended); toggle again to retry.');
    // Answered but cut short: a newer surprisal request superseded this one, and its answer redraws.
    if (!visible.complete) return;
    const coloured = this.decorate(editor, from, text, visible);
    const unknownShare = text.length ? visible.unknownCount / [...text].length : 0;
    const unknownNote = unknownShare > 0.2
      ? ` · ${(100 * unknownShare).toFixed(0)}% of these characters are not in the model's vocabulary: it was trained on other text`
      : visible.unknownCount > 0 ? ` · ${visible.unknownCount} characters not in the vocabulary (underlined)` : '';
    this.state = { ...this.state, coloured, visibleBitsPerChar: visible.meanBits, note: unknownNote, refreshes: this.state.refreshes + 1 };
    // Measured without copying the text: a big file is never read whole here.
    const tooLarge = document.offsetAt(document.lineAt(document.lineCount - 1).range.end) > maxWholeFileChars;
    const fileText = this.state.fileBitsPerChar !== undefined && !wholeFile ? ` · file ${this.state.fileBitsPerChar.toFixed(2)} bits/char` : '';
    this.show(`$(symbol-color) ${visible.meanBits.toFixed(2)} bits/char${fileText}`,
      `visible lines: ${visible.meanBits.toFixed(2)} bits/char${tooLarge ? ' (the file is too large for a whole-file figure; the visible lines are measured)' : ''}${unknownNote}.`);
    // The whole file again when asked, or when a refresh since cut the last whole-file request short.
    if ((wholeFile || this.state.fileBitsPerChar === undefined) && !tooLarge) this.scheduleWholeFile(editor, generation);
  }

  /** The whole file's bits/char, after the visible lines (a second, longer background request). */
  private scheduleWholeFile(editor: vscode.TextEditor, generation: number): void {
    if (this.wholeFileTimer) clearTimeout(this.wholeFileTimer);
    this.wholeFileTimer = setTimeout(async () => {
      // A refresh since then has its own request in flight; asking now would cut that one short.
      if (generation !== this.generation || !this.on) return;
      const document = editor.document;
      const version = document.version;
      const whole = await this.controller.surprisal('', document.getText(), true);
      if (generation !== this.generation || !this.on || document.version !== version || !whole?.complete) return;
      this.state = { ...this.state, fileBitsPerChar: whole.meanBits };
      const visible = this.state.visibleBitsPerChar;
      this.show(`$(symbol-color) ${visible?.toFixed(2) ?? '–'} bits/char · file ${whole.meanBits.toFixed(2)}`,
        `visible lines ${visible?.toFixed(2) ?? '–'} bits/char; whole file ${whole.meanBits.toFixed(2)} bits/char${whole.unknownCount ? ` (${whole.unknownCount} characters not in the vocabulary)` : ''}${this.state.note}.`);
    }, 200);
  }

  private note(text: string, tooltip: string): void {
    this.state = { ...this.state, note: tooltip };
    this.show(text, tooltip);
  }

  /** One decoration range per run of characters in the same bucket. */
  private decorate(editor: vscode.TextEditor, from: number, text: string, result: SurprisalResult): number {
    const ranges: vscode.Range[][] = surprisalBuckets.map(() => []);
    const unknown: vscode.Range[] = [];
    const document = editor.document;
    let offset = from;
    let runStart = from;
    let runBucket = -2;
    const flush = (end: number) => {
      if (runBucket === -2 || end <= runStart) return;
      const range = new vscode.Range(document.positionAt(runStart), document.positionAt(end));
      (runBucket === -1 ? unknown : ranges[runBucket]).push(range);
    };
    let i = 0;
    for (const ch of text) {
      const bits = result.bits[i++];
      const bucket = bits === undefined ? -2 : bits < 0 ? -1 : surprisalBuckets.findIndex((b) => bits < b.upTo);
      if (bucket !== runBucket || ch === '\n') {
        flush(offset);
        runStart = offset;
        runBucket = ch === '\n' ? -2 : bucket;
      }
      offset += ch.length;
    }
    flush(offset);
    this.decorations.forEach((d, k) => editor.setDecorations(d, ranges[k]));
    editor.setDecorations(this.unknownDecoration, unknown);
    return result.bits.length;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.wholeFileTimer) clearTimeout(this.wholeFileTimer);
    for (const s of this.subscriptions) s.dispose();
    for (const d of this.decorations) d.dispose();
    this.unknownDecoration.dispose();
    this.item.dispose();
  }
}
