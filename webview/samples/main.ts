/** The sidebar's Samples view: the current run's samples, newest first, with step and val bits/char. */
import type { RunSnapshot, ToWebviewMessage } from '../../src/protocol/messages';
import { reduceSnapshot } from '../../src/protocol/snapshot';
import { el, setText } from '../shared/dom';
import { sampleList } from '../shared/sampleCards';
import { loadState, onHostMessage, postToHost, saveState } from '../shared/vscodeApi';

let snapshot: RunSnapshot | null = loadState()?.snapshot ?? null;

const header = el('p', { class: 'samples-header' });
const body = el('div');
document.getElementById('app')!.append(header, body);

let renderedEvalCount = -1;
let renderedStarted: unknown;

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
  if (s.evals.length === renderedEvalCount && s.started === renderedStarted) return;
  renderedEvalCount = s.evals.length;
  renderedStarted = s.started;
  body.replaceChildren(s.evals.length > 0 ? sampleList(s.evals) : el('p', { class: 'empty' }, 'Samples appear at each evaluation.'));
}

onHostMessage((message: ToWebviewMessage) => {
  // Training steps and on-demand samples change nothing shown here (the host sends a whole snapshot on `ready`).
  if (message.type === 'sampleResult' || message.type === 'step') return;
  snapshot = reduceSnapshot(snapshot, message);
  saveState({ snapshot });
  render();
});

render();
postToHost('ready', {});
