import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keptRunsFolder, listRuns } from '../../src/extension/runsList';

function writeLegacyCheckpoint(folder: string, createdAt: string, finalVal: number): void {
  const checkpoint = {
    format: 'rnn-lab-checkpoint', version: 2, sourceName: 'prose.txt', createdAt, step: 10, best: { valLoss: finalVal, step: 10, evalsSinceBest: 0 },
    history: { train: [{ step: 1, loss: 4 }, { step: 10, loss: finalVal }], val: [{ step: 0, valLoss: 4.2 }, { step: 10, valLoss: finalVal }] },
  };
  writeFileSync(join(folder, 'prose-last.rnnlab.json'), JSON.stringify(checkpoint));
}

function writeRunFolder(folder: string, runId: string, createdAt: string, bestValLoss: number, withLast: boolean): string {
  const dir = join(folder, 'runs', 'prose', runId);
  mkdirSync(dir, { recursive: true });
  const record = {
    runId, sourceName: 'prose.txt', status: 'completed', createdAt, updatedAt: createdAt, step: 20, bestValLoss, bestStep: 20,
    history: { train: [{ step: 1, loss: 4 }], val: [{ step: 0, valLoss: 4.2 }, { step: 20, valLoss: bestValLoss }] },
  };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(record));
  // Weights are never parsed here: a checkpoint that is not JSON at all must not matter.
  writeFileSync(join(dir, 'best.rnnlab'), 'binary weights');
  if (withLast) writeFileSync(join(dir, 'last.rnnlab'), 'binary weights');
  return dir;
}

test('Compare runs: every run folder (from its run.json), the flat checkpoints of older builds and their kept curves', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'rnnlab-runs-'));
  try {
    assert.equal((await listRuns(folder)).runs.length, 0);
    writeLegacyCheckpoint(folder, '2026-01-01T10:00:00.000Z', 3.1);
    // Curves an older build kept of a run before that, and of the run whose checkpoint is still there.
    mkdirSync(join(folder, keptRunsFolder));
    const kept = (createdAt: string, bestValLoss: number) => JSON.stringify({ sourceName: 'prose.txt', createdAt, step: 5, bestValLoss, history: { train: [], val: [{ step: 5, valLoss: bestValLoss }] } });
    writeFileSync(join(folder, keptRunsFolder, 'prose@20260101T090000000Z.curves.json'), kept('2026-01-01T09:00:00.000Z', 3.5));
    writeFileSync(join(folder, keptRunsFolder, 'prose@20260101T100000000Z.curves.json'), kept('2026-01-01T10:00:00.000Z', 3.1));
    const first = writeRunFolder(folder, '20260102-100000-000-aaaa', '2026-01-02T10:00:00.000Z', 2.6, true);
    const second = writeRunFolder(folder, '20260102-110000-000-bbbb', '2026-01-02T11:00:00.000Z', 2.9, false);
    const { runs, note } = await listRuns(folder);
    assert.equal(note, undefined);
    assert.deepEqual(runs.map((r) => r.bestValLoss), [2.9, 2.6, 3.1, 3.5], 'newest first, each with its own best');
    assert.deepEqual(runs.slice(0, 2).map((r) => r.id), [join(second, 'best.rnnlab'), join(first, 'last.rnnlab')], 'a run folder is named by its final checkpoint, else its best');
    assert.equal(runs[0].name, 'prose.txt', 'the newest run of a file has its name');
    assert.match(runs[1].name, /^prose\.txt \(run of 2026-01-02 10:00:00\)$/);
    assert.equal(runs[2].id, join(folder, 'prose-last.rnnlab.json'));
    assert.match(runs[3].name, /^prose\.txt \(run of 2026-01-01 09:00:00\)$/);
    assert.equal(new Set(runs.map((r) => r.id)).size, 4, 'distinct ids');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
