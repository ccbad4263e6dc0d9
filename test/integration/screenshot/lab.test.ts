/**
 * The README's pictures: the Lab panel after training the default model (hidden 128) on
 * samples/prose.txt for 300 steps, with the RNN Lab sidebar beside it. Dark theme first, then
 * light; then the lab cards, the Samples view, the surprisal colouring and the hover on that model; then the
 * time-series lab. Run with `npm run screenshot`; writes media/screenshot-{lab,lab-light,cards,sidebar,surprisal,hover,series}.png.
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SeriesLabState } from '../../../src/protocol/series';
import { screenshotCorpusFileName } from '../workspace';
import {
  activateExtension, canSeeWebviews, clickInWebview, elementTexts, extensionId, fillInWebview, frames, screenshot, sleep, startTraining, waitFor,
  waitForCompletion, waitForLabPanel, webviewTexts, workspaceDir, type RnnLabApi,
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
    const uniformBits = Number(/Random guess:\s*(\d+(?:\.\d+)?) bits\/char/.exec(panel.text)?.[1]);
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

  it('the lab cards, the Samples view writing, the surprisal colouring and the hover, on the same model', async () => {
    const media = join(vscode.extensions.getExtension(extensionId)!.extensionPath, 'media');
    const corpus = vscode.Uri.file(join(workspaceDir(), screenshotCorpusFileName));
    await useTheme('Default Dark Modern');
    await vscode.commands.executeCommand('rnnLab.showLab');
    await waitFor('the Lab panel with its cards', async () => (await webviewTexts('[data-card="q2"] button.run')).length > 0, { timeoutMs: 60_000 });

    // The cards: Q4 (reset_states), the temperature explorer and Q2 answered, the panel scrolled up to Q2's bars.
    for (const id of ['q4', 'temperature', 'q2']) {
      await clickInWebview(`[data-card="${id}"] button.run`);
      await waitFor(`the ${id} card's answer`, async () => (await webviewTexts(`[data-card="${id}"] .card-explanation`)).some((t) => t.trim() !== ''), { timeoutMs: 30_000 });
    }
    await sleep(settleMs);
    await saveScreenshot('screenshot-cards', join(media, 'screenshot-cards.png'));

    // The Samples view streaming a sample after a prime.
    await vscode.commands.executeCommand('workbench.view.extension.rnnLab');
    await waitFor('the Samples view controls', async () => (await webviewTexts('#sample-writer button.generate')).length > 0, { timeoutMs: 30_000 });
    await fillInWebview('#sample-writer [data-input="prime"]', 'The river ');
    await clickInWebview('#sample-writer button.generate');
    await waitFor('the kept sample', async () => (await webviewTexts('ol.kept .sample-card .generated')).length > 0, { timeoutMs: 30_000 });
    await sleep(settleMs);
    await saveScreenshot('screenshot-sidebar', join(media, 'screenshot-sidebar.png'));
    await vscode.commands.executeCommand('workbench.view.explorer');

    // The file coloured by surprisal, with the bits/char in the status bar.
    const editor = await vscode.window.showTextDocument(corpus, { viewColumn: vscode.ViewColumn.One });
    await vscode.commands.executeCommand('rnnLab.toggleSurprisal', true);
    await waitFor('the surprisal colouring', () => api().getSurprisalState().fileBitsPerChar !== undefined, { timeoutMs: 60_000 });
    await sleep(settleMs);
    await saveScreenshot('screenshot-surprisal', join(media, 'screenshot-surprisal.png'));
    await vscode.commands.executeCommand('rnnLab.toggleSurprisal', false);

    // The hover, mid-text.
    const position = new vscode.Position(2, 24);
    const shown = await vscode.window.showTextDocument(editor.document, { viewColumn: vscode.ViewColumn.One });
    shown.selection = new vscode.Selection(position, position);
    await vscode.commands.executeCommand('editor.action.showHover');
    await waitFor('the hover', async () => (await elementTexts('.monaco-hover')).some((t) => t.includes('Actual next')), { timeoutMs: 15_000 });
    await sleep(500);
    await saveScreenshot('screenshot-hover', join(media, 'screenshot-hover.png'));
    await vscode.commands.executeCommand('editor.action.hideHover');
  });

  it('the time-series lab after a short Mackey-Glass run', async () => {
    const media = join(vscode.extensions.getExtension(extensionId)!.extensionPath, 'media');
    await vscode.commands.executeCommand('rnnLab.seriesLab', { mackeyGlass: 1000, hidden: 10, epochs: 300, iterations: 60, generate: 200, seed: 1 });
    await waitFor('the series run to complete', () => seriesApi().getSeriesLabState()?.status === 'completed', { timeoutMs: 120_000 });
    await waitFor('the series panel', async () => (await frames()).some((f) => !f.main && /Status: completed/.test(f.text) && /Validation MSE:/.test(f.text)),
      { timeoutMs: 30_000 });
    // Settings and suggestions folded away, so the plots come into view below the numbers.
    for (let i = 0; i < 2; i++) await clickInWebview('details[open] > summary');
    await sleep(settleMs);
    await saveScreenshot('screenshot-series', join(media, 'screenshot-series.png'));
  });
});

function api() {
  return vscode.extensions.getExtension<RnnLabApi>(extensionId)!.exports;
}

function seriesApi() {
  return vscode.extensions.getExtension<RnnLabApi & { getSeriesLabState(): SeriesLabState | undefined }>(extensionId)!.exports;
}
