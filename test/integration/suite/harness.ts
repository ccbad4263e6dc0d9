/**
 * What the integration tests share: the extension's API, its commands, polling, and the browser
 * hook (hookProtocol.ts) that reads the Lab panel's text and the notifications.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import {
  hookEnvVar, type ActionReply, type ElementsReply, type FrameText, type FramesReply, type Notification, type NotificationsReply, type ScreenshotReply,
  type WebviewProblem, type WebviewProblemsReply, type WebviewStylesReply,
} from '../hookProtocol';
import { corpusFileName } from '../workspace';
import type { RunState } from '../../../src/extension/runStore';
import type { SurprisalState } from '../../../src/extension/surprisalView';
import type { GpuState } from '../../../src/extension/gpuBridge';

export const extensionId = 'rnn-lab.rnn-lab';

/** What `activate()` returns about the run: the extension's own type, so the two cannot drift apart. */
export type { RunState };

export interface RnnLabApi {
  getRunState(): RunState;
  getSurprisalState(): SurprisalState;
  getGpuState(): GpuState;
}

const activeStatuses = new Set(['starting', 'running', 'paused', 'stopping']);

export async function activateExtension(): Promise<RnnLabApi> {
  const extension = vscode.extensions.getExtension<RnnLabApi>(extensionId);
  assert.ok(extension, `extension ${extensionId} is not installed in this window`);
  const api = await extension.activate();
  assert.equal(typeof api?.getRunState, 'function', 'activate() must return { getRunState() }');
  return api;
}

export function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need a workspace folder');
  return folder.uri.fsPath;
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * Polls `probe` until it returns something other than undefined/false. On timeout the error says
 * what was awaited and what `describe()` saw last, so a failure explains itself.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 60_000, intervalMs = 250, describe }: { timeoutMs?: number; intervalMs?: number; describe?: () => unknown } = {},
): Promise<T> {
  const started = Date.now();
  const until = started + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) {
      // Slow but in time: worth a line in the report, since it eats into the time limits.
      const waited = Date.now() - started;
      if (waited > 5_000) console.log(`      (waited ${(waited / 1000).toFixed(1)} s for ${what})`);
      return value;
    }
    if (Date.now() > until) {
      const seen = describe ? `\nlast seen: ${JSON.stringify(await describe(), null, 1)}` : '';
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${seen}`);
    }
    await sleep(intervalMs);
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs "Train char-LSTM on this file" on `uri`; the command returns once the run has started. */
export async function startTraining(uri: vscode.Uri): Promise<void> {
  await vscode.commands.executeCommand('rnnLab.train', uri);
}

/** Whether a run is starting, running, paused or stopping. */
export function hasActiveRun(api: RnnLabApi): boolean {
  return activeStatuses.has(api.getRunState().status);
}

/** Stops any run that is still going, so the next test starts from a quiet extension. */
export async function stopAnyRun(api: RnnLabApi): Promise<void> {
  if (!hasActiveRun(api)) return;
  await vscode.commands.executeCommand('rnnLab.stop');
  await waitFor('the previous run to stop', () => !hasActiveRun(api), {
    timeoutMs: 15_000,
    describe: () => api.getRunState(),
  });
}

/** Applies workspace settings for one test; call the returned function to put the old values back. */
export async function withSettings(values: Record<string, unknown>): Promise<() => Promise<void>> {
  const config = vscode.workspace.getConfiguration('rnnLab');
  const previous = Object.keys(values).map((key) => [key, config.inspect(key)?.workspaceValue] as const);
  for (const [key, value] of Object.entries(values)) await config.update(key, value, vscode.ConfigurationTarget.Workspace);
  return async () => {
    for (const [key, value] of previous) await config.update(key, value, vscode.ConfigurationTarget.Workspace);
  };
}

/** The workspace's training corpus. */
export function corpusUri(): vscode.Uri {
  return vscode.Uri.file(join(workspaceDir(), corpusFileName));
}

export interface RunFixture {
  /** The extension's API (set once the suite's `before` hook has run). */
  readonly api: RnnLabApi;
  /** Ends any run, applies `settings` for this test only (put back after it), and starts training on the corpus. */
  startRun(settings: Record<string, unknown>): Promise<void>;
  /** Puts this test's settings back now (the `afterEach` hook does it otherwise). */
  restoreSettings(): Promise<void>;
  /** The pid of the trainer once the run is running. */
  runningTrainerPid(): Promise<number>;
}

/**
 * The hooks every suite that drives runs needs, registered in the calling `describe`: the API
 * before the first test; after each test, no run left going and the settings put back.
 */
export function useRunFixture(options: { needsWebviews?: boolean } = {}): RunFixture {
  let api: RnnLabApi | undefined;
  let restore: (() => Promise<void>) | undefined;
  const fixture: RunFixture = {
    get api() {
      assert.ok(api, 'the suite has not activated the extension yet');
      return api;
    },
    async startRun(settings) {
      await stopAnyRun(fixture.api);
      await fixture.restoreSettings();
      restore = await withSettings(settings);
      await startTraining(corpusUri());
    },
    async restoreSettings() {
      const pending = restore;
      restore = undefined;
      await pending?.();
    },
    runningTrainerPid() {
      return waitFor('a running trainer', () => {
        const s = fixture.api.getRunState();
        return s.status === 'running' && s.trainerPid !== undefined ? s.trainerPid : undefined;
      }, { timeoutMs: 60_000, describe: () => fixture.api.getRunState() });
    },
  };
  before(async function () {
    if (options.needsWebviews && !canSeeWebviews) this.skip();
    api = await activateExtension();
  });
  afterEach(async () => {
    if (api) await stopAnyRun(api);
    await fixture.restoreSettings();
  });
  return fixture;
}

/**
 * Makes sure the last run completed and its trainer is still there to answer (the hover and
 * samples need it): reuses such a run, or trains a short one on the corpus with the workspace's
 * fast settings.
 */
export async function ensureCompletedRun(api: RnnLabApi): Promise<RunState> {
  const current = api.getRunState();
  if (current.status === 'completed' && current.trainerPid !== undefined && processExists(current.trainerPid)) return current;
  await stopAnyRun(api);
  await startTraining(corpusUri());
  return waitForCompletion(api);
}

export async function waitForCompletion(api: RnnLabApi, timeoutMs = 120_000): Promise<RunState> {
  return waitFor('the run to complete', () => {
    const s = api.getRunState();
    return s.status === 'completed' ? s : undefined;
  }, { timeoutMs, describe: () => api.getRunState() });
}

/** The Lab panel's editor tab, if one is open (its view type carries a workbench prefix). */
export function labPanelTab(): vscode.Tab | undefined {
  return vscode.window.tabGroups.all.flatMap((group) => group.tabs)
    .find((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('rnnLab.lab'));
}

/** Closes the Lab panel's tab and waits until it is gone. */
export async function closeLabPanel(): Promise<void> {
  const tab = labPanelTab();
  assert.ok(tab, 'the Lab panel should be open');
  await vscode.window.tabGroups.close(tab);
  await waitFor('the Lab panel tab to close', () => labPanelTab() === undefined, { timeoutMs: 10_000 });
}

/** Every file under `<workspace>/.rnnlab/`, to check that a failed run wrote nothing. */
export function checkpointFiles(): string[] {
  const root = join(workspaceDir(), '.rnnlab');
  if (!existsSync(root)) return [];
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else found.push(path);
    }
  };
  walk(root);
  return found.sort();
}

// ---- the browser hook ----------------------------------------------------------------------

const hookUrl = process.env[hookEnvVar];

/** True when the runner serves the browser hook (code-server); false under @vscode/test-electron. */
export const canSeeWebviews = Boolean(hookUrl);

async function askHook<T>(method: 'GET' | 'POST', path: string): Promise<T> {
  assert.ok(hookUrl, `${hookEnvVar} is not set: webviews can only be read under the code-server runner`);
  const reply = await fetch(`${hookUrl}${path}`, { method });
  if (!reply.ok) throw new Error(`browser hook ${method} ${path}: HTTP ${reply.status} ${await reply.text()}`);
  return (await reply.json()) as T;
}

/** The CSP violations and errors the runner has seen in webviews from the `since`-th on. */
export async function webviewProblems(since = 0): Promise<WebviewProblemsReply> {
  return askHook<WebviewProblemsReply>('GET', `/webview-problems?since=${since}`);
}

/** The computed style (`properties`, plus the box width and top) of every webview element matching `selector`. */
export async function webviewStyles(selector: string, properties: string[], where: 'webviews' | 'workbench' = 'webviews'): Promise<WebviewStylesReply['styles']> {
  return (await askHook<WebviewStylesReply>('GET', `/webview-styles?selector=${encodeURIComponent(selector)}&properties=${properties.join(',')}&in=${where}`)).styles;
}

/** Moves the mouse over the first workbench element matching `selector` that contains `text` (its hover opens). */
export async function hoverInWorkbench(selector: string, text = ''): Promise<void> {
  await askHook<ActionReply>('POST', `/hover?selector=${encodeURIComponent(selector)}&text=${encodeURIComponent(text)}`);
}

/**
 * The webview gate, for every test of the suite (a root-level hook: this module is loaded by
 * every test file): a test during which a webview broke its CSP (an inline style dropped, so a
 * bar or a colour silently missing) or logged an error fails, naming what happened.
 */
let webviewProblemsSeen = 0;
afterEach(async function () {
  if (!canSeeWebviews) return;
  // Let a webview that is still rendering what the test did report it (a CSP report is asynchronous).
  await sleep(300);
  const reply = await webviewProblems(webviewProblemsSeen);
  webviewProblemsSeen = reply.total;
  if (reply.problems.length > 0) {
    const list = reply.problems.map((p: WebviewProblem) => `  [${p.kind}] ${p.text}  (${p.url})`).join('\n');
    throw new Error(`during "${this.currentTest?.fullTitle()}" a webview logged ${reply.problems.length} CSP violation(s) or error(s):\n${list}`);
  }
});

export async function frames(): Promise<FrameText[]> {
  return (await askHook<FramesReply>('GET', '/frames')).frames;
}

export async function notifications(): Promise<Notification[]> {
  return (await askHook<NotificationsReply>('GET', '/notifications')).notifications;
}

/** The text of each visible workbench element that matches `selector` (not inside webviews). */
export async function elementTexts(selector: string): Promise<string[]> {
  return (await askHook<ElementsReply>('GET', `/elements?selector=${encodeURIComponent(selector)}`)).texts;
}

/** The text of each element inside a webview that matches `selector` (a card, a table row). */
export async function webviewTexts(selector: string): Promise<string[]> {
  return (await askHook<ElementsReply>('GET', `/webview-elements?selector=${encodeURIComponent(selector)}`)).texts;
}

/** Clicks the first element inside a webview that matches `selector`, as a user would. */
export async function clickInWebview(selector: string): Promise<void> {
  await askHook<ActionReply>('POST', `/click?selector=${encodeURIComponent(selector)}`);
}

/** Types `value` into the first input inside a webview that matches `selector`. */
export async function fillInWebview(selector: string, value: string): Promise<void> {
  await askHook<ActionReply>('POST', `/fill?selector=${encodeURIComponent(selector)}&value=${encodeURIComponent(value)}`);
}

export async function screenshot(name: string): Promise<string> {
  return (await askHook<ScreenshotReply>('POST', `/screenshot?name=${encodeURIComponent(name)}`)).path;
}

/** What the Lab panel shows, parsed from its text; undefined while no Lab panel is on screen. */
export interface LabPanelView {
  text: string;
  status?: string;
  validationPoints?: number;
  latestSample?: string;
  backend?: string;
  valBitsPerChar?: number;
}

export function parseLabPanel(text: string): LabPanelView {
  const status = /Status:\s*([a-z]+)/i.exec(text)?.[1];
  const points = /Validation points:\s*(\d+)/.exec(text)?.[1];
  // The heading, then the first line of the sample that is not blank.
  const sample = /Latest sample[^\n]*\n(?:[ \t]*\n)*([^\n]*\S[^\n]*)/.exec(text)?.[1]?.trim();
  const backend = /Backend:\s*([^\n]+)/.exec(text)?.[1]?.trim();
  const bits = /val\s+(\d+(?:\.\d+)?)\s*bits\/char/.exec(text)?.[1];
  return {
    text,
    status,
    validationPoints: points === undefined ? undefined : Number(points),
    latestSample: sample || undefined,
    backend,
    valBitsPerChar: bits === undefined ? undefined : Number(bits),
  };
}

/** The Lab panel is the webview frame whose text has both a status line and a validation count. */
export async function labPanel(): Promise<LabPanelView | undefined> {
  const panel = (await frames()).find((f) => !f.main && /Status:/.test(f.text) && /Validation points:/.test(f.text));
  return panel ? parseLabPanel(panel.text) : undefined;
}

/** Waits until the Lab panel is on screen and `accept` likes what it shows. */
export async function waitForLabPanel(what: string, accept: (view: LabPanelView) => boolean, timeoutMs = 60_000): Promise<LabPanelView> {
  let last: LabPanelView | undefined;
  return waitFor(what, async () => {
    last = await labPanel();
    return last && accept(last) ? last : undefined;
  }, { timeoutMs, describe: () => last?.text ?? '(no Lab panel on screen)' });
}

/** The hover's rows as [symbol, percent] at a place in the corpus. */
export async function hoverRows(position: vscode.Position): Promise<Array<[string, number]> | undefined> {
  const uri = corpusUri();
  await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, preview: false });
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position);
  const markdown = hovers.flatMap((hover) => hover.contents)
    .map((content) => (typeof content === 'string' ? content : content.value))
    .find((value) => value.includes('next character'));
  if (!markdown) return undefined;
  return markdown.split('\n').filter((line) => /^\| \d+ \|/.test(line)).map((line) => {
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    return [cells[1].replace(/\\(.)/g, '$1'), Number(cells[2].replace('%', ''))];
  });
}
