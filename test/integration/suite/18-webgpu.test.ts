import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { readCheckpointSummary } from '../../../src/engine/model/io/checkpoint';
import { lastCheckpointBeside } from '../../../src/engine/train/runFolder';
import { frames, notifications, processExists, screenshot, useRunFixture, waitFor, waitForCompletion, waitForLabPanel } from './harness';

// WebGPU inside VS Code: the trainer's device is navigator.gpu in the extension's "RNN Lab GPU"
// tab, reached through the extension host (src/extension/gpuBridge.ts). Chromium runs here with
// the SwiftShader flags (runCodeServer.ts), so the adapter is the CPU emulation: this proves the
// path through a real workbench's webview, not a GPU's speed.

const small = { hiddenSize: 16, batchSize: 4, seqLength: 16, sampleLength: 20, earlyStop: 0 };
const swiftShader = /^WebGPU, SwiftShader \(CPU emulation\)/;

/** The GPU tab, if one is open (its view type carries a workbench prefix). */
function gpuTab(): vscode.Tab | undefined {
  return vscode.window.tabGroups.all.flatMap((group) => group.tabs).find(isGpuTab);
}

function isGpuTab(tab: vscode.Tab): boolean {
  return tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('rnnLab.gpu');
}

/** The GPU tab's text (adapter, memory, steps served), while it is on screen. */
async function gpuPageText(): Promise<string | undefined> {
  return (await frames()).find((f) => !f.main && /WebGPU device for RNN Lab/.test(f.text))?.text;
}

describe('WebGPU in VS Code (the GPU tab, SwiftShader)', () => {
  const fixture = useRunFixture({ needsWebviews: true });

  it('trains with rnnLab.backend "webgpu" through the GPU tab; the Lab names the SwiftShader adapter and the loss falls', async () => {
    const { api } = fixture;
    await fixture.startRun({ ...small, backend: 'webgpu', steps: 40, evalInterval: 10 });
    await waitFor('the GPU tab to open', () => gpuTab() !== undefined, { timeoutMs: 30_000 });
    let page: string | undefined;
    await waitFor('the GPU tab to name its adapter and count steps', async () => {
      page = await gpuPageText();
      return page !== undefined && /Adapter\s*WebGPU, SwiftShader/.test(page) && /Steps served\s*[1-9]/.test(page);
    }, { timeoutMs: 60_000, describe: () => page ?? '(no GPU tab on screen)' });
    console.log(`      screenshot: ${await screenshot('gpu-tab')}`);
    const state = await waitForCompletion(api, 180_000);
    assert.equal(state.step, 40);
    assert.ok(state.lastSample && state.lastSample.length > 0, 'sampling (on the CPU copy of the weights) works');
    const panel = await waitForLabPanel('the Lab to name the SwiftShader adapter', (view) => swiftShader.test(view.backend ?? ''));
    console.log(`      backend ${panel.backend}`);
    const written = lastCheckpointBeside(state.checkpointPath!);
    const val = (await readCheckpointSummary(existsSync(written) ? written : state.checkpointPath!)).valHistory;
    const [first, last] = [val[0], val[val.length - 1]];
    console.log(`      val ${first.valLoss.toFixed(4)} (step ${first.step}) → ${last.valLoss.toFixed(4)} nats (step ${last.step})`);
    assert.ok(last.step > first.step && last.valLoss < first.valLoss, 'the validation loss falls on WebGPU');
  });

  it('Stop ends the trainer as on the CPU engine, and the GPU tab closes with it', async () => {
    const { api } = fixture;
    await fixture.startRun({ ...small, backend: 'webgpu', steps: 1_000_000 });
    const pid = await fixture.runningTrainerPid();
    await waitFor('the GPU tab to open', () => gpuTab() !== undefined, { timeoutMs: 30_000 });
    await waitForLabPanel('the Lab panel to say running on WebGPU', (view) => view.status === 'running' && swiftShader.test(view.backend ?? ''));
    await vscode.commands.executeCommand('rnnLab.stop');
    await waitFor(`trainer process ${pid} to exit`, () => !processExists(pid), { timeoutMs: 10_000, describe: () => api.getRunState() });
    await waitFor('the run to be stopped', () => api.getRunState().status === 'stopped', { timeoutMs: 5_000, describe: () => api.getRunState() });
    await waitForLabPanel('the Lab panel to say stopped', (view) => view.status === 'stopped', 10_000);
    await waitFor('the GPU tab to close with its trainer', () => gpuTab() === undefined, { timeoutMs: 10_000 });
  });

  it('closing the GPU tab mid-run moves the run to the CPU engine, and the Lab and a notification say so', async () => {
    const { api } = fixture;
    await fixture.startRun({ ...small, backend: 'webgpu', steps: 400, evalInterval: 5 });
    await waitFor('two evaluations on WebGPU (weights read back)', () => api.getRunState().evalCount >= 2, { timeoutMs: 120_000, describe: () => api.getRunState() });
    const tab = gpuTab();
    assert.ok(tab, 'the GPU tab should be open while the run trains on WebGPU');
    const closedAt = api.getRunState().step;
    await vscode.window.tabGroups.close(tab);
    const said = /continues on the CPU engine/;
    await waitForLabPanel('the Lab to say the run continues on the CPU engine', (view) => said.test(view.text), 30_000);
    await waitForLabPanel('the Lab\'s backend line to name the CPU engine', (view) => /CPU engine \(after WebGPU, SwiftShader/.test(view.text), 10_000);
    await waitFor('a notification that says so', async () => (await notifications()).some((n) => said.test(n.message)), { timeoutMs: 10_000, describe: () => notifications() });
    const state = await waitForCompletion(api, 180_000);
    assert.equal(state.step, 400, 'the run trained to its end on the CPU engine');
    console.log(`      GPU tab closed at step ${closedAt}; the run completed at step ${state.step}`);
    assert.equal(gpuTab(), undefined, 'no GPU tab came back');
  });

  it('auto does not pick the software adapter (SwiftShader), and asks the GPU tab only once per window', async () => {
    const { api } = fixture;
    let tabsOpened = 0;
    const watch = vscode.window.tabGroups.onDidChangeTabs((change) => {
      tabsOpened += change.opened.filter(isGpuTab).length;
    });
    try {
      // Earlier suites' runs (backend auto) may have asked the tab already; these two runs then open none.
      const askedBefore = api.getGpuState().autoRefusal !== undefined;
      for (const run of [1, 2]) {
        await fixture.startRun({ ...small, backend: 'auto', steps: 6, evalInterval: 3 });
        const state = await waitForCompletion(api);
        assert.equal(state.step, 6);
        const panel = await waitForLabPanel('the Lab to name the backend', (view) => view.backend !== undefined);
        console.log(`      run ${run}: backend ${panel.backend}`);
        assert.doesNotMatch(panel.backend!, /^WebGPU/, 'auto must not train on SwiftShader');
      }
      assert.match(api.getGpuState().autoRefusal ?? '', /^the only WebGPU adapter is SwiftShader \(CPU emulation\), slower than the CPU engine/);
      assert.equal(tabsOpened, askedBefore ? 0 : 1, 'the tab was asked once in this window');
      await waitFor('the probe\'s GPU tab to close', () => gpuTab() === undefined, { timeoutMs: 10_000 });
    } finally {
      watch.dispose();
    }
  });
});
