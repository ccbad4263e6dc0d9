import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SeriesLabState } from '../../../src/protocol/series';
import { activateExtension, canSeeWebviews, frames, processExists, screenshot, waitFor, type RnnLabApi } from './harness';

type Api = RnnLabApi & { getSeriesLabState(): SeriesLabState | undefined };

/** The time-series lab's webview: the frame whose text carries its heading and its numbers. */
async function seriesPanelText(): Promise<string | undefined> {
  return (await frames()).find((f) => !f.main && /Time-series lab/.test(f.text) && /Validation MSE:/.test(f.text))?.text;
}

describe('time-series lab', () => {
  let api: Api;
  before(async () => {
    api = (await activateExtension()) as Api;
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('runs gradient descent then L-BFGS in a child process and shows the plots and the MSE', async () => {
    // A small Mackey-Glass run: seconds, not the tutorial's full one.
    await vscode.commands.executeCommand('rnnLab.seriesLab', { mackeyGlass: 400, hiddenSize: 6, epochs: 200, iterations: 40, generate: 60, seed: 3 });
    const running = await waitFor('the series run to start', () => api.getSeriesLabState()?.pid, { timeoutMs: 15_000, describe: () => api.getSeriesLabState() });
    assert.notEqual(running, process.pid, 'the computation runs in its own process');
    const state = await waitFor('the series run to complete', () => {
      const s = api.getSeriesLabState();
      return s && s.status !== 'running' ? s : undefined;
    }, { timeoutMs: 60_000, describe: () => ({ ...api.getSeriesLabState(), svg: undefined }) });
    assert.equal(state.status, 'completed', state.error);
    assert.ok(!processExists(running), 'the child process has ended');
    const final = state.final!;
    assert.ok(final.lbfgs && final.gd && final.lbfgs.trainMse < final.gd.trainMse, 'L-BFGS lowered the training MSE after gradient descent');
    assert.deepEqual(state.reports.filter((r) => r.phase === 'gd').map((r) => r.epoch), [0, 100, 200]);
    assert.ok(state.svg?.includes('Predictions vs data'), 'the run wrote its plots');

    assert.ok(canSeeWebviews, 'this test reads the panel through the browser hook (code-server runner)');
    const text = await waitFor('the panel to show the plots and the final MSE', async () => {
      const t = await seriesPanelText();
      return t && /Status: completed/.test(t) && /Free-running from step/.test(t) ? t : undefined;
    }, { timeoutMs: 30_000, describe: seriesPanelText });
    for (const plot of ['Loss curves (MSE, log scale)', 'Predictions vs data', 'Free-running from step 300', 'validation (100 points)']) {
      assert.ok(text.includes(plot), `the panel shows the plot "${plot}"`);
    }
    assert.ok(text.includes(`Validation MSE: ${final.valMse.toPrecision(4)}`), `the panel shows the validation MSE ${final.valMse.toPrecision(4)}`);
    assert.ok(text.includes(`Train MSE: ${final.trainMse.toPrecision(4)}`), 'the panel shows the training MSE');
    assert.match(text, /L-BFGS alone\s+\d+ iterations, \d+ evaluations/, 'the card compares GD and L-BFGS from the same initial weights');
    assert.match(text, /Function evaluations: \d+/, 'the quasi-Newton summary');
    console.log(`      screenshot: ${await screenshot('series-lab')}`);
  });

  it('Stop ends a long run early with what it has: numbers and plots', async () => {
    await vscode.commands.executeCommand('rnnLab.seriesLab', { mackeyGlass: 400, hiddenSize: 6, epochs: 10_000_000, seed: 3 });
    const pid = await waitFor('a long series run to report', () => {
      const s = api.getSeriesLabState();
      return s?.status === 'running' && s.reports.length >= 2 ? s.pid : undefined;
    }, { timeoutMs: 30_000, describe: () => ({ ...api.getSeriesLabState(), svg: undefined }) });
    await vscode.commands.executeCommand('rnnLab.seriesLabStop');
    const state = await waitFor('the run to stop', () => {
      const s = api.getSeriesLabState();
      return s && s.status !== 'running' ? s : undefined;
    }, { timeoutMs: 15_000, describe: () => ({ ...api.getSeriesLabState(), svg: undefined }) });
    assert.equal(state.status, 'stopped', state.error);
    assert.ok(pid !== undefined && !processExists(pid), 'the child process has ended');
    assert.ok(state.final && state.final.gd && state.final.gd.epochs < 10_000_000, 'the result covers the epochs done');
    assert.ok(state.svg?.includes('Free-running'), 'a stopped run still has its plots');
    await waitFor('the panel to say stopped', async () => /Status: stopped/.test((await seriesPanelText()) ?? ''), { timeoutMs: 15_000, describe: seriesPanelText });
  });

  it('reports a bad series file in the panel', async () => {
    await vscode.commands.executeCommand('rnnLab.seriesLab', { file: '/nonexistent/series.txt' });
    const state = await waitFor('the bad run to fail', () => {
      const s = api.getSeriesLabState();
      return s && s.status === 'failed' ? s : undefined;
    }, { timeoutMs: 15_000, describe: () => ({ ...api.getSeriesLabState(), svg: undefined }) });
    assert.match(state.error ?? '', /\/nonexistent\/series\.txt does not exist; check the path\./);
    await waitFor('the panel to show the error', async () => /Status: failed[\s\S]*does not exist/.test((await seriesPanelText()) ?? ''), { timeoutMs: 15_000, describe: seriesPanelText });
  });
});
