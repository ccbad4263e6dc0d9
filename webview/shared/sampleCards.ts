/** Sample cards (newest first), shared by the Lab panel and the sidebar view. */
import type { EvalMetrics, FreshSample } from '../../src/protocol/messages';
import { el } from './dom';
import { formatInt, formatLossShort, symbolUnit } from './format';

export function sampleMeta(e: EvalMetrics, tokens?: string): string {
  const temperature = e.temperature === 0 ? 'greedy (T 0)' : `T ${e.temperature}`;
  return `step ${formatInt(e.step)} · val ${formatLossShort(e.valLoss, symbolUnit(tokens))} · ${temperature}${e.isBest ? ' · best so far' : ''}`;
}

/** The caption of the sample drawn when a model was opened (it has no step or validation loss of its own). */
export function openedSampleMeta(sample: FreshSample): string {
  return `drawn when the model was opened · ${sample.temperature === 0 ? 'greedy (T 0)' : `T ${sample.temperature}`}`;
}

/**
 * The sample with its priming text before it, marked, so readers see where the model took over.
 * Samples never include their prime (the model reads it, then generates), so it is always shown.
 */
export function sampleText(sample: string, prime: string): HTMLElement {
  const pre = el('pre', { class: 'sample-text' });
  if (prime !== '') pre.append(el('span', { class: 'prime', title: 'priming text (the model read this, then wrote the rest)' }, prime));
  pre.append(el('span', { class: 'generated' }, sample));
  return pre;
}

export function sampleCard(e: EvalMetrics, tokens?: string): HTMLElement {
  return el('li', { class: 'sample-card' }, el('div', { class: 'sample-meta' }, sampleMeta(e, tokens)), sampleText(e.sample, e.prime));
}

/** Cards for the evaluations that still carry their text, newest first, skipping the first `skip`. */
export function sampleList(evals: EvalMetrics[], skip = 0, limit = 50, tokens?: string): HTMLElement {
  const list = el('ol', { class: 'sample-list' });
  const withText = evals.filter((e) => e.sample !== '').reverse().slice(skip, skip + limit);
  for (const e of withText) list.append(sampleCard(e, tokens));
  return list;
}
