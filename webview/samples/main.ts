/** The sidebar's Samples view: the current run's samples, newest first, with step and val bits/char. */
import type { RunSnapshot, ToWebviewMessage } from '../../src/protocol/messages';
import { reduceSnapshot } from '../../src/protocol/snapshot';
import { el, setText } from '../shared/dom';
import { sampleList, sampleText } from '../shared/sampleCards';
import { loadState, onHostMessage, postToHost, saveState } from '../shared/vscodeApi';

let snapshot: RunSnapshot | null = loadState()?.snapshot ?? null;

const header = el('p', { class: 'samples-header' });
const body = el('div');
document.getElementById('app')!.append(header, body);

let renderedEvalCount = -1;
let renderedStarted: unknown;
let renderedFresh: unknown;

function render(): void {
  const s = snapshot;
  if (!s) {
    setText(header, 'No run yet. Open a text file and run "RNN Lab: Train char-LSTM on this file".');
    body.replaceChildren();
    renderedEvalCount = -1;
    return;
  }
  const source = s.started ? `${s.started.sourceName} · ` : '';
  setText(header, `${source}Status: ${s.status} · ${s.evals.length} evaluation${s.evals.length === 1 ? '' : 's'}`);
  if (s.evals.length === renderedEvalCount && s.started === renderedStarted && s.freshSample === renderedFresh) return;
  renderedEvalCount = s.evals.length;
  renderedStarted = s.started;
  renderedFresh = s.freshSample;
  const list = sampleList(s.evals);
  // An on-demand sample (the Sample command, or the one drawn when a model is opened) comes first.
  const fresh = s.freshSample?.text
    ? [el('div', { class: 'sample-card' }, el('div', { class: 'sample-meta' }, `fresh sample · ${s.freshSample.temperature === 0 ? 'greedy (T 0)' : `T ${s.freshSample.temperature}`}`), sampleText(s.freshSample.text, s.freshSample.prime))]
    : [];
  body.replaceChildren(...fresh, list.childElementCount > 0 || fresh.length > 0 ? list : el('p', { class: 'empty' }, 'Samples appear at each evaluation.'));
}

onHostMessage((message: ToWebviewMessage) => {
  // Training steps change nothing shown here (the host sends a whole snapshot on `ready`).
  if (message.type === 'step') return;
  snapshot = reduceSnapshot(snapshot, message);
  saveState({ snapshot });
  render();
});

render();
postToHost('ready', {});
