/**
 * The throwaway workspace folder the integration tests open: a small corpus and settings for a
 * tiny, fast model, so a whole training run takes seconds. Shared by both runners. The screenshot
 * run opens another one: a real sample text and the default model.
 */
import { mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Settings small enough that a run of `steps` finishes in a few seconds on two cores. */
export const fastTrainingSettings = {
  'rnnLab.hiddenSize': 32,
  'rnnLab.steps': 60,
  'rnnLab.evalInterval': 15,
  'rnnLab.batchSize': 16,
  'rnnLab.seqLength': 32,
  'rnnLab.sampleLength': 60,
  'rnnLab.seed': 7,
};

export const corpusFileName = 'corpus.txt';

/** Creates `<dir>` with `corpus.txt` and `.vscode/settings.json`; `repoRoot` locates the fixture. */
export function createTestWorkspace(dir: string, repoRoot: string): void {
  mkdirSync(join(dir, '.vscode'), { recursive: true });
  copyFileSync(join(repoRoot, 'test/integration/fixtures', corpusFileName), join(dir, corpusFileName));
  writeFileSync(join(dir, '.vscode/settings.json'), JSON.stringify(fastTrainingSettings, null, 2) + '\n');
}

/** The README's run: the prose sample, the default model (hidden 128), long enough to learn words. */
export const screenshotTrainingSettings = {
  'rnnLab.steps': 300,
  'rnnLab.evalInterval': 50,
};

export const screenshotCorpusFileName = 'prose.txt';

/** Creates `<dir>` with the repository's `samples/prose.txt` and `screenshotTrainingSettings`. */
export function createScreenshotWorkspace(dir: string, repoRoot: string): void {
  mkdirSync(join(dir, '.vscode'), { recursive: true });
  copyFileSync(join(repoRoot, 'samples', screenshotCorpusFileName), join(dir, screenshotCorpusFileName));
  writeFileSync(join(dir, '.vscode/settings.json'), JSON.stringify(screenshotTrainingSettings, null, 2) + '\n');
}

/**
 * User settings that keep the workbench quiet and predictable while the tests drive it. No welcome
 * page in particular: its walkthrough opens a webview at startup, which under code-server holds up
 * the next webview (the Lab panel) for up to a minute while their service workers settle.
 */
export const quietWorkbenchSettings = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
};

/** Writes `quietWorkbenchSettings` (and `extra`) as the user settings of a VS Code user-data folder. */
export function writeUserSettings(userDataDir: string, extra: Record<string, unknown> = {}): void {
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify({ ...quietWorkbenchSettings, ...extra }, null, 2) + '\n');
}
