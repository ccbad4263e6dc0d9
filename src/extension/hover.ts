/**
 * The next-character hover, on every text document while this window has a model: the text before
 * the cursor (at least `contextChars`, from an anchored start) goes to the trainer, the top symbols come back as a table.
 * No trainer, no answer in time, or a cancelled hover: no hover at all.
 */
import * as vscode from 'vscode';
import type { RunController } from './runController';
import { probsMarkdown } from './hoverFormat';
import { isLinesMode } from './modes';

const contextChars = 2000;
/**
 * The context window starts at a multiple of this offset, so hovers nearby share the same start and
 * the trainer can resume from states it kept along that text instead of re-reading 2,000 characters.
 */
const windowAnchor = 512;
const topSymbols = 10;
const answerTimeoutMs = 1500;

export function registerProbabilityHover(controller: RunController): vscode.Disposable {
  return vscode.languages.registerHoverProvider('*', {
    async provideHover(document, position, token) {
      if (!controller.hasModel) return undefined;
      const end = document.offsetAt(position);
      const lines = isLinesMode(controller.snapshot?.started?.config);
      // Lines mode: the model read each line on its own from the start symbol (the trainer adds it), so the context is the line.
      const start = lines
        ? new vscode.Position(position.line, Math.max(0, position.character - contextChars))
        : document.positionAt(Math.max(0, Math.floor((end - contextChars) / windowAnchor) * windowAnchor));
      const context = document.getText(new vscode.Range(start, position));
      // The character that follows (two UTF-16 units: a whole astral character), to score it.
      const next = [...document.getText(new vscode.Range(position, document.positionAt(end + 2)))][0];
      const answer = await controller.probs(context, topSymbols, answerTimeoutMs, { next });
      if (!answer || answer.probs.length === 0 || token.isCancellationRequested) return undefined;
      return new vscode.Hover(new vscode.MarkdownString(probsMarkdown(answer, controller.snapshot?.started?.vocabSize)));
    },
  });
}
