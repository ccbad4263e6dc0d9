/**
 * The sidebar's Samples view: a sample control that writes with the current model (prime,
 * temperature, length, greedy, stop at the end symbol), the sample streaming in as it is drawn,
 * "Insert at cursor" and "Copy", the last samples kept, and below them the run's own samples
 * from each evaluation, newest first.
 */
import { onDemandSampleLength, onDemandSampleLimit, type RunSnapshot, type ToWebviewMessage } from '../../src/protocol/messages';
import { reduceSnapshot } from '../../src/protocol/snapshot';
import { END_SYMBOL } from '../../src/engine/data/charTokenizer';
import { SENTENCE_END } from '../../src/engine/data/wordTokenizer';
import { el, setText } from '../shared/dom';
import { openedSampleMeta, sampleList, sampleText } from '../shared/sampleCards';
import { loadState, onHostMessage, postToHost, saveState } from '../shared/vscodeApi';

interface KeptSample {
  prime: string;
  text: string;
  temperature: number;
  model: string;
  error?: string;
}

/** Samples kept in the view (and its saved state). */
const keep = 10;
const endSymbolNames = [END_SYMBOL, SENTENCE_END];

const saved = loadState();
let snapshot: RunSnapshot | null = saved?.snapshot ?? null;
const extras = (saved?.extras ?? {}) as { kept?: KeptSample[]; prime?: string; temperature?: string; length?: string; greedy?: boolean; stopAtEnd?: boolean };
let kept: KeptSample[] = Array.isArray(extras.kept) ? extras.kept.slice(0, keep) : [];

const header = el('p', { class: 'samples-header' });

const prime = el('input', { type: 'text', 'data-input': 'prime', placeholder: 'prime text (optional)', 'aria-label': 'Prime text' });
prime.value = extras.prime ?? '';
const temperature = el('input', { type: 'range', min: '0.05', max: '2', step: '0.05', value: extras.temperature ?? '0.8', 'data-input': 'temperature', 'aria-label': 'Temperature' });
const temperatureValue = el('span', { class: 'temperature-value' });
const length = el('input', { type: 'number', min: '1', max: String(onDemandSampleLimit), value: extras.length ?? '200', 'data-input': 'length', 'aria-label': 'Length' });
const greedy = el('input', { type: 'checkbox', 'data-input': 'greedy' });
greedy.checked = extras.greedy ?? false;
const stopAtEnd = el('input', { type: 'checkbox', 'data-input': 'stopAtEnd' });
stopAtEnd.checked = extras.stopAtEnd ?? true;
const stopNote = el('span', { class: 'hint' });
const generate = el('button', { class: 'generate' }, 'Generate');
const current = el('div', { class: 'current-sample' });
const keptList = el('ol', { class: 'sample-list kept' });
const evalHeading = el('h3', {}, 'From training');
const evalBody = el('div');

const control = el('div', { class: 'sample-control', id: 'sample-writer' },
  el('label', {}, 'Prime ', prime),
  el('label', {}, 'Temperature ', temperature, temperatureValue),
  el('label', {}, 'Length ', length),
  el('label', {}, greedy, ' greedy (always the most likely)'),
  el('label', {}, stopAtEnd, ' stop at the end symbol', stopNote),
  generate);
document.getElementById('app')!.append(header, control, current, el('h3', {}, 'Last samples'), keptList, evalHeading, evalBody);

function remember(): void {
  saveState({ snapshot, extras: { kept, prime: prime.value, temperature: temperature.value, length: length.value, greedy: greedy.checked, stopAtEnd: stopAtEnd.checked } });
}
function showTemperature(): void {
  temperature.disabled = greedy.checked;
  setText(temperatureValue, greedy.checked ? 'T 0 (greedy)' : `T ${Number(temperature.value).toFixed(2)}`);
}
for (const input of [prime, temperature, length, greedy, stopAtEnd]) input.addEventListener('input', () => { showTemperature(); remember(); });
greedy.addEventListener('change', () => { showTemperature(); remember(); });
showTemperature();

function modelName(): string {
  const s = snapshot?.started;
  return s ? `${s.sourceName}, step ${snapshot?.lastStep?.step ?? 0}` : 'no model';
}

function actions(text: () => string): HTMLElement {
  const insert = el('button', { class: 'insert secondary', title: 'Insert the generated text at the cursor of the editor' }, 'Insert at cursor');
  const copy = el('button', { class: 'copy secondary' }, 'Copy');
  insert.addEventListener('click', () => postToHost('insert', { text: text() }));
  copy.addEventListener('click', () => postToHost('copy', { text: text() }));
  return el('div', { class: 'sample-actions' }, insert, copy);
}

function keptCard(k: KeptSample): HTMLElement {
  const meta = `${k.temperature === 0 ? 'greedy (T 0)' : `T ${k.temperature}`} · ${k.model}`;
  if (k.error) return el('li', { class: 'sample-card' }, el('p', { class: 'empty' }, k.error));
  return el('li', { class: 'sample-card' }, el('div', { class: 'sample-meta' }, meta), sampleText(k.text, k.prime), actions(() => k.text));
}

function renderKept(): void {
  keptList.replaceChildren(...(kept.length ? kept.map(keptCard) : [el('li', { class: 'empty' }, 'Generated samples stay here (the last 10).')]));
}

let nextRequestId = 1;
let active: { requestId: number; sample: KeptSample; body: HTMLElement; timer: number } | undefined;

generate.addEventListener('click', () => {
  const t = greedy.checked ? 0 : Number(temperature.value);
  const n = onDemandSampleLength(Number(length.value));
  const requestId = nextRequestId++;
  const sample: KeptSample = { prime: prime.value, text: '', temperature: t, model: modelName() };
  const body = el('pre', { class: 'sample-text streaming' }, el('span', { class: 'prime' }, sample.prime), el('span', { class: 'generated' }));
  current.replaceChildren(el('div', { class: 'sample-meta' }, 'Writing…'), body);
  generate.disabled = true;
  // The host always answers (a calm error at worst); this only guards against a lost message.
  const timer = window.setTimeout(() => finish(requestId, sample.text, 'No answer from the model. Try again.'), 90_000);
  active = { requestId, sample, body, timer };
  postToHost('generate', { requestId, prime: sample.prime, length: n, temperature: t, stopAtEnd: stopAtEnd.checked });
});

function finish(requestId: number, text: string, error?: string): void {
  if (!active || active.requestId !== requestId) return;
  window.clearTimeout(active.timer);
  const sample = { ...active.sample, text, error: error && text === '' ? error : undefined };
  active = undefined;
  generate.disabled = false;
  current.replaceChildren();
  kept = [sample, ...kept].slice(0, keep);
  remember();
  renderKept();
}

let renderedEvalCount = -1;
let renderedStarted: unknown;

function render(): void {
  const s = snapshot;
  const hasEnd = s?.started?.symbols.some((x) => endSymbolNames.includes(x)) ?? false;
  stopAtEnd.disabled = !hasEnd;
  setText(stopNote, s?.started && !hasEnd ? ' (this model has no end symbol)' : '');
  if (!s) {
    setText(header, 'No run yet. Open a text file and run "RNN Lab: Train char-LSTM on this file".');
    evalBody.replaceChildren();
    renderedEvalCount = -1;
    return;
  }
  const source = s.started ? `${s.started.sourceName} · ` : '';
  setText(header, `${source}Status: ${s.status} · ${s.evals.length} evaluation${s.evals.length === 1 ? '' : 's'}`);
  if (s.evals.length === renderedEvalCount && s.started === renderedStarted) return;
  renderedEvalCount = s.evals.length;
  renderedStarted = s.started;
  const opened = s.openedSample;
  evalBody.replaceChildren(s.evals.length > 0 ? sampleList(s.evals, 0, 50, s.started?.config.tokens)
    : opened ? el('ol', { class: 'sample-list' }, el('li', { class: 'sample-card' }, el('div', { class: 'sample-meta' }, openedSampleMeta(opened)), sampleText(opened.text, opened.prime)))
      : el('p', { class: 'empty' }, 'Samples appear at each evaluation.'));
}

onHostMessage((message: ToWebviewMessage) => {
  if (message.type === 'generated') {
    const { requestId, text, done, error } = message.payload;
    if (active && active.requestId === requestId) {
      // Pieces are appended as they come; the last message carries the whole text.
      active.sample.text = done ? text : active.sample.text + text;
      if (done) setText(active.body.lastChild as HTMLElement, text);
      else (active.body.lastChild as HTMLElement).append(text);
      if (done) finish(requestId, text, error);
    }
    return;
  }
  // Training steps and the Lab's own answers change nothing shown here.
  if (message.type === 'step' || message.type === 'labResult' || message.type === 'runs') return;
  snapshot = reduceSnapshot(snapshot, message);
  remember();
  render();
});

renderKept();
render();
postToHost('ready', {});
