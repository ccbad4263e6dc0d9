import * as assert from 'node:assert/strict';
import { canSeeWebviews, corpusUri, processExists, startTraining, useRunFixture, waitFor, waitForLabPanel } from './harness';

describe('crashed trainer', () => {
  const fixture = useRunFixture();

  it('a killed trainer shows as crashed, and the next run still works', async () => {
    const { api } = fixture;
    await fixture.startRun({ steps: 1_000_000, earlyStop: 0 }); // a run that only ends when it is told to
    const pid = await fixture.runningTrainerPid();

    process.kill(pid, 'SIGKILL');

    await waitFor('the run to be marked crashed', () => api.getRunState().status === 'crashed', {
      timeoutMs: 10_000,
      describe: () => api.getRunState(),
    });
    assert.ok(!processExists(pid), `trainer ${pid} was killed`);
    if (canSeeWebviews) await waitForLabPanel('the Lab panel to say crashed', (view) => view.status === 'crashed', 10_000);

    // The extension survives: a new (short) run starts in a new process and completes.
    await fixture.restoreSettings();
    await startTraining(corpusUri());
    const next = await waitFor('the next run to complete', () => {
      const s = api.getRunState();
      return s.status === 'completed' ? s : undefined;
    }, { timeoutMs: 120_000, describe: () => api.getRunState() });
    assert.ok(next.evalCount >= 1, 'the new run evaluated');
    if (canSeeWebviews) await waitForLabPanel('the Lab panel to say completed', (view) => view.status === 'completed', 10_000);
  });
});
