import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension } from './harness';

describe('activation', () => {
  it('activates and registers the RNN Lab commands', async () => {
    const api = await activateExtension();
    assert.equal(api.getRunState().status, 'idle', 'a fresh window has no run yet');

    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of ['rnnLab.train', 'rnnLab.stop', 'rnnLab.pause', 'rnnLab.resume', 'rnnLab.showLab', 'rnnLab.sample']) {
      assert.ok(registered.has(id), `command ${id} is not registered`);
    }
  });
});
