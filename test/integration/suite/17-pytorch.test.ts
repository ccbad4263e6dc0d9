import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, canSeeWebviews, corpusUri, ensureCompletedRun, hoverRows, stopAnyRun, waitFor, waitForLabPanel, workspaceDir, type RnnLabApi } from './harness';

describe('Continue in PyTorch, and back', () => {
  let api: RnnLabApi;

  before(async () => {
    api = await activateExtension();
  });

  after(async () => {
    await stopAnyRun(api);
  });

  it('"Continue in PyTorch…" writes the run\'s folder and opens its README; "Open model…" reads the folder back and the hover answers from it', async () => {
    const run = await ensureCompletedRun(api);
    const folder = join(workspaceDir(), 'continued-in-pytorch');
    rmSync(folder, { recursive: true, force: true });
    const written = await vscode.commands.executeCommand<string | undefined>('rnnLab.continueInPytorch', undefined, { folder });
    assert.equal(written, folder);
    for (const file of ['model.py', 'train.py', 'predict.py', 'README.md', 'weights.safetensors', 'config.json', 'vocab.json']) {
      assert.ok(existsSync(join(folder, file)), `${file} is written`);
    }
    const readme = await waitFor('the README to open', () => {
      const doc = vscode.window.activeTextEditor?.document;
      return doc?.uri.fsPath === join(folder, 'README.md') ? doc : undefined;
    }, { timeoutMs: 10_000 });
    assert.match(readme.getText(), /torchrun --standalone --nproc_per_node=4 train\.py/);
    const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as { step: number; text?: string; spec: { cell: string } };
    assert.equal(config.step, run.step, 'the run\'s step');
    assert.equal(config.text, corpusUri().fsPath, 'train.py reads the run\'s text by default');

    // Open model… with the folder's config.json (what a file dialog lets one pick) opens the folder.
    await vscode.commands.executeCommand('rnnLab.openModel', vscode.Uri.file(join(folder, 'config.json')));
    const opened = await waitFor('the PyTorch folder to open', () => {
      const s = api.getRunState();
      return s.status === 'opened' && s.checkpointPath === folder ? s : undefined;
    }, { timeoutMs: 30_000, describe: () => api.getRunState() });
    assert.ok(opened.lastSample, 'a sample is drawn when the model opens');
    if (canSeeWebviews) {
      await waitForLabPanel('the Lab to say a PyTorch folder is open', (v) => v.status === 'opened' && /\(PyTorch folder of a run on /.test(v.text), 15_000);
    }
    const rows = await waitFor('the hover on the PyTorch model', () => hoverRows(new vscode.Position(3, 20)), { timeoutMs: 15_000 });
    assert.ok(rows.length >= 3, JSON.stringify(rows));
  });
});
