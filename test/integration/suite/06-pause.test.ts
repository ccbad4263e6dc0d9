import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { canSeeWebviews, sleep, useRunFixture, waitFor, waitForLabPanel } from './harness';

describe('pause and resume', () => {
  const fixture = useRunFixture();

  it('Pause holds the run at a step, Resume carries on from it', async () => {
    const { api } = fixture;
    await fixture.startRun({ steps: 1_000_000, earlyStop: 0 }); // a run that only ends when it is told to
    await waitFor('a few training steps', () => api.getRunState().status === 'running' && api.getRunState().step > 0, {
      timeoutMs: 60_000,
      describe: () => api.getRunState(),
    });

    await vscode.commands.executeCommand('rnnLab.pause');
    await waitFor('the run to pause', () => api.getRunState().status === 'paused', { timeoutMs: 10_000, describe: () => api.getRunState() });
    const pausedAt = api.getRunState().step;
    await sleep(1000);
    assert.equal(api.getRunState().step, pausedAt, 'no steps are taken while paused');
    if (canSeeWebviews) await waitForLabPanel('the Lab panel to say paused', (view) => view.status === 'paused', 10_000);

    await vscode.commands.executeCommand('rnnLab.resume');
    await waitFor('steps after resuming', () => api.getRunState().status === 'running' && api.getRunState().step > pausedAt, {
      timeoutMs: 10_000,
      describe: () => api.getRunState(),
    });
    if (canSeeWebviews) await waitForLabPanel('the Lab panel to say running', (view) => view.status === 'running', 10_000);
  });
});
