/**
 * A model over 30M parameters (its checkpoint ~600 MiB) in VS Code: "Open model…" serves it and the
 * hover answers; "Resume from checkpoint…" trains it one more step. The trainer's peak memory stays a
 * small multiple of the weights and Adam's state, and the extension host neither grows by the
 * weights (they never cross IPC) nor stalls.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { readCheckpointSummary } from '../../../src/engine/model/io/checkpoint';
import { activateExtension, corpusUri, extensionId, processExists, startTraining, stopAnyRun, waitFor, waitForCompletion, workspaceDir, type RnnLabApi } from './harness';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** A process's peak resident set (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const kib = /VmHWM:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(kib, `VmHWM of ${pid}`);
  return Number(kib[1]) * 1024;
}

async function hoverOn(uri: vscode.Uri, position: vscode.Position): Promise<string | undefined> {
  await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, preview: false });
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position);
  return hovers.flatMap((hover) => hover.contents)
    .map((content) => (typeof content === 'string' ? content : content.value))
    .find((value) => value.includes('next character'));
}

describe('a model over 30M parameters', function () {
  // Linux only: the trainer's peak memory is read from /proc.
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });

  let api: RnnLabApi;
  let checkpoint: string;
  let params: number;
  const text = () => join(workspaceDir(), 'big.txt');

  before(async function () {
    this.timeout(120_000);
    api = await activateExtension();
    await stopAnyRun(api);
    writeFileSync(text(), 'a cat sat on a mat. a dog sat on a log. '.repeat(8));
    writeFileSync(join(workspaceDir(), 'big-val.txt'), 'a cat sat on a log.');
    // One step through the CLI (~10 s): a resumable checkpoint of 30.8M parameters in the workspace's run folders.
    const cli = join(vscode.extensions.getExtension(extensionId)!.extensionPath, 'dist/cli.js');
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'train', 'big.txt', '--hidden', '1600', '--layers', '2', '--init', 'glorot', '--lr', '0.001',
      '--seq', '2', '--batch', '1', '--val-file', 'big-val.txt', '--eval-interval', '100', '--sample-length', '4', '--steps', '1', '--backend', 'wasm'],
    { cwd: workspaceDir(), env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', RNN_LAB_CUDA_DRIVER: '/nonexistent/libcuda.so.1' } });
    params = Number(/params ([\d,]+)/.exec(stdout)![1].replace(/,/g, ''));
    checkpoint = join(/^Run folder: (.*?)(;|$)/m.exec(stdout)![1], 'last.rnnlab');
    assert.ok(params >= 30_000_000, `${params} parameters`);
  });

  after(async function () {
    this.timeout(90_000);
    if (api) {
      await stopAnyRun(api);
      // A completed run's trainer stays to serve the hover: a short run on the corpus replaces it, so the
      // gigabytes it holds are not held through the suites after this one (which find a completed run, as usual).
      const big = api.getRunState().trainerPid;
      await startTraining(corpusUri());
      await waitForCompletion(api);
      if (big !== undefined) await waitFor('the big model\'s trainer to end', () => !processExists(big), { timeoutMs: 15_000 });
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // Gigabytes of checkpoints: not left for the suites after this one.
    for (const path of [join(workspaceDir(), '.rnnlab', 'runs', 'big'), join(workspaceDir(), '.rnnlab', 'big-best.rnnlab'), text(), join(workspaceDir(), 'big-val.txt')]) {
      rmSync(path, { recursive: true, force: true });
    }
  });

  // Weights, best weights and Adam's two moments are 3 x 8 bytes a parameter in float64: the multiple is of that.
  const state = () => 24 * params;

  it('"Open model…" serves it, the hover answers, and the server holds about its weights alone', async function () {
    this.timeout(60_000);
    const hostBefore = process.memoryUsage().rss;
    await vscode.commands.executeCommand('rnnLab.openModel', vscode.Uri.file(checkpoint));
    const opened = await waitFor('the big model to open', () => {
      const s = api.getRunState();
      return s.status === 'opened' && s.sourceName === 'big.txt' && s.trainerPid !== undefined ? s : undefined;
    }, { timeoutMs: 45_000, describe: () => api.getRunState() });
    const markdown = await waitFor('the hover on the big model', () => hoverOn(vscode.Uri.file(text()), new vscode.Position(0, 10)), { timeoutMs: 15_000 });
    assert.match(markdown, /%/);
    const server = peakRss(opened.trainerPid!);
    const host = process.memoryUsage().rss - hostBefore;
    console.log(`      ${params.toLocaleString('en-US')} parameters: serving peak ${mib(server)} (${(server / state()).toFixed(2)}x weights + Adam); extension host ${host >= 0 ? "+" : ""}${mib(host)}`);
    assert.ok(server < 2 * 8 * params + 256 * 2 ** 20, `serving peak ${mib(server)}: the weights alone are ${mib(8 * params)}`);
    assert.ok(host < 200 * 2 ** 20, `the extension host grew by ${mib(host)}`);
  });

  it('"Resume from checkpoint…" trains it one more step, the trainer\'s peak a small multiple of weights + Adam, the extension host unaffected', async function () {
    this.timeout(90_000);
    await stopAnyRun(api);
    const hostBefore = process.memoryUsage().rss;
    // The extension host's event loop keeps turning while the trainer loads, trains and writes ~600 MiB files.
    let last = Date.now();
    let longestStall = 0;
    const ticker = setInterval(() => { const now = Date.now(); longestStall = Math.max(longestStall, now - last); last = now; }, 50);
    let done;
    try {
      await vscode.commands.executeCommand('rnnLab.resumeFromCheckpoint', vscode.Uri.file(checkpoint), { moreSteps: 1 });
      done = await waitForCompletion(api, 75_000);
    } finally {
      clearInterval(ticker);
    }
    assert.equal(done.sourceName, 'big.txt');
    assert.equal(done.step, 2);
    assert.ok(done.trainerPid !== undefined && processExists(done.trainerPid), 'the trainer serves the hover after the run');
    const trainer = peakRss(done.trainerPid);
    const host = process.memoryUsage().rss - hostBefore;
    console.log(`      resumed 1 step: trainer peak ${mib(trainer)} (${(trainer / state()).toFixed(2)}x weights + Adam); extension host ${host >= 0 ? "+" : ""}${mib(host)}, longest stall ${longestStall} ms`);
    assert.ok(trainer < 4 * state() + 256 * 2 ** 20, `trainer peak ${mib(trainer)}, weights + Adam ${mib(state())}`);
    assert.ok(host < 200 * 2 ** 20, `the extension host grew by ${mib(host)}`);
    assert.ok(longestStall < 2_000, `the extension host stalled for ${longestStall} ms`);
    assert.equal((await readCheckpointSummary(done.checkpointPath!)).spec?.hiddenSize, 1600);
    const markdown = await waitFor('the hover after the resumed run', () => hoverOn(vscode.Uri.file(text()), new vscode.Position(0, 10)), { timeoutMs: 15_000 });
    assert.match(markdown, /%/);
  });
});
