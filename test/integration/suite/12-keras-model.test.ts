import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { visibleSymbol } from '../../../src/extension/hoverFormat';
import { kerasForward, randomNet, writeKerasFile } from '../../unit/support/kerasFiles';
import { activateExtension, canSeeWebviews, corpusUri, hoverRows, stopAnyRun, waitFor, waitForLabPanel, workspaceDir, type RnnLabApi } from './harness';

// Seed 004's char2id in id order (S and E last), and its model: LSTM 128, Dense 128 (relu), Dense V.
const seedSymbols = [...'a veryclndwotmpbhifksugzqjx254390617SE'];

describe('Keras weights opened as a model', () => {
  let api: RnnLabApi;

  before(async () => {
    api = await activateExtension();
  });

  after(async () => {
    await stopAnyRun(api);
  });

  for (const layout of ['tfkeras2-full', 'keras1.0'] as const) {
    it(`"Open model…" serves a ${layout === 'keras1.0' ? 'Keras 1.x' : 'tf.keras 2'} file of the seed 004 model: the hover shows its probabilities`, async () => {
      await stopAnyRun(api);
      const gateActivation = layout === 'keras1.0' ? 'hard_sigmoid' : 'sigmoid';
      const net = randomNet({ cell: 'lstm', V: 38, E: 0, H: 128, layers: 1, D: 128, hiddenActivation: 'relu', gateActivation }, 31, 0.3);
      const name = `seed004-${layout}.h5`;
      const file = join(workspaceDir(), name);
      await writeKerasFile(file, net, layout, { timeDistributed: true });
      const vocab = join(workspaceDir(), 'char2id.json');
      writeFileSync(vocab, JSON.stringify(seedSymbols));
      // tf.keras 2: the vocabulary beside the file, as `rnn-lab export` leaves it; Keras 1: named explicitly.
      if (layout === 'tfkeras2-full') writeFileSync(join(workspaceDir(), `seed004-${layout}.vocab.json`), JSON.stringify(seedSymbols));
      await vscode.commands.executeCommand('rnnLab.openModel', vscode.Uri.file(file), layout === 'keras1.0' ? { vocab } : undefined);
      await waitFor('the Keras model to open', () => api.getRunState().status === 'opened' && api.getRunState().sourceName === name, {
        timeoutMs: 30_000, describe: () => api.getRunState(),
      });
      const drawn = api.getRunState().lastSample;
      assert.ok(drawn, 'a sample is drawn when the model opens');
      if (canSeeWebviews) {
        // The Lab says what was opened (not "completed") and shows that sample as the latest one at once.
        const view = await waitForLabPanel('the Lab to show the opened Keras model', (v) => v.status === 'opened' && v.text.includes(name), 15_000);
        assert.match(view.text, new RegExp(`Opened model: ${name.replace(/\./g, '\\.')} \\(Keras weights`));
        assert.doesNotMatch(view.text, /first sample appears at the first evaluation/);
        assert.match(view.text, /drawn when the model was opened/);
        const shown = `${api.getRunState().lastPrime ?? ''}${drawn}`.split('\n').find((l) => l.trim() !== '')?.trim();
        assert.equal(view.latestSample, shown, 'the latest sample is the one drawn at opening');
      }

      // A lines model reads the current line after its start symbol; characters outside its vocabulary read as nothing.
      const position = new vscode.Position(3, 20);
      const line = (await vscode.workspace.openTextDocument(corpusUri())).lineAt(3).text.slice(0, 20);
      const probs = kerasForward(net, [36, ...[...line].map((c) => seedSymbols.slice(0, 36).indexOf(c))]).at(-1)!;
      const order = [...probs.keys()].sort((a, b) => probs[b] - probs[a]);
      const rows = await waitFor('the hover on the Keras model', () => hoverRows(position), { timeoutMs: 15_000 });
      assert.ok(rows.length >= 3, JSON.stringify(rows));
      rows.slice(0, 3).forEach(([symbol, percent], i) => {
        const k = order[i];
        const expected = k === 37 ? '⟨/s⟩' : visibleSymbol(seedSymbols[k]);
        assert.equal(symbol, expected, `row ${i + 1}: ${JSON.stringify(rows)}`);
        assert.ok(Math.abs(percent - 100 * probs[k]) <= 0.051, `row ${i + 1}: ${percent}% where Keras computes ${(100 * probs[k]).toFixed(3)}%`);
      });
      console.log(`      ${name}: hover ${rows.slice(0, 3).map(([s, p]) => `${s} ${p}%`).join(', ')}`);
    });
  }

  it('"Train" on a file too short to train keeps the opened model: the Lab says the run failed and why, the hover still answers', async () => {
    const opened = api.getRunState();
    assert.equal(opened.status, 'opened', 'the previous test left a Keras model open');
    const short = join(workspaceDir(), 'twenty-chars.txt');
    writeFileSync(short, 'abcdefghij klmnopqr\n');
    await vscode.commands.executeCommand('rnnLab.train', vscode.Uri.file(short));
    const state = await waitFor('the failed start to put the opened model back', () => {
      const s = api.getRunState();
      return s.status === 'opened' && s.trainerPid === opened.trainerPid ? s : undefined;
    }, { timeoutMs: 30_000, describe: () => api.getRunState() });
    assert.equal(state.sourceName, opened.sourceName);
    if (canSeeWebviews) {
      const failed = /Training on twenty-chars\.txt failed: .*too short.* The model loaded before \(seed004-keras1\.0\.h5\) is still in use\./;
      const view = await waitForLabPanel('the Lab to say why the run failed, over the opened model', (v) => failed.test(v.text), 15_000);
      assert.equal(view.status, 'opened');
      assert.ok(view.latestSample, 'the opened model\'s sample is still shown');
    }
    const rows = await waitFor('the hover on the model kept', () => hoverRows(new vscode.Position(3, 20)), { timeoutMs: 15_000 });
    assert.ok(rows.length >= 3, JSON.stringify(rows));
  });
});
