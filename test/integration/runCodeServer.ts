/**
 * Runs the integration suite (test/integration/suite) inside a real VS Code without a desktop:
 * code-server (VS Code's web workbench with a real Node extension host, installed by
 * scripts/setup.sh) shown in headless Debian Chromium, driven by playwright-core.
 *
 *   code-server  --bind-addr 127.0.0.1:<free port>, detached in its own process group
 *   Chromium     opens the workbench with `extensionDevelopmentPath` / `extensionTestsPath` in the
 *                URL payload, so the extension host loads this repository and runs the suite
 *   browser hook a loopback HTTP server that lets the tests read the text of every frame and take
 *                screenshots (see hookProtocol.ts); its address reaches the extension host through
 *                code-server's environment
 *
 * The workbench reports the suite's exit code through `codeAutomationExit` and the extension
 * host's log through `codeAutomationLog`; this runner exits with that code.
 *
 * Environment: RNN_LAB_E2E_TIMEOUT_S (overall limit, default 720), CHROMIUM_PATH (default
 * /usr/bin/chromium), RNN_LAB_EXTENSION_PATH (the extension to load, default this repository),
 * RNN_LAB_KEEP_TMP=1 (keep the temporary folder with the logs even when the suite passes),
 * RNN_LAB_SUITE (`suite`, the default: the integration tests; `screenshot`: the README's pictures
 * of the Lab panel, written to media/, as `npm run screenshot` does).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { hookEnvVar } from './hookProtocol';
import { startHook } from './runner/browserHook';
import { CodeServer, freePort, isolatedEnv } from './runner/codeServer';
import { LogFile } from './runner/logFile';
import { WebviewProblems } from './runner/webviewProblems';
import { createScreenshotWorkspace, createTestWorkspace, writeUserSettings } from './workspace';

/** What a run loads into the extension host, the folder it opens, and the browser's size. */
interface SuiteSetup {
  entry: string;
  createWorkspace: (dir: string, repoRoot: string) => void;
  userSettings: Record<string, unknown>;
  viewport: { width: number; height: number };
}

const suites: Record<string, SuiteSetup> = {
  suite: { entry: 'suite/index.js', createWorkspace: createTestWorkspace, userSettings: {}, viewport: { width: 1440, height: 900 } },
  // The README's size; the suite sets the colour theme of each picture itself.
  screenshot: { entry: 'screenshot/index.js', createWorkspace: createScreenshotWorkspace, userSettings: {}, viewport: { width: 1280, height: 800 } },
};

const suiteName = process.env.RNN_LAB_SUITE || 'suite';
const repoRoot = resolve(__dirname, '../../..');
const codeServerBin = join(repoRoot, '.vscode-test/code-server/node_modules/.bin/code-server');
const resultsDir = join(repoRoot, 'test-results');
const extensionPath = resolve(process.env.RNN_LAB_EXTENSION_PATH || repoRoot);
const overallTimeoutMs = Number(process.env.RNN_LAB_E2E_TIMEOUT_S || 720) * 1000;
const keepTmp = process.env.RNN_LAB_KEEP_TMP === '1';

/** The flags measured to work for headless Chromium on these machines (no GPU, no network). */
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  // WebGPU on the CPU (SwiftShader), so the WebGPU backend's GPU tab runs here: without a GPU,
  // Chromium offers the software adapter only when asked by these flags (--disable-gpu leaves it).
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Records how long each phase took, and which one was running when time ran out. */
class PhaseClock {
  private readonly start = Date.now();
  private readonly done: Array<[string, number]> = [];
  private current?: { name: string; since: number };
  private aborted = false;

  /** Called when the run has failed: the abandoned steps still in flight stop at their next phase. */
  abort(): void {
    this.end();
    this.aborted = true;
  }

  begin(name: string): void {
    if (this.aborted) throw new Error(`abandoned before ${name}`);
    this.end();
    this.current = { name, since: Date.now() };
    log(`${name}...`);
  }

  end(): void {
    if (!this.current) return;
    this.done.push([this.current.name, Date.now() - this.current.since]);
    this.current = undefined;
  }

  get currentName(): string {
    return this.current?.name ?? 'finishing';
  }

  report(): string {
    const rows = this.done.map(([name, ms]) => `  ${name.padEnd(42)} ${(ms / 1000).toFixed(1).padStart(6)} s`);
    rows.push(`  ${'total'.padEnd(42)} ${((Date.now() - this.start) / 1000).toFixed(1).padStart(6)} s`);
    return rows.join('\n');
  }
}

function log(message: string): void {
  console.log(`[vscode-test] ${message}`);
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

function findChromium(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((path) => path && existsSync(path));
  if (!found) throw new Error('Chromium not found: install the Debian package chromium (scripts/setup.sh) or set CHROMIUM_PATH');
  return found;
}

function workbenchUrl(port: number, workspaceDir: string, suiteEntry: string): string {
  const authority = `127.0.0.1:${port}`;
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${authority}${extensionPath}`],
    ['extensionTestsPath', `vscode-remote://${authority}${suiteEntry}`],
  ];
  return `http://${authority}/?folder=${encodeURIComponent(workspaceDir)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Everything that must be undone, newest first, whatever happened. */
class Cleanup {
  private readonly steps: Array<() => Promise<void> | void> = [];
  add(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await Promise.race([step(), sleep(10_000)]);
      } catch (error) {
        log(`cleanup step failed: ${String(error)}`);
      }
    }
  }
}

/** What one run holds; the parts exist once their phase has begun. */
interface SuiteRun {
  clock: PhaseClock;
  tmp: string;
  cleanup: Cleanup;
  page?: Page;
  server?: CodeServer;
  workbenchLog?: LogFile;
}

async function runSuite(run: SuiteRun): Promise<number> {
  const { clock, tmp, cleanup } = run;
  clock.begin('checking prerequisites');
  const suite = suites[suiteName];
  if (!suite) throw new Error(`RNN_LAB_SUITE=${suiteName}: expected one of ${Object.keys(suites).join(', ')}`);
  const suiteEntry = join(__dirname, suite.entry);
  if (!existsSync(codeServerBin)) throw new Error(`code-server is not installed at ${codeServerBin}: run scripts/setup.sh`);
  if (!existsSync(suiteEntry)) throw new Error(`${suiteEntry} is missing: run npm run build`);
  if (!existsSync(join(extensionPath, 'package.json'))) throw new Error(`no extension at ${extensionPath}`);
  const chromiumPath = findChromium();
  const workspaceDir = join(tmp, 'workspace');
  suite.createWorkspace(workspaceDir, repoRoot);
  writeUserSettings(join(tmp, 'user-data'), suite.userSettings);

  clock.begin('launching Chromium');
  const browser: Browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    env: isolatedEnv(tmp, {}),
  });
  cleanup.add(() => browser.close());
  const page = (run.page = await browser.newPage({ viewport: suite.viewport }));

  let reportExit!: (code: number) => void;
  const exitCode = new Promise<number>((done) => (reportExit = done));
  await page.exposeFunction('codeAutomationExit', (code: number) => reportExit(Number(code)));
  const workbenchLog = (run.workbenchLog = new LogFile(join(tmp, 'workbench.log')));
  cleanup.add(() => workbenchLog.close());
  await page.exposeFunction('codeAutomationLog', (level: string, args: unknown) => workbenchLog.write(level, args));

  // The browser's own console (webviews included) goes to a file: it explains a webview that stays blank.
  const browserConsole = new LogFile(join(tmp, 'browser-console.log'));
  cleanup.add(() => browserConsole.close());
  page.on('console', (message) => browserConsole.write(message.type(), [`${message.text()}  (${message.location().url})`]));
  page.on('pageerror', (error) => browserConsole.write('pageerror', [error.stack ?? error.message]));

  // Any CSP violation or error in a webview fails the test it happens in (the suite's afterEach
  // asks the hook) and, below, the whole run: a webview that breaks that way renders blank.
  const webviewProblems = new WebviewProblems();
  await webviewProblems.watch(page);
  const hook = await startHook(page, resultsDir, webviewProblems);
  cleanup.add(() => new Promise<void>((done) => hook.server.close(() => done())));

  clock.begin('starting code-server');
  const port = await freePort();
  const server = (run.server = CodeServer.start(codeServerBin, port, tmp, isolatedEnv(tmp, { [hookEnvVar]: hook.url })));
  const killOnExit = () => server.killNow();
  process.on('exit', killOnExit);
  cleanup.add(async () => {
    await server.stop();
    process.off('exit', killOnExit);
  });
  await server.waitUntilHealthy(60_000);
  log(`code-server is up on port ${port} (log: ${server.logPath})`);

  clock.begin('loading the workbench');
  await page.goto(workbenchUrl(port, workspaceDir, suiteEntry));
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });

  clock.begin('running the suite in the extension host');
  workbenchLog.relaying = true;
  const code = await exitCode;
  workbenchLog.relaying = false;
  clock.end();
  // Close the page before code-server goes, or the workbench fills the log with reconnect attempts.
  await browser.close();
  if (webviewProblems.problems.length > 0) {
    log(`${webviewProblems.problems.length} CSP violation(s) or error(s) in webviews:\n${webviewProblems.problems.map((p) => `  [${p.kind}] ${p.text}  (${p.url})`).join('\n')}`);
    return code === 0 ? 1 : code;
  }
  return code;
}

/** After a timeout or an error: stop the abandoned run from going on, and keep what explains it. */
async function recordFailure(run: SuiteRun, error: unknown): Promise<void> {
  run.clock.abort();
  if (run.workbenchLog) run.workbenchLog.relaying = false;
  log(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
  if (run.page) {
    const shot = join(resultsDir, 'failure.png');
    mkdirSync(resultsDir, { recursive: true });
    await Promise.race([run.page.screenshot({ path: shot }).then(() => log(`screenshot of the workbench: ${shot}`)), sleep(5000)]).catch(() => {});
  }
}

async function main(): Promise<number> {
  const run: SuiteRun = {
    clock: new PhaseClock(),
    tmp: mkdtempSync(join(tmpdir(), 'rnn-lab-vscode-test-')),
    cleanup: new Cleanup(),
  };
  let code = 1;

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`timed out after ${overallTimeoutMs / 1000} s while ${run.clock.currentName}`)), overallTimeoutMs);
  });
  const interrupted = new Promise<never>((_, fail) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => fail(new Error(`interrupted by ${signal}`)));
  });

  try {
    code = await Promise.race([runSuite(run), timeout, interrupted]);
  } catch (error) {
    await recordFailure(run, error);
    code = 1;
  } finally {
    clearTimeout(timer);
    if (code !== 0 && run.server) log(`code-server log (tail):\n${run.server.logTail()}`);
    await run.cleanup.run();
  }

  log(`phases:\n${run.clock.report()}`);
  if (code === 0 && !keepTmp) {
    // A trainer the stopped code-server leaves behind may still be finishing a checkpoint in the
    // workspace: retry, and a folder that cannot go is a note, not a failed suite.
    try {
      rmSync(run.tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    } catch (error) {
      log(`could not remove ${run.tmp}: ${(error as Error).message}`);
    }
  } else {
    log(`logs kept in ${run.tmp} (code-server.log, workbench.log, browser-console.log, workspace/)`);
  }
  log(code === 0 ? 'integration tests passed' : `integration tests failed (exit code ${code})`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
