import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { closeLabPanel, labPanel, useRunFixture, waitFor, waitForCompletion, waitForLabPanel, type LabPanelView } from './harness';

describe('Lab panel restore', () => {
  const fixture = useRunFixture({ needsWebviews: true });

  it('a Lab panel closed during a run and opened again shows the whole history', async () => {
    const { api } = fixture;
    // Long enough that the run is still going when it is paused after its first evaluation.
    await fixture.startRun({ steps: 300, evalInterval: 30 });
    await waitFor('the first evaluation', () => api.getRunState().evalCount >= 1, { timeoutMs: 60_000, intervalMs: 50, describe: () => api.getRunState() });
    await vscode.commands.executeCommand('rnnLab.pause');
    await waitFor('the run to pause', () => api.getRunState().status === 'paused', { timeoutMs: 10_000, describe: () => api.getRunState() });
    const pausedAt = api.getRunState();
    const beforeClosing = await waitForLabPanel('the Lab panel to show the paused run',
      (view) => view.status === 'paused' && view.validationPoints === pausedAt.evalCount);

    // Closed while the run goes on: the evaluations from here on reach no webview.
    await closeLabPanel();
    assert.equal(await labPanel(), undefined, 'no Lab panel text on screen once it is closed');
    await vscode.commands.executeCommand('rnnLab.resume');
    const finished = await waitForCompletion(api);
    assert.ok(finished.evalCount > (beforeClosing.validationPoints ?? 0),
      `evaluations happened while the panel was closed (${beforeClosing.validationPoints} before, ${finished.evalCount} in all)`);

    await vscode.commands.executeCommand('rnnLab.showLab');
    const reopened = await waitForLabPanel('the reopened Lab panel to show every evaluation',
      (view) => view.status === 'completed' && view.validationPoints === finished.evalCount);
    // The sample is shown after the text it was primed with.
    assert.equal(reopened.latestSample, firstLine(`${finished.lastPrime ?? ''}${finished.lastSample ?? ''}`), 'the reopened panel shows the run\'s last sample');
    console.log(`      reopened after the run: ${reopened.validationPoints} validation points (${beforeClosing.validationPoints} when closed)`);

    // Closed and opened again once the run is over: exactly what it showed before.
    await closeLabPanel();
    await vscode.commands.executeCommand('rnnLab.showLab');
    const again = await waitForLabPanel('the Lab panel to show the finished run again', (view) => view.status === 'completed');
    assert.deepEqual(shownHistory(again), shownHistory(reopened), 'the same numbers and sample as before closing');
  });
});

/** What a panel shows of the run's history: the count of validation points, the latest sample, the last val loss. */
function shownHistory(view: LabPanelView): Pick<LabPanelView, 'validationPoints' | 'latestSample' | 'valBitsPerChar'> {
  return { validationPoints: view.validationPoints, latestSample: view.latestSample, valBitsPerChar: view.valBitsPerChar };
}

/** The Lab panel's parser reads a sample's first line; samples may span several. */
function firstLine(sample: string | undefined): string | undefined {
  return sample?.split('\n').find((line) => line.trim() !== '')?.trim();
}
