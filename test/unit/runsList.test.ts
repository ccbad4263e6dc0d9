import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepEarlierRun, keptRunsFolder, listRuns } from '../../src/extension/runsList';

function writeRun(folder: string, createdAt: string, finalVal: number): void {
  const checkpoint = {
    format: 'rnn-lab-checkpoint', version: 2, sourceName: 'prose.txt', createdAt, step: 10, best: { valLoss: finalVal, step: 10, evalsSinceBest: 0 },
    history: { train: [{ step: 1, loss: 4 }, { step: 10, loss: finalVal }], val: [{ step: 0, valLoss: 4.2 }, { step: 10, valLoss: finalVal }] },
  };
  writeFileSync(join(folder, 'prose-last.rnnlab.json'), JSON.stringify(checkpoint));
}

test('Compare runs: a re-run of a file keeps the earlier run\'s curves beside the new one', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'rnnlab-runs-'));
  try {
    await keepEarlierRun(folder, 'prose.txt'); // nothing to keep yet
    writeRun(folder, '2026-01-01T10:00:00.000Z', 3.1);
    assert.equal((await listRuns(folder)).runs.length, 1);
    // A second run starts: the first one's curves are kept, then its checkpoint is overwritten.
    await keepEarlierRun(folder, 'prose.txt');
    assert.equal((await listRuns(folder)).runs.length, 1, 'a kept run whose checkpoint is still there is listed once');
    writeRun(folder, '2026-01-01T11:00:00.000Z', 2.5);
    const { runs, note } = await listRuns(folder);
    assert.equal(note, undefined);
    assert.equal(runs.length, 2);
    assert.equal(new Set(runs.map((r) => r.id)).size, 2, 'distinct ids');
    assert.deepEqual(runs.map((r) => r.val[1].valLoss), [2.5, 3.1], 'newest first, each with its own curve');
    assert.deepEqual(runs.map((r) => r.bestValLoss), [2.5, 3.1], 'the best validation loss of a checkpoint and of the kept curves');
    assert.equal(runs[0].name, 'prose.txt');
    assert.match(runs[1].name, /^prose\.txt \(run of 2026-01-01 10:00:00\)$/);
    assert.equal(readdirSync(join(folder, keptRunsFolder)).length, 1);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
