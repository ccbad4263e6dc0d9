/**
 * The Lab panel: status, numbers, the loss chart, the latest sample and the Sample control.
 * It renders only the RunSnapshot it rebuilds from host messages (with the host's own reducer);
 * the skeleton is built once and updated in place, so typing in the Sample control never loses focus.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { onDemandSampleLength, onDemandSampleLimit, type RunSnapshot, type ToWebviewMessage } from '../../src/protocol/messages';
import { reduceSnapshot } from '../../src/protocol/snapshot';
import { LossChart } from '../shared/chart';
import { el, setText } from '../shared/dom';
import { describeData, formatCompact, formatDuration, formatEpoch, formatInt, formatLoss, symbolUnit } from '../shared/format';
import { openedSampleMeta, sampleList, sampleMeta, sampleText } from '../shared/sampleCards';
import { loadState, onHostMessage, postToHost, saveState } from '../shared/vscodeApi';
import { buildLabCards, onLabResult, setLabSnapshot } from './cards';
import { buildCompareCard, onRuns } from './compare';
import { buildGradNormChart } from './gradNormChart';
import { modelHeadline } from '../../src/engine/model/headline';
import { specFromConfig } from '../../src/engine/train/config';

type TextField = HTMLElement & { value: string };

const saved = loadState();
let snapshot: RunSnapshot | null = saved?.snapshot ?? null;
const sampleInputs = (saved?.extras ?? {}) as { prime?: string; length?: string; temperature?: string };

// ---- skeleton ----
const title = el('h1', {}, 'RNN Lab');
const statusLine = el('p', { class: 'status' });
const statusMessage = el('span', { class: 'status-message' });

const stopButton = el('vscode-button', { secondary: '' }, 'Stop');
const pauseButton = el('vscode-button', { secondary: '' }, 'Pause');
const folderButton = el('vscode-button', { secondary: '', title: 'Show the checkpoint folder' }, 'Checkpoints');
stopButton.addEventListener('click', () => postToHost('stop', {}));
pauseButton.addEventListener('click', () => postToHost(snapshot?.status === 'paused' ? 'resume' : 'pause', {}));
folderButton.addEventListener('click', () => postToHost('openCheckpoint', {}));

function stat(label: string): { node: HTMLElement; value: HTMLElement } {
  const value = el('span', { class: 'stat-value' }, '–');
  return { node: el('div', { class: 'stat' }, el('span', { class: 'stat-label' }, `${label}: `), value), value };
}
const stats = {
  step: stat('Step'), epoch: stat('Epoch'), elapsed: stat('Elapsed'), eta: stat('ETA'), speed: stat('Speed'),
  data: stat('Data'), params: stat('Parameters'), vocab: stat('Vocabulary'), backend: stat('Backend'), model: stat('Model'), train: stat('Train loss'),
  val: stat('Validation'), points: stat('Validation points'), baseline: stat('Random guess'),
};

const canvas = el('canvas', { class: 'chart', role: 'img', 'aria-label': 'Training and validation loss by step' });
const readout = el('div', { class: 'chart-readout' }, '\u00a0');
const chart = new LossChart(canvas, readout);
const gradNorm = buildGradNormChart();
const legend = el('div', { class: 'legend' },
  legendItem('raw', 'training loss per batch'), legendItem('smooth', 'training loss, moving average'),
  legendItem('val', 'validation loss'), legendItem('baseline', 'random guess ln(V)'));

function legendItem(kind: string, label: string): HTMLElement {
  return el('span', { class: 'legend-item' }, el('span', { class: `swatch swatch-${kind}` }), label);
}

const latestHeading = el('h2', {}, 'Latest sample');
const latestBody = el('div', { class: 'latest-sample' });
/** Earlier samples: the newest few, folded away at the end of the panel, so they never push the lab cards down. */
const earlierShown = 20;
const earlierSummary = el('summary', {}, 'Earlier samples');
const earlierBody = el('div');
const earlierSamples = el('details', { class: 'earlier-samples', id: 'earlier-samples' }, earlierSummary, earlierBody);

// Sample control: temperature 0-2 (0 = greedy), prime text, length.
const temperatureInput = el('input', { type: 'range', min: '0', max: '2', step: '0.05', value: sampleInputs.temperature ?? '0.8', 'aria-label': 'Temperature' });
const temperatureValue = el('span', { class: 'temperature-value' });
const primeInput = el('vscode-textfield', { placeholder: 'prime text (optional)', 'aria-label': 'Prime text' }) as TextField;
const lengthInput = el('vscode-textfield', { type: 'number', min: '1', max: String(onDemandSampleLimit), value: sampleInputs.length ?? '200', 'aria-label': 'Sample length' }) as TextField;
const sampleButton = el('vscode-button', {}, 'Sample');
const freshSample = el('div', { class: 'fresh-sample' });
primeInput.setAttribute('value', sampleInputs.prime ?? '');
const showTemperature = () => setText(temperatureValue, Number(temperatureInput.value) === 0 ? 'T 0 (greedy)' : `T ${Number(temperatureInput.value).toFixed(2)}`);
temperatureInput.addEventListener('input', () => { showTemperature(); remember(); });
primeInput.addEventListener('input', remember);
lengthInput.addEventListener('input', remember);
sampleButton.addEventListener('click', () => {
  const length = onDemandSampleLength(Number(lengthInput.value));
  setText(freshSample, 'Sampling…');
  postToHost('sample', { prime: primeInput.value ?? '', length, temperature: Number(temperatureInput.value) });
});
showTemperature();

function remember(): void {
  sampleInputs.prime = primeInput.value;
  sampleInputs.length = lengthInput.value;
  sampleInputs.temperature = temperatureInput.value;
  saveState({ snapshot, extras: sampleInputs });
}

const empty = el('p', { class: 'empty' }, 'No run yet. Open a text file and run "RNN Lab: Train char-LSTM on this file".');
const runView = el('div', {},
  el('div', { class: 'toolbar' }, statusLine, el('span', { class: 'buttons' }, pauseButton, stopButton, folderButton)),
  statusMessage,
  el('div', { class: 'stats' }, ...Object.values(stats).map((s) => s.node)),
  el('div', { class: 'chart-box' }, canvas), legend, readout, gradNorm.node,
  latestHeading, latestBody,
  el('details', { class: 'sample-control', open: '' },
    el('summary', {}, 'Sample from the current weights'),
    el('div', { class: 'sample-inputs' },
      el('label', {}, 'Temperature ', temperatureInput, temperatureValue),
      el('label', {}, 'Prime ', primeInput),
      el('label', {}, 'Length ', lengthInput),
      sampleButton),
    freshSample),
);

/**
 * The panel's sections in a fixed order, whatever the run has produced: the run (its numbers,
 * chart and latest sample), the lab cards, Compare runs, then the earlier samples (folded).
 * The links at the top jump to each, so nothing has to be found by scrolling.
 */
const sections: Array<[string, string, HTMLElement]> = [
  ['lab-questions', 'Lab questions', buildLabCards()],
  ['compare-runs', 'Runs', buildCompareCard()],
];
const nav = el('nav', { class: 'lab-nav', 'aria-label': 'Sections' },
  ...[...sections.map(([id, label]) => [id, label] as const), ['earlier-samples', 'Earlier samples'] as const].map(([id, label]) => {
    const link = el('button', { class: 'link', 'data-section': id }, label);
    link.addEventListener('click', () => {
      const target = document.getElementById(id);
      if (target instanceof HTMLDetailsElement) target.open = true;
      target?.scrollIntoView({ block: 'start' });
    });
    return link;
  }));
document.getElementById('app')!.append(title, nav, empty, runView,
  ...sections.map(([id, label, content]) => el('section', { class: 'lab-section', id }, el('h2', {}, label), content)),
  earlierSamples);

// ---- rendering ----
let renderedEvalCount = -1;
let renderedStarted: unknown;
let renderedFreshSample: unknown;

function render(): void {
  const s = snapshot;
  empty.hidden = s !== null;
  runView.hidden = s === null;
  if (!s) return;
  const started = s.started;
  setText(title, started ? `RNN Lab: ${started.sourceName}` : 'RNN Lab');
  setText(statusLine, `Status: ${s.status}`);
  statusLine.className = `status status-${s.status}`;
  setText(statusMessage, s.statusMessage);
  const active = s.status === 'running' || s.status === 'paused' || s.status === 'starting';
  toggle(stopButton, active);
  toggle(pauseButton, s.status === 'running' || s.status === 'paused');
  setText(pauseButton, s.status === 'paused' ? 'Resume' : 'Pause');
  // A live trainer samples: one that trains, is paused, or completed; a stopped run's or an opened model is served from its file.
  toggle(sampleButton, started !== undefined && (s.status === 'running' || s.status === 'paused' || s.status === 'completed' || s.status === 'stopped' || s.status === 'opened'));
  if (s.freshSample !== renderedFreshSample) {
    renderedFreshSample = s.freshSample;
    const f = s.freshSample;
    if (!f) freshSample.replaceChildren();
    else if (f.error) freshSample.replaceChildren(el('p', { class: 'empty' }, f.error));
    else freshSample.replaceChildren(sampleText(f.text, f.prime), el('div', { class: 'sample-meta' }, `fresh sample · ${f.temperature === 0 ? 'greedy (T 0)' : `T ${f.temperature}`}`));
  }

  const last = s.lastStep;
  const lastEval = s.evals[s.evals.length - 1];
  const total = started?.totalSteps ?? 0;
  setText(stats.step.value, last ? (total > 0 ? `${formatInt(last.step)}/${formatInt(total)}` : formatInt(last.step)) : '–');
  setText(stats.epoch.value, last ? formatEpoch(last.epoch) : '–');
  setText(stats.elapsed.value, last ? formatDuration(last.elapsedMs) : '–');
  setText(stats.eta.value, last && active ? formatDuration(last.etaMs) : '–');
  setText(stats.speed.value, last ? `${formatCompact(last.charsPerSec)} chars/s` : '–');
  setText(stats.data.value, started ? describeData(started.config) : '–');
  // The architecture and its size from the shared parameter layout, with where to see it layer by layer.
  setText(stats.model.value, started ? modelHeadline(specFromConfig(started.config, started.vocabSize)) : '–');
  setText(stats.params.value, started ? formatInt(started.paramCount) : '–');
  setText(stats.vocab.value, started ? `${started.vocabSize} symbols` : '–');
  setText(stats.backend.value, started ? started.backend.description : '–');
  const unit = symbolUnit(started?.config.tokens);
  setText(stats.train.value, last ? formatLoss(last.smoothLoss, unit) : '–');
  // The latest validation loss, and the best one when it is not the latest (the weights samples and the hover use).
  const best = lastEval?.bestValLoss !== undefined && lastEval.bestStep !== undefined && lastEval.bestStep !== lastEval.step
    ? `; best val ${formatLoss(lastEval.bestValLoss, unit)} at step ${formatInt(lastEval.bestStep)}` : '';
  setText(stats.val.value, lastEval ? `val ${formatLoss(lastEval.valLoss, unit)}${best}` : s.status === 'opened' ? 'none recorded in the file' : 'not measured yet');
  setText(stats.points.value, String(s.evals.length));
  setText(stats.baseline.value, started ? formatLoss(started.baselineNats, unit) : '–');

  chart.setData({ steps: s.steps, evals: s.evals, baselineNats: started?.baselineNats, totalSteps: total, unit });
  gradNorm.update(s.steps, started?.config.clipNorm);

  if (s.evals.length !== renderedEvalCount || started !== renderedStarted) {
    renderedEvalCount = s.evals.length;
    renderedStarted = started;
    latestBody.replaceChildren(...latestSample(s));
    const earlier = sampleList(s.evals, 1, earlierShown, started?.config.tokens);
    const withText = s.evals.filter((e) => e.sample !== '').length - 1;
    earlierSamples.hidden = earlier.childElementCount === 0;
    setText(earlierSummary, withText > earlierShown ? `Earlier samples (the newest ${earlierShown} of ${withText})` : `Earlier samples (${withText})`);
    earlierBody.replaceChildren(earlier);
  }
}

/** The latest evaluation's sample; for an opened model without evaluations, the one drawn when it opened. */
function latestSample(s: RunSnapshot): HTMLElement[] {
  const lastEval = s.evals[s.evals.length - 1];
  if (lastEval && lastEval.sample !== '') return [sampleText(lastEval.sample, lastEval.prime), el('div', { class: 'sample-meta' }, sampleMeta(lastEval, s.started?.config.tokens))];
  if (s.openedSample) return [sampleText(s.openedSample.text, s.openedSample.prime), el('div', { class: 'sample-meta' }, openedSampleMeta(s.openedSample))];
  return [el('p', { class: 'empty' }, 'The first sample appears at the first evaluation.')];
}

function toggle(button: HTMLElement, enabled: boolean): void {
  if (enabled) button.removeAttribute('disabled'); else button.setAttribute('disabled', '');
}

let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => { renderQueued = false; render(); });
}

onHostMessage((message: ToWebviewMessage) => {
  if (message.type === 'labResult') return onLabResult(message.payload.requestId, message.payload.answer);
  if (message.type === 'runs') return onRuns(message.payload.runs, message.payload.note, message.payload.select);
  if (message.type === 'generated') return;
  snapshot = reduceSnapshot(snapshot, message);
  setLabSnapshot(snapshot);
  saveState({ snapshot, extras: sampleInputs });
  scheduleRender();
});

setLabSnapshot(snapshot);
render();
postToHost('ready', {});
postToHost('listRuns', {});
