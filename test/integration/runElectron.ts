/**
 * Runs the same integration suite under desktop VS Code through @vscode/test-electron, for
 * machines that can download VS Code (`npm run test:electron`). The default runner is
 * runCodeServer.js, which needs no download.
 *
 * There is no browser hook here, so the suite checks the run through the extension's API and
 * skips what only a webview shows (it says so in its report).
 *
 * Environment: VSCODE_VERSION (default 'stable'; the extension needs 1.100 or later).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { createTestWorkspace, writeUserSettings } from './workspace';

const repoRoot = resolve(__dirname, '../../..');

async function main(): Promise<number> {
  const tmp = mkdtempSync(join(tmpdir(), 'rnn-lab-electron-test-'));
  const workspaceDir = join(tmp, 'workspace');
  createTestWorkspace(workspaceDir, repoRoot);
  writeUserSettings(join(tmp, 'user-data'));
  const started = Date.now();
  try {
    await runTests({
      version: process.env.VSCODE_VERSION || 'stable',
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: join(__dirname, 'suite/index.js'),
      launchArgs: [
        workspaceDir,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        '--user-data-dir', join(tmp, 'user-data'),
      ],
    });
    console.log(`[electron-test] passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (error) {
    console.error(`[electron-test] failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
