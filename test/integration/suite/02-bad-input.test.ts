import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import {
  activateExtension, canSeeWebviews, checkpointFiles, hasActiveRun, notifications, startTraining, stopAnyRun, waitFor, workspaceDir,
  type RnnLabApi,
} from './harness';
import type { Notification } from '../hookProtocol';

/** A few bytes of a PNG header and NUL-padded binary junk: not text by any measure. */
function binaryBytes(): Buffer {
  const bytes = Buffer.alloc(4096);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
  for (let i = 8; i < bytes.length; i++) bytes[i] = (i * 37) % 7 === 0 ? 0 : (i * 131) & 0xff;
  return bytes;
}

describe('bad input', () => {
  let api: RnnLabApi;

  before(async () => {
    api = await activateExtension();
  });

  beforeEach(async () => {
    await stopAnyRun(api);
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('notifications.hideList');
  });

  const cases: Array<{ title: string; fileName: string; content: () => Buffer }> = [
    { title: 'an empty file', fileName: 'empty.txt', content: () => Buffer.alloc(0) },
    { title: 'a binary file', fileName: 'image.bin', content: binaryBytes },
  ];

  for (const { title, fileName, content } of cases) {
    it(`${title} gives an "RNN Lab:" error and writes no checkpoint`, async () => {
      const file = join(workspaceDir(), fileName);
      writeFileSync(file, content());
      const filesBefore = checkpointFiles();
      const before = api.getRunState();

      await startTraining(vscode.Uri.file(file));

      if (canSeeWebviews) {
        // Read the notification center, not only the toasts: VS Code shows no toast for a
        // notification that comes within a burst of others (here the run's progress notifications).
        await vscode.commands.executeCommand('notifications.showList');
        let seen: Notification[] = [];
        const error = await waitFor(`an "RNN Lab:" error notification about ${fileName}`, async () => {
          seen = await notifications();
          return seen.find((n) => n.severity === 'error' && n.message.startsWith('RNN Lab:'));
        }, { timeoutMs: 30_000, describe: () => seen });
        console.log(`      error shown: ${error.message}`);
      } else {
        console.log('      (notification text not checked: no browser hook under this runner)');
      }

      await waitFor('no active run', () => !hasActiveRun(api), {
        timeoutMs: 15_000,
        describe: () => api.getRunState(),
      });
      // Nothing was evaluated: the failed run shows none, or the run before it is back as it was (its model kept).
      const after = api.getRunState();
      if (after.evalCount !== 0) {
        assert.deepEqual([after.status, after.evalCount, after.trainerPid], [before.status, before.evalCount, before.trainerPid], 'the model loaded before is kept');
      }
      assert.deepEqual(checkpointFiles(), filesBefore, 'no file may be written under .rnnlab/');
    });
  }
});
