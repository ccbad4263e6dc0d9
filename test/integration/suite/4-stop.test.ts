import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { corpusFileName } from '../workspace';
import {
  activateExtension, canSeeWebviews, processExists, startTraining, stopAnyRun, waitFor, waitForLabPanel, withSettings, workspaceDir,
  type RnnLabApi,
} from './harness';

describe('stop', () => {
  let api: RnnLabApi;
  let restoreSettings: (() => Promise<void>) | undefined;

  before(async () => {
    api = await activateExtension();
  });

  afterEach(async () => {
    await stopAnyRun(api);
    await restoreSettings?.();
  });

  it('Stop ends the trainer process and the panel says stopped', async () => {
    await stopAnyRun(api);
    // Far more steps than the test will wait for: only Stop can end this run.
    restoreSettings = await withSettings({ steps: 1_000_000 });
    await startTraining(vscode.Uri.file(join(workspaceDir(), corpusFileName)));

    const pid = await waitFor('a running trainer', () => {
      const s = api.getRunState();
      return s.status === 'running' && s.trainerPid !== undefined ? s.trainerPid : undefined;
    }, { timeoutMs: 60_000, describe: () => api.getRunState() });
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
