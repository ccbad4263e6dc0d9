import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { corpusFileName } from '../workspace';
import {
  activateExtension, canSeeWebviews, elementTexts, sleep, stopAnyRun, waitFor, waitForCompletion, waitForLabPanel, workspaceDir,
  type RnnLabApi,
} from './harness';

describe('training on a selection', () => {
  let api: RnnLabApi;

  before(async () => {
    api = await activateExtension();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await stopAnyRun(api);
  });

  it('with text selected, "Train" offers the selection and trains on it alone', async () => {
    await stopAnyRun(api);
    const corpus = join(workspaceDir(), corpusFileName);
    const fileLength = readFileSync(corpus, 'utf8').length;
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(corpus), { viewColumn: vscode.ViewColumn.One });
    // The first eight lines: enough for a few training rows and a validation slice, a third of the file.
    editor.selection = new vscode.Selection(new vscode.Position(0, 0), new vscode.Position(8, 0));
    const selected = editor.document.getText(editor.selection);
    assert.ok(selected.length > 300 && selected.length < fileLength / 2, `a selection well short of the file (${selected.length} of ${fileLength})`);

    // No Uri argument, as from the command palette: the command asks, so it is not awaited yet.
    const training = vscode.commands.executeCommand('rnnLab.train');
    const label = `Train on the selection (${selected.length.toLocaleString('en-US')} chars)`;
    if (canSeeWebviews) {
      let seen: string[] = [];
      await waitFor('the QuickPick to offer the selection', async () => {
        seen = await elementTexts('.quick-input-widget');
        return seen.some((text) => text.includes(label) && text.includes('Train on the whole file'));
      }, { timeoutMs: 15_000, describe: () => seen });
      const focused = await elementTexts('.quick-input-list .monaco-list-row.focused');
      assert.ok(focused.length === 1 && focused[0].includes(label), `the selection is the focused choice: ${JSON.stringify(focused)}`);
    } else {
      await sleep(1000);
    }
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await training;

    const state = await waitForCompletion(api);
    assert.equal(state.sourceName, `${corpusFileName} (selection)`);
    assert.equal((state.trainChars ?? 0) + (state.valChars ?? 0), selected.length, 'the run trains and validates on exactly the selected text');
    console.log(`      trained on ${state.trainChars} + ${state.valChars} chars of a ${fileLength}-char file`);
    if (canSeeWebviews) {
      const panel = await waitForLabPanel('the Lab panel to name the selection', (view) => view.status === 'completed' && view.text.includes(`RNN Lab: ${corpusFileName} (selection)`));
      assert.equal(panel.validationPoints, state.evalCount);
    }
  });
});
