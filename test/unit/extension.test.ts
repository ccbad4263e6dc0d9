import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultTrainConfig, type EvalMetrics, type RunStarted, type StepMetrics } from '../../src/protocol/messages';
import { configSection, presetOverSettings, readNodePath, readTrainConfig } from '../../src/extension/config';
import { findPreset } from '../../src/engine/config/presets';
import { contributedConfiguration } from '../../src/engine/config/contributes';
import { settingKeys } from '../../src/engine/config';
import { appendEval, appendStep, isTerminal, reduceSnapshot, samplesKept } from '../../src/protocol/snapshot';
import { RunStore } from '../../src/extension/runStore';
import { bar, probsMarkdown, visibleSymbol } from '../../src/extension/hoverFormat';
import { describeProgress } from '../../src/extension/progressText';

const root = join(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function reader(values: Record<string, unknown>) {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

function step(n: number, loss = 2): StepMetrics {
  return { step: n, epoch: 0, loss, smoothLoss: loss, gradNorm: 1, charsPerSec: 1000, elapsedMs: n * 10, etaMs: 100 };
}

function evaluation(n: number, sample = `sample ${n}`): EvalMetrics {
  return { step: n, epoch: 0, valLoss: 1.5, valBitsPerChar: 1.5 / Math.LN2, trainLoss: 1.6, sample, prime: '', temperature: 0.8, charsPerSec: 1, elapsedMs: 1, isBest: true };
}

const started: RunStarted = {
  runId: 'r', sourceName: 'a.txt', config: defaultTrainConfig, backend: { name: 'js', description: 'JavaScript', threads: 1 },
  vocabSize: 10, symbols: [], paramCount: 1234, trainChars: 900, valChars: 100, baselineNats: Math.log(10), totalSteps: 100, stepsPerEpoch: 10,
};

test('settings in package.json equal what the settings table derives (npm run sync-settings writes them)', () => {
  assert.deepEqual(manifest.contributes.configuration, contributedConfiguration());
  const properties = Object.assign({}, ...manifest.contributes.configuration.map((c: { properties: object }) => c.properties)) as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(properties).filter((k) => k !== 'rnnLab.nodePath').sort(), settingKeys.map((k) => `${configSection}.${k}`).sort());
  assert.equal(properties['rnnLab.nodePath'].scope, 'machine');
  assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, ['rnnLab.nodePath']);
});

test('every contributed command id has a title, the category and is one the extension registers', () => {
  const ids = (manifest.contributes.commands as Array<{ command: string; category: string; title: string }>).map((c) => c.command);
  for (const id of ['rnnLab.train', 'rnnLab.stop', 'rnnLab.pause', 'rnnLab.resume', 'rnnLab.showLab', 'rnnLab.sample', 'rnnLab.newRun', 'rnnLab.openModel', 'rnnLab.continueInPytorch']) assert.ok(ids.includes(id), id);
  for (const c of manifest.contributes.commands) assert.equal(c.category, 'RNN Lab');
  assert.ok(manifest.activationEvents.includes('onWebviewPanel:rnnLab.lab'));
});

test('the time-series lab: its Stop command is in the palette only while it runs, and its panel comes back after a reload', () => {
  const palette = manifest.contributes.menus.commandPalette as Array<{ command: string; when?: string }>;
  assert.equal(palette.find((m) => m.command === 'rnnLab.seriesLabStop')?.when, 'rnnLab.seriesLabRunning');
  assert.ok(manifest.activationEvents.includes('onWebviewPanel:rnnLab.seriesLab'));
  const source = readFileSync(join(root, 'src/extension/seriesPanel.ts'), 'utf8');
  assert.match(source, /registerWebviewPanelSerializer\(SeriesPanel\.viewType/);
  assert.match(source, /'setContext', seriesRunningContextKey/);
});

test('readTrainConfig: unset settings give the defaults', () => {
  const { config, problems } = readTrainConfig(reader({}));
  assert.deepEqual(config, defaultTrainConfig);
  assert.deepEqual(problems, []);
});

test('readTrainConfig: valid values pass through; invalid ones fall back or are clamped, with a reason', () => {
  const { config, problems } = readTrainConfig(reader({
    hiddenSize: 64, cell: 'gru', learningRate: 0.01, prime: 'The ',
    layers: 99, batchSize: 3.6, optimizer: 'lbfgs', temperature: 'hot', backend: 'wasm',
  }));
  assert.equal(config.hiddenSize, 64);
  assert.equal(config.cell, 'gru');
  assert.equal(config.learningRate, 0.01);
  assert.equal(config.prime, 'The ');
  assert.equal(config.backend, 'wasm');
  assert.equal(config.layers, 8, 'clamped to the maximum');
  assert.equal(config.batchSize, 4, 'rounded to a whole number');
  assert.equal(config.optimizer, defaultTrainConfig.optimizer);
  assert.equal(config.temperature, defaultTrainConfig.temperature);
  assert.equal(problems.length, 4);
  assert.ok(problems.some((p) => p.startsWith('rnnLab.optimizer')));
});

test('presetOverSettings: the preset sets the model; the budget the user set decides how long it runs', () => {
  const captions = findPreset('captions')!;
  const settings = readTrainConfig(reader({ steps: 5, evalInterval: 5, hiddenSize: 32 })).config;
  const untouched = presetOverSettings(captions, settings, new Set());
  assert.deepEqual([untouched.steps, untouched.epochs, untouched.evalInterval, untouched.hiddenSize], [790, 0, 50, 128]);
  const config = presetOverSettings(captions, settings, new Set(['steps', 'evalInterval', 'hiddenSize'] as const));
  // Setting steps replaces the preset's steps, as --steps does on the CLI; hiddenSize stays the preset's.
  assert.deepEqual([config.steps, config.epochs, config.evalInterval, config.hiddenSize, config.mode], [5, 0, 5, 128, 'lines']);
  // A budget of zeros set by hand keeps the preset's length.
  const zeros = presetOverSettings(captions, readTrainConfig(reader({ steps: 0, epochs: 0, seconds: 30 })).config, new Set(['steps', 'epochs'] as const));
  assert.deepEqual([zeros.steps, zeros.epochs], [790, 0]);
});

test('readTrainConfig: a run with no limit at all gets the default step budget', () => {
  const { config, problems } = readTrainConfig(reader({ steps: 0, epochs: 0, seconds: 0 }));
  assert.equal(config.steps, defaultTrainConfig.steps);
  assert.equal(problems.length, 1);
  assert.equal(readTrainConfig(reader({ steps: 0, seconds: 30 })).config.steps, 0);
});

test('readNodePath is honoured only in trusted workspaces', () => {
  assert.equal(readNodePath(reader({ nodePath: ' /opt/node/bin/node ' }), true), '/opt/node/bin/node');
  assert.equal(readNodePath(reader({ nodePath: '/opt/node/bin/node' }), false), undefined);
  assert.equal(readNodePath(reader({ nodePath: '' }), true), undefined);
});

test('appendStep keeps the history bounded and averages merged losses', () => {
  let points: StepMetrics[] = [];
  for (let i = 1; i <= 10_000; i++) points = appendStep(points, step(i, i % 2 === 0 ? 1 : 3), 100);
  assert.ok(points.length <= 100 && points.length >= 50, `length ${points.length}`);
  assert.equal(points[points.length - 1].step, 10_000, 'the newest step is always kept');
  for (let i = 1; i < points.length; i++) assert.ok(points[i].step > points[i - 1].step, 'steps stay ordered');
  // Merged points average alternating 1 and 3 losses to 2.
  assert.ok(Math.abs(points[0].loss - 2) < 1e-12);
});

test('appendEval drops old sample text but keeps every value until the cap', () => {
  let evals: EvalMetrics[] = [];
  for (let i = 1; i <= samplesKept + 10; i++) evals = appendEval(evals, evaluation(i));
  assert.equal(evals.length, samplesKept + 10);
  assert.equal(evals.filter((e) => e.sample !== '').length, samplesKept);
  assert.equal(evals[evals.length - 1].sample, `sample ${samplesKept + 10}`);
  assert.equal(evals[0].sample, '');
  let many: EvalMetrics[] = [];
  for (let i = 1; i <= 300; i++) many = appendEval(many, evaluation(i), 100);
  assert.ok(many.length <= 100);
  assert.equal(many[many.length - 1].step, 300);
});

test('RunStore follows a run from start to finish and reports its state', () => {
  const store = new RunStore();
  assert.equal(store.runState().status, 'idle');
  store.begin('Reading a.txt');
  assert.equal(store.status, 'starting');
  store.apply({ type: 'ready', payload: { pid: 42 } });
  const shown = store.apply({ type: 'started', payload: started });
  assert.equal(shown[0].type, 'snapshot');
  assert.equal(store.status, 'running');
  store.apply({ type: 'step', payload: step(10) });
  store.apply({ type: 'eval', payload: evaluation(10, 'hello') });
  store.apply({ type: 'paused', payload: { step: 10 } });
  assert.equal(store.status, 'paused');
  store.apply({ type: 'resumed', payload: { step: 10 } });
  store.apply({ type: 'checkpoint', payload: { path: '/w/.rnnlab/a-best.json', step: 10, valLoss: 1.5, reason: 'best' } });
  store.apply({ type: 'step', payload: step(20) });
  store.apply({ type: 'finished', payload: { reason: 'completed', message: 'Done', step: 20, bestValLoss: 1.5 } });
  const state = store.runState();
  assert.deepEqual(state, {
    status: 'completed', trainerPid: 42, evalCount: 1, lastSample: 'hello', lastPrime: '', lastValBitsPerChar: 1.5 / Math.LN2, step: 20, checkpointPath: '/w/.rnnlab/a-best.json',
    sourceName: 'a.txt', trainChars: 900, valChars: 100,
  });
  assert.deepEqual(store.trainerExited({ code: 0, signal: null }), [], 'the exit of a finished run is no crash');
});

test('RunStore: a run whose GPU is lost names the CPU engine on its backend line and keeps its history', () => {
  const store = new RunStore();
  store.begin('Reading a.txt');
  store.apply({ type: 'started', payload: { ...started, backend: { name: 'webgpu', description: 'WebGPU, SwiftShader (CPU emulation)', threads: 1 } } });
  store.apply({ type: 'step', payload: step(10) });
  const shown = store.gpuLost('The GPU tab was closed: the run continues on the CPU engine.');
  assert.equal(shown[0]?.type, 'snapshot');
  const snapshot = store.snapshot!;
  assert.equal(snapshot.started?.backend.description, 'CPU engine (after WebGPU, SwiftShader (CPU emulation): the GPU was lost)');
  assert.equal(snapshot.statusMessage, 'The GPU tab was closed: the run continues on the CPU engine.');
  assert.equal(snapshot.status, 'running');
  assert.equal(snapshot.steps.length, 1, 'the run\'s history stays');
  store.apply({ type: 'finished', payload: { reason: 'completed', message: 'Done', step: 20, bestValLoss: 1.5 } });
  assert.deepEqual(store.gpuLost('late'), [], 'a finished run is left as it is');
});

test('RunStore reports a killed trainer as a crash with the step and the last checkpoint', () => {
  const store = new RunStore();
  store.begin('Reading');
  store.apply({ type: 'started', payload: started });
  store.apply({ type: 'step', payload: step(37) });
  const shown = store.trainerExited({ code: null, signal: 'SIGKILL' });
  assert.equal(store.status, 'crashed');
  assert.equal(shown[0].type, 'status');
  assert.match(store.snapshot!.statusMessage, /^Trainer process exited unexpectedly \(signal SIGKILL\) at step 37; last checkpoint: none$/);
});

test('RunStore: a failure before the start is an error, and its later exit is not a crash', () => {
  const store = new RunStore();
  store.begin('Reading');
  store.apply({ type: 'failed', payload: { message: 'empty.txt is empty; give a text file with some content.' } });
  assert.equal(store.status, 'error');
  assert.deepEqual(store.trainerExited({ code: 0, signal: null }), []);
  assert.equal(store.status, 'error');
});

test('a model opened from Keras weights: its own status and line, and its opening sample as the latest sample', () => {
  const store = new RunStore();
  store.begin('Opening /w/seed.h5…');
  const shown = store.apply({ type: 'opened', payload: {
    path: '/w/seed.h5', kind: 'keras', started: { ...started, sourceName: 'seed.h5' }, step: 0, bestValLoss: null, trainHistory: [], valHistory: [],
    sample: { text: 'hello there', prime: 'a', temperature: 0.8 },
  } });
  const snapshot = shown[0].type === 'snapshot' ? shown[0].payload : null;
  assert.equal(snapshot?.status, 'opened');
  assert.equal(snapshot?.statusMessage, 'Opened model: seed.h5 (Keras weights: no training history, so no curves)');
  assert.deepEqual(snapshot?.openedSample, { text: 'hello there', prime: 'a', temperature: 0.8 });
  assert.equal(snapshot?.freshSample, undefined, 'not an on-demand sample');
  const state = store.runState();
  assert.equal(state.status, 'opened');
  assert.equal(state.lastSample, 'hello there');
  assert.equal(state.lastPrime, 'a');
  assert.equal(isTerminal('opened'), true, 'an opened model is not an active run');
});

test('the webview reducer rebuilds the same snapshot as the host from the messages it receives', () => {
  const store = new RunStore();
  let mirrored = reduceSnapshot(null, store.begin('Reading')[0]);
  const feed = [
    { type: 'started', payload: started }, { type: 'step', payload: step(1) }, { type: 'eval', payload: evaluation(1) },
    { type: 'paused', payload: { step: 1 } }, { type: 'finished', payload: { reason: 'stopped', message: 'Stopped', step: 1, bestValLoss: 1 } },
  ] as const;
  for (const message of feed) for (const m of store.apply(message)) mirrored = reduceSnapshot(mirrored, m);
  assert.deepEqual(mirrored, store.snapshot);
  assert.equal(mirrored?.status, 'stopped');
});

test('a sample drawn on demand stays in the snapshot, so a view that (re)loads later still shows it', () => {
  const store = new RunStore();
  let mirrored = reduceSnapshot(null, store.begin('Reading')[0]);
  for (const m of store.apply({ type: 'started', payload: started })) mirrored = reduceSnapshot(mirrored, m);
  const fresh = { text: 'the cat', prime: 'once ', temperature: 0.5 };
  for (const m of store.sampled(fresh)) mirrored = reduceSnapshot(mirrored, m);
  assert.deepEqual(store.snapshot?.freshSample, fresh);
  assert.deepEqual(mirrored, store.snapshot);
  const reloaded = JSON.parse(JSON.stringify(store.snapshot));
  assert.deepEqual(reloaded.freshSample, fresh);
});

test('restoring a saved run that was still training shows it as stopped', () => {
  const store = new RunStore();
  store.restore({ status: 'running', statusMessage: 'x', started, steps: [step(5)], evals: [evaluation(5)], lastStep: step(5) }, 'Training stopped when the window was reloaded.');
  assert.equal(store.status, 'stopped');
  assert.equal(store.runState().evalCount, 1);
  assert.equal(store.runState().step, 5);
});

test('progress text shows the step of the total and the best val bits/char', () => {
  const snapshot = { status: 'running' as const, statusMessage: '', started, steps: [], evals: [evaluation(50)], lastStep: step(60) };
  assert.equal(describeProgress(snapshot), `step 60/100 · best val ${(1.5 / Math.LN2).toFixed(2)} bits/char`);
});

test('hover markdown: visible names for whitespace, escaped table cells, bars and entropy', () => {
  assert.equal(visibleSymbol(' '), '␣ space');
  assert.equal(visibleSymbol('\n'), '↵ newline');
  assert.equal(visibleSymbol('\u0001'), 'U+0001');
  assert.equal(bar(1), '█'.repeat(20));
  assert.equal(bar(0), '');
  assert.equal(bar(0.5), '█'.repeat(10));
  const md = probsMarkdown({ probs: [{ symbol: '|', p: 0.6 }, { symbol: ' ', p: 0.3 }], entropyBits: 1.23 }, 16);
  const lines = md.split('\n');
  assert.ok(lines.includes('| 1 | \\| | 60.0% | ' + '█'.repeat(12) + ' |'), md);
  assert.ok(lines.includes('| 2 | ␣ space | 30.0% | ' + '█'.repeat(6) + ' |'), md);
  assert.match(md, /Entropy: \*\*1\.23 bits\*\* \(uniform guess: 4\.00 bits\)/);
  // The actual next character and the entropy above the table, where the short hover widget shows them.
  const withNext = probsMarkdown({ probs: [{ symbol: 'a', p: 0.6 }], entropyBits: 1, next: { symbol: 'a', p: 0.6, bits: 0.74, known: true } }, 16).split('\n');
  const tableAt = withNext.findIndex((l) => l.startsWith('| #'));
  assert.ok(withNext.findIndex((l) => l.startsWith('Actual next')) < tableAt && withNext.findIndex((l) => l.startsWith('Entropy')) < tableAt, withNext.join('\n'));
});
