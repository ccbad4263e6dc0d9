import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keptRunsFolder, listRuns } from '../../src/extension/runsList';
import { defaultTrainConfig } from '../../src/protocol/messages';
import { bitsAxisLabel } from '../../src/protocol/lossFormat';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import { corpusFromText } from '../../src/engine/data/corpus';
import { TrainingRun } from '../../src/engine/train/run';

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

test('Compare runs: each run says whether its losses are bits/char or bits/word (run.json, older checkpoints, older records)', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'rnnlab-runs-'));
  try {
    // A word-level run as the trainer writes it: its run.json must say what its tokens are.
    const words = 'the cat sat on the mat and the dog sat on the log. '.repeat(40);
    const config = { ...defaultTrainConfig, tokens: 'word' as const, hiddenSize: 8, batchSize: 2, seqLength: 4, steps: 4, evalInterval: 2, sampleLength: 5, backend: 'reference' as const };
    const run = new TrainingRun({
      runId: 'w', sourceName: 'words.txt', text: corpusFromText(words, { maxVocab: 50, tokens: 'word', name: 'words.txt' }), config,
      backend: createReferenceBackend('float32'), checkpointDir: folder, events: {},
    });
    const finished = await run.run();
    assert.equal(finished.reason, 'completed', finished.message);
    // A flat checkpoint of an older build (its config says words) and a char run's record of an older build (no tokens field).
    writeFileSync(join(folder, 'poem-last.rnnlab.json'), JSON.stringify({
      format: 'rnn-lab-checkpoint', version: 2, sourceName: 'poem.txt', createdAt: '2026-01-01T10:00:00.000Z', step: 10, config: { tokens: 'word' },
      best: { valLoss: 5, step: 10, evalsSinceBest: 0 }, history: { train: [{ step: 1, loss: 6 }], val: [{ step: 10, valLoss: 5 }] },
    }));
    writeRunFolder(folder, '20260102-100000-000-aaaa', '2026-01-02T10:00:00.000Z', 2.6, true);
    const { runs } = await listRuns(folder);
    const byName = new Map(runs.map((r) => [r.name, r]));
    assert.equal(byName.get('words.txt')?.tokens, 'word', 'a word run\'s run.json');
    assert.equal(byName.get('poem.txt')?.tokens, 'word', 'an older checkpoint of a word run');
    assert.equal(byName.get('prose.txt')?.tokens, 'char', 'a record without tokens is a char run');
    assert.equal(bitsAxisLabel(['word']), 'bits/word');
    assert.equal(bitsAxisLabel(['char', 'char']), 'bits/char');
    assert.match(bitsAxisLabel(['char', 'word']), /char.*word/);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
