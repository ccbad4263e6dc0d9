/**
 * The time-series lab's webview: controls for a run (the CLI's settings and the tutorial's "things
 * to try"), live loss curves, the run's numbers, the three plots once it ends, and a card that
 * compares gradient descent with the quasi-Newton method from the same initial weights. It renders
 * only what the host sends; every computation happens in the host's child process.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { Envelope } from '../../src/protocol/envelope';
import {
  defaultSeriesRequest, isSeriesHostMessage, type QuasiNewtonLine, type SeriesLabState, type SeriesReportLine, type SeriesRunRequest, type SeriesWebviewToHost,
} from '../../src/protocol/series';
import type { Setting } from '../../src/engine/config/table';
import { lossPanel, panelSvg } from '../../src/engine/series/plot';
import { seriesFormKeys, seriesGroups, seriesGroupTitles, seriesSettings, type SeriesGroup } from '../../src/engine/series/settings';
import type { SeriesReport } from '../../src/engine/series/lab';
import { el, setText } from '../shared/dom';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };
const vscode = acquireVsCodeApi();
function post<K extends keyof SeriesWebviewToHost>(type: K, payload: SeriesWebviewToHost[K]): void {
  vscode.postMessage({ type, payload } as Envelope<SeriesWebviewToHost>);
}

let state: SeriesLabState = { status: 'idle', request: {}, reports: [] };

// ---- controls: one field per setting with a form label (engine/series/settings.ts) ----
type FormKey = (typeof seriesFormKeys)[number];
type Field = { key: FormKey; input: HTMLInputElement | HTMLSelectElement; kind: 'number' | 'choice' | 'flag' };
const fields: Field[] = [];

/** The field its declaration describes: a number (integers step by 1), a choice, or a checkbox. */
function field(key: FormKey): HTMLElement {
  const s: Setting<string> = seriesSettings[key];
  const id = `f-${key}`;
  const label = s.label ?? key;
  if (s.type === 'boolean') {
    const input = el('input', { type: 'checkbox', id });
    fields.push({ key, input, kind: 'flag' });
    return el('label', { for: id }, input, ` ${label}`);
  }
  if (s.type === 'choice') {
    const input = el('select', { id }, ...s.choices.map((c) => el('option', { value: c }, c)));
    fields.push({ key, input, kind: 'choice' });
    return el('label', { for: id }, `${label} `, input);
  }
  const input = el('input', { type: 'number', step: s.type === 'integer' ? '1' : 'any', id });
  fields.push({ key, input, kind: 'number' });
  return el('label', { for: id }, `${label} `, input);
}

/** The form's fields of one group, in the table's order. */
const groupFields = (group: SeriesGroup) => seriesFormKeys.filter((k) => seriesSettings[k].group === group).map(field);

function readForm(): SeriesRunRequest {
  const request: Record<string, unknown> = { file: state.request.file };
  for (const f of fields) {
    if (f.kind === 'flag') request[f.key] = (f.input as HTMLInputElement).checked;
    else if (f.kind === 'number') request[f.key] = f.input.value === '' ? undefined : Number(f.input.value);
    else request[f.key] = f.input.value;
  }
  if (sourceSelect.value === 'mackey-glass') request.file = undefined;
  return request as SeriesRunRequest;
}

function fillForm(request: SeriesRunRequest): void {
  for (const f of fields) {
    const value = request[f.key];
    if (f.kind === 'flag') (f.input as HTMLInputElement).checked = Boolean(value);
    else f.input.value = value === undefined ? '' : String(value);
  }
  sourceSelect.value = request.file ? 'file' : 'mackey-glass';
  setText(fileName, request.file ?? '');
}

const sourceSelect = el('select', { id: 'f-source' }, el('option', { value: 'mackey-glass' }, 'Mackey-Glass'), el('option', { value: 'file' }, 'a series file'));
const fileName = el('span', { class: 'file-name' });
const pickButton = el('vscode-button', { secondary: '' }, 'Choose file…');
pickButton.addEventListener('click', () => post('pickFile', {}));

// The series group leads with where the series comes from (Mackey-Glass or a file); every group is a fieldset.
const controls = el('div', { class: 'controls' }, ...seriesGroups.map((group) => el('fieldset', {}, el('legend', {}, seriesGroupTitles[group]),
  ...(group === 'series' ? [el('label', { for: 'f-source' }, 'Source ', sourceSelect), ...groupFields(group), pickButton, fileName] : groupFields(group)))));

// The tutorial's "Things to Try", each a change to the current settings.
const thingsToTry: Array<[string, string, Partial<SeriesRunRequest>]> = [
  ['Initial weights ×10', 'The initial weight values', { initScale: 10 }],
  ['PyTorch-style uniform init', 'The initial weight values', { init: 'uniform', initScale: 1 }],
  ['L1 instead of L2', 'Using L2/L1 regularization', { l2: 0, l1: 1e-4 }],
  ['No regularisation', 'Using L2/L1 regularization', { l2: 0, l1: 0 }],
  ['Weight noise 0.01', 'Using weight noise', { weightNoise: 0.01 }],
  ['50 hidden units', 'The number of hidden units', { hiddenSize: 50 }],
  ['ReLU', 'The non-linearity', { activation: 'relu' }],
  ['Sigmoid', 'The non-linearity', { activation: 'sigmoid' }],
  ['Direct input→output', 'Adding direct connections between the input and the output', { direct: true }],
  ['LSTM', 'Another cell', { cell: 'lstm' }],
];
const tryButtons = el('div', { class: 'try' }, ...thingsToTry.map(([label, why, change]) => {
  const b = el('vscode-button', { secondary: '', title: why }, label);
  b.addEventListener('click', () => fillForm({ ...readForm(), ...change }));
  return b;
}));

const runButton = el('vscode-button', {}, 'Run');
const stopButton = el('vscode-button', { secondary: '' }, 'Stop');
const resetButton = el('vscode-button', { secondary: '', title: "The tutorial's settings" }, 'Tutorial settings');
runButton.addEventListener('click', () => post('run', readForm()));
stopButton.addEventListener('click', () => post('stop', {}));
resetButton.addEventListener('click', () => fillForm({ ...defaultSeriesRequest, file: state.request.file }));

// ---- results ----
const statusLine = el('p', { class: 'status' });
const errorLine = el('p', { class: 'error' });
function stat(label: string): HTMLElement {
  const value = el('span', { class: 'stat-value' }, '–');
  stats.append(el('div', { class: 'stat' }, el('span', { class: 'stat-label' }, `${label}: `), value));
  return value;
}
const stats = el('div', { class: 'stats' });
const statSeries = stat('Series');
const statParams = stat('Parameters');
const statProgress = stat('Progress');
const statTrain = stat('Train MSE');
const statVal = stat('Validation MSE');
const statFree = stat('Free-running MSE');

const plotsFigure = el('figure', { class: 'plot' });
const summary = el('pre', { class: 'summary' });
const compareCard = el('div', { class: 'card' });

document.getElementById('app')!.append(
  el('h1', {}, 'Time-series lab'),
  el('p', { class: 'intro' }, 'A recurrent network reads a series one value at a time and predicts the next; full-batch gradient descent, then a quasi-Newton method from there.'),
  statusLine, errorLine, stats,
  el('div', { class: 'toolbar' }, runButton, stopButton, resetButton),
  el('details', { open: '' }, el('summary', {}, 'Settings'), controls),
  el('details', { open: '' }, el('summary', {}, 'Things to try'), tryButtons),
  el('h2', {}, 'Plots'), plotsFigure,
  el('h2', {}, 'Gradient descent vs quasi-Newton from the same initial weights'), compareCard,
  el('h2', {}, 'Quasi-Newton summary'), summary,
);

/** Shows SVG markup (ours: from the plot module or the child's --plot file) as DOM, not as HTML. */
function showSvg(target: HTMLElement, markup: string | undefined, empty: string): void {
  if (!markup) {
    target.replaceChildren(el('p', { class: 'empty' }, empty));
    return;
  }
  const doc = new DOMParser().parseFromString(markup, 'image/svg+xml');
  const svg = doc.documentElement;
  if (svg.nodeName !== 'svg') return target.replaceChildren(el('p', { class: 'empty' }, 'The plot could not be read.'));
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  target.replaceChildren(document.importNode(svg, true));
}

const g = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toPrecision(4));

function render(): void {
  const s = state;
  const running = s.status === 'running';
  setText(statusLine, `Status: ${s.status}${running && s.pid ? ` (process ${s.pid})` : ''}`);
  statusLine.className = `status status-${s.status}`;
  setText(errorLine, s.error ?? '');
  errorLine.hidden = !s.error;
  runButton.toggleAttribute('disabled', running);
  stopButton.toggleAttribute('disabled', !running);
  const last = s.reports.at(-1);
  const f = s.final;
  setText(statSeries, f ? `${f.series} (${f.trainPoints} train, ${f.valPoints} validation)` : s.request.file ?? `Mackey-Glass, ${s.request.mackeyGlass ?? 2000} points`);
  setText(statParams, f ? String(f.parameters) : '–');
  setText(statProgress, last ? (last.phase === 'gd' ? `epoch ${last.epoch}` : `${last.phase === 'bfgs' ? 'BFGS' : 'L-BFGS'} iteration ${last.iteration}`) : '–');
  setText(statTrain, g(f?.trainMse ?? last?.trainMse));
  setText(statVal, g(f?.valMse ?? last?.valMse));
  setText(statFree, f && f.continuation.known > 0 ? `${g(f.continuation.mse)} over ${f.continuation.known} steps from step ${f.continuation.start}` : '–');
  // While it runs: the loss curves so far; once it ends: all three plots the run wrote.
  const live = s.reports.length ? panelSvg(lossPanel(s.reports as SeriesReport[]), 'Loss curves') : undefined;
  showSvg(plotsFigure, s.svg ?? live, 'No run yet.');
  const qn = f && (f.lbfgs ?? f.bfgs);
  setText(summary, qn ? quasiNewtonText(qn) : f ? 'No quasi-Newton phase in this run.' : '–');
  renderComparison();
}

function quasiNewtonText(q: QuasiNewtonLine): string {
  return [q.message, `Iterations: ${q.iterations}`, `Function evaluations: ${q.functionEvaluations}`, `Gradient evaluations: ${q.gradientEvaluations}`,
    `train mse: ${g(q.trainMse)}   validation mse: ${g(q.valMse)}   (${q.seconds.toFixed(2)} s)`].join('\n');
}

function renderComparison(): void {
  const f = state.final;
  if (!f || !f.gd || !f.comparison) {
    compareCard.replaceChildren(el('p', { class: 'empty' }, f ? 'Needs a gradient-descent run followed by L-BFGS or BFGS.' : 'Shown when a run ends.'));
    return;
  }
  const qn = f.comparison;
  const both = f.lbfgs ?? f.bfgs;
  const name = qn.method === 'bfgs' ? 'BFGS' : 'L-BFGS';
  const row = (cells: string[], head = false) => el('tr', {}, ...cells.map((c) => el(head ? 'th' : 'td', {}, c)));
  compareCard.replaceChildren(el('table', {},
    row(['Method', 'Work', 'Train MSE', 'Validation MSE', 'Time'], true),
    row([`${f.gd.optimizer} (lr ${state.request.learningRate})`, `${f.gd.epochs} epochs`, g(f.gd.trainMse), g(f.gd.valMse), `${f.gd.seconds.toFixed(2)} s`]),
    row([`${name} alone`, `${qn.iterations} iterations, ${qn.functionEvaluations} evaluations`, g(qn.trainMse), g(qn.valMse), `${qn.seconds.toFixed(2)} s`]),
    both ? row([`${f.gd.optimizer}, then ${name}`, `+${both.iterations} iterations, ${both.functionEvaluations} evaluations`, g(both.trainMse), g(both.valMse), `${(f.gd.seconds + both.seconds).toFixed(2)} s`]) : null,
  ));
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isSeriesHostMessage(message)) return;
  if (message.type === 'state') {
    const requestChanged = JSON.stringify(message.payload.request) !== JSON.stringify(state.request);
    state = message.payload;
    if (requestChanged) fillForm(state.request);
  } else {
    state.reports.push(message.payload as SeriesReportLine);
  }
  render();
});

render();
post('ready', {});
