/**
 * The next-character hover, on every text document while this window has a model: the text before
 * the cursor (at most `contextChars`) goes to the trainer, the top symbols come back as a table.
 * No trainer, no answer in time, or a cancelled hover: no hover at all.
 */
import * as vscode from 'vscode';
import type { RunController } from './runController';
import { probsMarkdown } from './hoverFormat';

const contextChars = 2000;
const topSymbols = 10;
const answerTimeoutMs = 1500;

export function registerProbabilityHover(controller: RunController): vscode.Disposable {
  return vscode.languages.registerHoverProvider('*', {
    async provideHover(document, position, token) {
      if (!controller.hasModel) return undefined;
      const end = document.offsetAt(position);
      const start = document.positionAt(Math.max(0, end - contextChars));
      const context = document.getText(new vscode.Range(start, position));
      const answer = await controller.probs(context, topSymbols, answerTimeoutMs);
      if (!answer || answer.probs.length === 0 || token.isCancellationRequested) return undefined;
      return new vscode.Hover(new vscode.MarkdownString(probsMarkdown(answer, controller.snapshot?.started?.vocabSize)));
    },
  });
}
