import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { corpusFileName } from '../workspace';
import {
  activateExtension, canSeeWebviews, processExists, startTraining, stopAnyRun, waitFor, waitForLabPanel, withSettings, workspaceDir,
  type RnnLabApi,
} from './harness';

describe('crashed trainer', () => {
  let api: RnnLabApi;
  let restoreSettings: (() => Promise<void>) | undefined;

  before(async () => {
    api = await activateExtension();
  });

  afterEach(async () => {
    await stopAnyRun(api);
    await restoreSettings?.();
    restoreSettings = undefined;
  });

  it('a killed trainer shows as crashed, and the next run still works', async () => {
    await stopAnyRun(api);
    const corpus = vscode.Uri.file(join(workspaceDir(), corpusFileName));
    restoreSettings = await withSettings({ steps: 1_000_000 });
    await startTraining(corpus);
    const pid = await waitFor('a running trainer', () => {
      const s = api.getRunState();
      return s.status === 'running' && s.trainerPid !== undefined ? s.trainerPid : undefined;
    }, { timeoutMs: 60_000, describe: () => api.getRunState() });

    process.kill(pid, 'SIGKILL');

    await waitFor('the run to be marked crashed', () => api.getRunState().status === 'crashed', {
      timeoutMs: 10_000,
      describe: () => api.getRunState(),
    });
    assert.ok(!processExists(pid), `trainer ${pid} was killed`);
    if (canSeeWebviews) await waitForLabPanel('the Lab panel to say crashed', (view) => view.status === 'crashed', 10_000);

    // The extension survives: a new (short) run starts in a new process and completes.
    await restoreSettings();
    restoreSettings = undefined;
    await startTraining(corpus);
    const next = await waitFor('the next run to complete', () => {
      const s = api.getRunState();
      return s.status === 'completed' ? s : undefined;
    }, { timeoutMs: 120_000, describe: () => api.getRunState() });
    assert.ok(next.evalCount >= 1, 'the new run evaluated');
    if (canSeeWebviews) await waitForLabPanel('the Lab panel to say completed', (view) => view.status === 'completed', 10_000);
  });
});
