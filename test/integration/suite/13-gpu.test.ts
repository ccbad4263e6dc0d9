import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { compileStandIn } from '../../cuda-stand-in/compile';
import { activateExtension, canSeeWebviews, corpusUri, startTraining, stopAnyRun, waitForCompletion, waitForLabPanel, withSettings, type RnnLabApi } from './harness';

// The GPU backend inside VS Code: the trainer process (forked with the editor's Node) loads koffi
// and the driver library, and trains with rnnLab.backend "cuda". There is no GPU here, so the
// driver library is the unit tests' stand-in (test/cuda-stand-in/), which runs the same CUDA C
// kernels on the CPU: this proves the path through VS Code, not the GPU (npm run test:gpu does).
describe('GPU backend in VS Code (through the CPU stand-in for the NVIDIA driver)', () => {
  let api: RnnLabApi;
  const work = mkdtempSync(join(tmpdir(), 'rnnlab-gpu-e2e-'));
  const library = join(work, 'libcuda-stand-in.so');

  before(async () => {
    api = await activateExtension();
    await stopAnyRun(api);
    compileStandIn(join(__dirname, '../../../../test/cuda-stand-in/stand-in.cc'), library);
  });

  after(async () => {
    delete process.env.RNN_LAB_CUDA_DRIVER;
    await stopAnyRun(api);
    rmSync(work, { recursive: true, force: true });
  });

  it('trains with rnnLab.backend "cuda", and the Lab names the device', async () => {
    // The trainer inherits the extension host's environment when it is forked.
    process.env.RNN_LAB_CUDA_DRIVER = library;
    const restore = await withSettings({ backend: 'cuda', steps: 6, evalInterval: 3, hiddenSize: 16, batchSize: 4, seqLength: 16, sampleLength: 20 });
    try {
      await vscode.window.showTextDocument(corpusUri());
      await startTraining(corpusUri());
      const state = await waitForCompletion(api);
      assert.equal(state.step, 6);
      assert.ok(state.lastSample && state.lastSample.length > 0, 'sampling (on the CPU copy of the weights) works');
      if (!canSeeWebviews) return;
      const panel = await waitForLabPanel('the Lab panel to name the CUDA device', (view) => /^CUDA, NVIDIA Stand-in/.test(view.backend ?? ''));
      console.log(`      backend ${panel.backend}`);
    } finally {
      await restore();
      delete process.env.RNN_LAB_CUDA_DRIVER;
    }
  });
});
