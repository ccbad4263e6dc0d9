import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { corpusFileName } from '../workspace';
import {
  activateExtension, canSeeWebviews, screenshot, sleep, startTraining, stopAnyRun, waitFor, waitForLabPanel, workspaceDir,
  type RnnLabApi,
} from './harness';

describe('training', () => {
  let api: RnnLabApi;

  before(async () => {
    api = await activateExtension();
    await stopAnyRun(api);
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('trains on a file and shows validation points and a sample in the Lab panel', async () => {
    const corpus = join(workspaceDir(), corpusFileName);
    await vscode.window.showTextDocument(vscode.Uri.file(corpus));
    await startTraining(vscode.Uri.file(corpus));

    // The workspace settings ask for 60 steps with an evaluation every 15: four validation points,
    // and one at step 0 before any update.
    const state = await waitFor('the run to complete', () => {
      const s = api.getRunState();
      return s.status === 'completed' ? s : undefined;
    }, { timeoutMs: 120_000, describe: () => api.getRunState() });
    assert.ok(state.evalCount >= 3, `expected at least 3 evaluations, got ${state.evalCount}`);
    assert.ok(state.lastSample && state.lastSample.length > 0, 'the last evaluation carries a sample');

    // Learning, not just running: below the loss of a uniform guess over the file's characters
    // (the model's vocabulary is at least that large, so its uniform loss is at least this).
    const uniformBits = Math.log2(new Set(readFileSync(corpus, 'utf8')).size);
    assert.ok(
      state.lastValBitsPerChar !== undefined && state.lastValBitsPerChar < uniformBits,
      `validation ${state.lastValBitsPerChar} bits/char should be below the uniform ${uniformBits.toFixed(2)}`,
    );

    if (!canSeeWebviews) {
      console.log('      (Lab panel text not checked: no browser hook under this runner)');
      return;
    }
    // The panel may still be catching up with the last messages: wait until it shows every evaluation.
    const panel = await waitForLabPanel('the Lab panel to show every validation point and a sample',
      (view) => view.validationPoints === state.evalCount && Boolean(view.latestSample));
    console.log(`      panel: status ${panel.status}, ${panel.validationPoints} validation points, backend ${panel.backend}, val ${panel.valBitsPerChar} bits/char`);
    console.log(`      latest sample: ${JSON.stringify(panel.latestSample)}`);
    assert.equal(panel.validationPoints, state.evalCount, 'the panel counts every evaluation');
    assert.ok(panel.backend, 'the panel names its backend ("Backend: ...")');
    assert.ok(panel.valBitsPerChar !== undefined && Number.isFinite(panel.valBitsPerChar), 'the panel shows "val x.xx bits/char"');

    // Give the Lab panel the whole editor area for the picture, then put the layout back.
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('rnnLab.showLab');
    await vscode.commands.executeCommand('workbench.action.toggleMaximizeEditorGroup');
    try {
      // The charts redraw on the next animation frames after a resize.
      await sleep(1500);
      console.log(`      screenshot: ${await screenshot('lab-panel')}`);
    } finally {
      await vscode.commands.executeCommand('workbench.action.toggleMaximizeEditorGroup');
    }
  });
});
