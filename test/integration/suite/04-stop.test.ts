import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { canSeeWebviews, processExists, useRunFixture, waitFor, waitForLabPanel } from './harness';

describe('stop', () => {
  const fixture = useRunFixture();

  it('Stop ends the trainer process and the panel says stopped', async () => {
    const { api } = fixture;
    // Far more steps than the test will wait for: only Stop can end this run.
    await fixture.startRun({ steps: 1_000_000, earlyStop: 0 }); // a run that only ends when it is told to

    const pid = await fixture.runningTrainerPid();
    assert.ok(processExists(pid), `trainer ${pid} should be alive while running`);
    if (canSeeWebviews) await waitForLabPanel('the Lab panel to say running', (view) => view.status === 'running');

    await vscode.commands.executeCommand('rnnLab.stop');

    await waitFor(`trainer process ${pid} to exit`, () => !processExists(pid), { timeoutMs: 5_000, describe: () => api.getRunState() });
    await waitFor('the run to be stopped', () => api.getRunState().status === 'stopped', {
      timeoutMs: 5_000,
      describe: () => api.getRunState(),
    });
    if (canSeeWebviews) await waitForLabPanel('the Lab panel to say stopped', (view) => view.status === 'stopped', 10_000);
  });
});
