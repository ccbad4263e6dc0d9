/**
 * The README's pictures: the Lab panel after training the default model (hidden 128) on
 * samples/prose.txt for 300 steps, with the RNN Lab sidebar beside it. Dark theme first, then
 * light. Run with `npm run screenshot`; writes media/screenshot-lab.png and media/screenshot-lab-light.png.
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { screenshotCorpusFileName } from '../workspace';
import {
  activateExtension, canSeeWebviews, extensionId, frames, screenshot, sleep, startTraining, waitFor, waitForCompletion, waitForLabPanel,
  workspaceDir,
} from '../suite/harness';

/** The README embeds these; a bigger file would bloat the repository and the extension's page. */
const maxBytes = 300 * 1024;

/** Lets the charts redraw (after a resize or a theme change) and the workbench settle. */
const settleMs = 2000;

async function saveScreenshot(name: string, target: string): Promise<void> {
  const shot = await screenshot(name);
  copyFileSync(shot, target);
  const bytes = statSync(target).size;
  console.log(`      ${target}: ${(bytes / 1024).toFixed(0)} KB`);
  assert.ok(bytes <= maxBytes, `${target} is ${bytes} bytes, more than ${maxBytes}`);
}

/**
 * Switches the colour theme in the running window. (A theme named in the user settings file is
 * not applied at startup here: the workbench comes up in its built-in light fallback.)
 */
async function useTheme(name: string): Promise<void> {
  await vscode.workspace.getConfiguration('workbench').update('colorTheme', name, vscode.ConfigurationTarget.Global);
  await sleep(settleMs);
}

describe('README screenshots', () => {
  it('the Lab panel after 300 steps on prose.txt, dark and light', async () => {
    assert.ok(canSeeWebviews, 'screenshots need the browser hook: run npm run screenshot');
    const api = await activateExtension();
    const media = join(vscode.extensions.getExtension(extensionId)!.extensionPath, 'media');
    const corpus = vscode.Uri.file(join(workspaceDir(), screenshotCorpusFileName));

    await vscode.window.showTextDocument(corpus);
    await startTraining(corpus);
    const run = await waitForCompletion(api, 240_000);
    const panel = await waitForLabPanel('the finished run in the Lab panel',
      (view) => view.status === 'completed' && view.validationPoints === run.evalCount);
    const uniformBits = Number(/Random guess:[^(]*\((\d+(?:\.\d+)?) bits\/char\)/.exec(panel.text)?.[1]);
    console.log(`      ${run.step} steps, ${run.evalCount} evaluations, val ${run.lastValBitsPerChar?.toFixed(2)} bits/char (uniform guess ${uniformBits.toFixed(2)})`);
    console.log(`      last sample: ${JSON.stringify(run.lastSample)}`);
    // A picture worth showing: the model has learned well beyond a guess.
    assert.ok(run.lastValBitsPerChar !== undefined && run.lastValBitsPerChar < 0.7 * uniformBits, 'validation loss well below the random guess');

    // The samples in the sidebar, opened once the panel has rendered (one webview at a time).
    await vscode.commands.executeCommand('workbench.view.extension.rnnLab');
    await waitFor('the Samples view', async () => (await frames()).some((f) => !f.main && /Status: completed · \d+ evaluations/.test(f.text)));
    // The Lab panel alone in the editor area, the cursor out of the way.
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('rnnLab.showLab');
    await vscode.commands.executeCommand('workbench.action.closeEditorsInOtherGroups');
    await useTheme('Default Dark Modern');
    await saveScreenshot('screenshot-lab', join(media, 'screenshot-lab.png'));
    await useTheme('Default Light Modern');
    await saveScreenshot('screenshot-lab-light', join(media, 'screenshot-lab-light.png'));
  });
});
