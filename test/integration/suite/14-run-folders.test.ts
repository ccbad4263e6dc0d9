import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { corpusFileName } from '../workspace';
import { canSeeWebviews, notifications, sleep, useRunFixture, waitFor, waitForCompletion, waitForLabPanel, workspaceDir } from './harness';

const stem = corpusFileName.replace(/\.txt$/, '');
const fileBest = () => join(workspaceDir(), '.rnnlab', `${stem}-best.rnnlab`);

describe('run folders: no run replaces another run\'s model', () => {
  const fixture = useRunFixture();

  it('retraining a file with a worse run keeps the earlier, better best model', async () => {
    await fixture.startRun({});
    const good = await waitForCompletion(fixture.api);
    const goodBest = readFileSync(fileBest());
    const goodRun = dirname(good.checkpointPath!);
    // One step: a worse model, in its own run folder.
    await fixture.startRun({ steps: 1, evalInterval: 1 });
    const worse = await waitForCompletion(fixture.api);
    const worseRun = dirname(worse.checkpointPath!);
    assert.notEqual(worseRun, goodRun);
    assert.ok(existsSync(join(goodRun, 'best.rnnlab')) && existsSync(join(worseRun, 'best.rnnlab')), 'both runs keep their checkpoints');
    assert.ok(worse.lastValBitsPerChar! > good.lastValBitsPerChar!, `${worse.lastValBitsPerChar} vs ${good.lastValBitsPerChar}`);
    assert.deepEqual(readFileSync(fileBest()), goodBest, 'the file\'s best is still the better run\'s');
  });

  it('a checkpoint that cannot be written ends the run with a notice that stays and a status line', async () => {
    // The file's best cannot be replaced: a folder is in its way (and no record says a better one is there).
    const record = join(workspaceDir(), '.rnnlab', 'runs', stem, 'best.json');
    rmSync(record, { force: true });
    rmSync(fileBest(), { recursive: true, force: true });
    mkdirSync(join(fileBest(), 'in-the-way'), { recursive: true });
    try {
      await fixture.startRun({});
      const ended = await waitFor('the run to end with an error', () => {
        const s = fixture.api.getRunState();
        return s.status === 'error' ? s : undefined;
      }, { timeoutMs: 60_000, describe: () => fixture.api.getRunState() });
      assert.ok(ended.step < 60, 'the run ends at the failed write');
      if (!canSeeWebviews) return;
      const lost = /Could not update the best model of .*the last good checkpoint is .*best\.rnnlab/;
      await waitForLabPanel('the Lab\'s status to say what was lost', (view) => lost.test(view.text));
      await waitFor('the notice', async () => (await notifications()).some((n) => lost.test(n.message)), { timeoutMs: 10_000 });
      // Plain notices leave after about 10 s; this one stays.
      await sleep(15_000);
      assert.ok((await notifications()).some((n) => lost.test(n.message)), 'the notice is still there');
      await waitForLabPanel('the Lab\'s status still to say it', (view) => lost.test(view.text), 5_000);
    } finally {
      rmSync(fileBest(), { recursive: true, force: true });
    }
  });
});
