/**
 * The lab cards: each lab question as a card with its inputs, a Run button, the result, a
 * paragraph that explains what the student sees and why, and "Copy as Markdown". A card asks the
 * host (`lab` message), which asks the trainer; every answer, including "no model", ends the wait,
 * and a card that hears nothing gives up with a note rather than spin forever.
 */
import { findPreset } from '../../src/engine/config/presets';
import { neuronTextLimit, type LabAnswer, type LabKind } from '../../src/protocol/labs';
import type { RunSnapshot } from '../../src/engine/train/events';
import { el, setText, withStyle } from '../shared/dom';
import { formatDuration } from '../shared/format';
import { formatSeconds } from '../../src/engine/labs/duration';
import { weightsLabel } from '../../src/engine/labs/weightsLabel';
import { postToHost } from '../shared/vscodeApi';
import { gradientFlowCard } from './gradientFlow';
import { labCard, type LabCardView, type Placement } from './card';

function commandButton(label: string, command: Parameters<typeof postToHost<'command'>>[1], attrs: Record<string, string> = {}): HTMLElement {
  const button = el('button', { class: 'secondary', ...attrs }, label);
  button.addEventListener('click', () => postToHost('command', command));
  return button;
}

/** A card gives up waiting after this long (the host answers within a minute, even "no answer"). */
const giveUpMs = 75_000;

const show = (s: string) => (s === ' ' ? '␣' : s === '\n' ? '↵' : s === '\t' ? '⇥' : s);
const pct = (p: number) => `${(100 * p).toFixed(1)}%`;
const num = (v: string, fallback: number) => (v.trim() === '' || !Number.isFinite(Number(v)) ? fallback : Number(v));
const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/`/g, 'ˋ');
const mdQuote = (s: string) => (s === '' ? '*(empty)*' : `\`${s.replace(/`/g, 'ˋ')}\``);

function notes(list: string[]): Node {
  return el('div', {}, ...list.map((n) => el('p', { class: 'card-note' }, n)));
}

function table(head: string[], rows: Array<Array<string | Node>>, cls = 'card-table'): HTMLElement {
  return el('table', { class: cls },
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))));
}

function mdTable(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join('\n');
}

/** The cards that ask the model, each placed by its `order`. */
const cards = [
  labCard({
    id: 'q1', kind: 'timing', order: 1, group: 'questions', title: 'Q1 Time per epoch and hardware',
    intro: 'How long an epoch takes on this machine (measured), what 10 epochs would take, and the hardware it ran on.',
    inputs: [],
    request: () => ({ kind: 'timing' }),
    render({ timing: t, hardware: h }) {
      const rows: Array<[string, string]> = [
        ['Time per epoch', `${formatSeconds(t.avgEpochMs)} (${t.basis === 'measured' ? `mean of ${t.measuredEpochs.length} finished epoch${t.measuredEpochs.length === 1 ? '' : 's'}` : 'projected from the steps so far: no epoch has finished'})`],
        ['10 epochs', formatSeconds(t.tenEpochsMs)],
        ['Trained so far', `${t.stepsDone} steps = ${t.epochsDone.toFixed(2)} epochs in ${formatDuration(t.elapsedMs)} (${t.msPerStep.toFixed(1)} ms/step, ${t.stepsPerEpoch} steps/epoch)`],
        ...(t.measuredEpochs.length ? [['Finished epochs', t.measuredEpochs.map((e) => `#${e.epoch} ${formatSeconds(e.ms)}`).join(', ')] as [string, string]] : []),
        ['CPU', `${h.cpuModel}, ${h.cores} cores`],
        ['Memory', `${(h.memoryBytes / 2 ** 30).toFixed(1)} GiB (${(h.freeMemoryBytes / 2 ** 30).toFixed(1)} GiB free)`],
        ['Backend', h.backendText],
        ['GPU', h.gpu ?? 'none in use'],
        ['System', `${h.os}, Node ${h.node}`],
      ];
      return {
        result: table(['', ''], rows.map(([k, v]) => [k, v]), 'card-table kv'),
        explanation: `An epoch is one pass over the training text: ${t.stepsPerEpoch} steps here. ${t.basis === 'measured'
          ? 'The time per epoch is measured at each epoch boundary'
          : 'No epoch has finished yet, so the time per epoch is the time per step so far times the steps in an epoch'}; 10 epochs is ten of those. Training time grows with the text, the hidden size (roughly its square) and the sequence length, and shrinks with more cores or a GPU backend.`,
        markdown: `### Q1 Time per epoch and hardware\n\n${mdTable(['', ''], rows)}`,
      };
    },
  }),
  labCard({
    id: 'q2', kind: 'firstSymbols', order: 2, group: 'questions', title: 'Q2 First characters',
    intro: 'The 10 most probable first symbols of a sentence, after the start symbol, or after a prefix you type.',
    inputs: [{ name: 'prefix', label: 'Prefix', type: 'text', value: '', placeholder: '(empty: the start symbol)' }],
    request: (v) => ({ kind: 'firstSymbols', prefix: v.prefix, top: 10 }),
    render(a) {
      const max = a.probs[0]?.p || 1;
      const bars = el('div', { class: 'bars' }, ...a.probs.map((r) => el('div', { class: 'bar-row' },
        el('span', { class: 'bar-symbol' }, show(r.symbol)),
        withStyle(el('span', { class: 'bar' }), { width: `${(100 * r.p / max).toFixed(1)}%` }),
        el('span', { class: 'bar-p' }, pct(r.p)))));
      const rows = a.probs.map((r, i) => [String(i + 1), show(r.symbol), r.p.toFixed(4)]);
      const top = a.probs.reduce((s, r) => s + r.p, 0);
      return {
        result: el('div', {}, notes(a.notes), el('p', {}, `After ${a.context}:`), el('div', { class: 'q2' }, bars, table(['#', 'symbol', 'p'], rows))),
        explanation: `The model reads ${a.context} from a fresh state and its softmax gives a probability to every symbol it knows. These 10 hold ${pct(top)} of it; the entropy of the whole distribution is ${a.entropyBits.toFixed(2)} bits (a uniform guess over the ${a.vocabSize} symbols would be ${Math.log2(a.vocabSize).toFixed(2)} bits). A trained model puts most of its mass on the letters sentences in this text really start with.`,
        markdown: `### Q2 First characters after ${a.context}\n\n${mdTable(['#', 'symbol', 'p'], rows)}\n\nEntropy ${a.entropyBits.toFixed(2)} bits.`,
      };
    },
  }),
  labCard({
    id: 'q3', kind: 'sentences', order: 3, group: 'questions', title: 'Q3 Five sentences',
    intro: 'Five sentences sampled symbol by symbol, each from the start of a sentence to its end: the start and end symbols of a model trained on lines (the end symbol is not printed), newlines for a model trained on a stream.',
    inputs: [{ name: 'temperature', label: 'Temperature', type: 'number', value: '0.8', width: '5em' }, { name: 'maxLength', label: 'Max length', type: 'number', value: '200', width: '5em' }],
    request: (v) => ({ kind: 'sentences', count: 5, temperature: num(v.temperature, 0.8), maxLength: num(v.maxLength, 200) }),
    render(a, v) {
      return {
        result: el('div', {}, notes(a.notes), el('ol', { class: 'sentences' }, ...a.sentences.map((s) => el('li', {}, s === '' ? '(empty)' : s)))),
        explanation: `Each sentence starts from a reset state and ${a.startsAfter}; every next symbol is drawn from the model's distribution at temperature ${num(v.temperature, 0.8)} and fed back in, until the model draws ${a.endsAt} (${a.ended} of 5 did; the rest stopped at ${num(v.maxLength, 200)} symbols). Early in training the words are plausible shapes more than real words; they improve as the validation loss falls.`,
        markdown: `### Q3 Five sentences\n\n${a.sentences.map((s, i) => `${i + 1}. ${s}`).join('\n')}`,
      };
    },
  }),
  labCard({
    id: 'q4', kind: 'resetState', order: 4, group: 'questions', title: 'Q4 reset_states',
    intro: 'What happens without resetting the state between sentences: five with a reset and five without, side by side, and a measurement of why.',
    inputs: [{ name: 'temperature', label: 'Temperature', type: 'number', value: '0.8', width: '5em' }],
    request: (v) => ({ kind: 'resetState', count: 5, temperature: num(v.temperature, 0.8), maxLength: 200 }),
    render(a) {
      const columns = el('div', { class: 'columns' },
        el('div', { class: 'column' }, el('h4', {}, 'With reset_states()'), el('ol', {}, ...a.withReset.map((s) => el('li', {}, s || '(empty)')))),
        el('div', { class: 'column' }, el('h4', {}, 'Without reset'), el('ol', {}, ...a.withoutReset.map((s) => el('li', {}, s || '(empty)')))));
      const driftRows = a.drift.map((d) => [String(d.sentence), d.totalVariation.toFixed(3), d.klBits.toFixed(3), d.stateRms.toFixed(3), d.top.map((t) => `${show(t.symbol)} ${pct(t.p)}`).join(', ')]);
      const later = a.drift.slice(1);
      const meanTv = later.length ? later.reduce((s, d) => s + d.totalVariation, 0) / later.length : 0;
      const fresh = a.freshTop.map((t) => `${show(t.symbol)} ${pct(t.p)}`).join(', ');
      return {
        result: el('div', {}, notes(a.notes), columns,
          el('p', {}, `First symbol after ${a.startsAfter} from a fresh state: ${fresh}.`),
          table(['sentence', 'TV distance', 'KL bits', 'state RMS', 'first symbol from the carried state'], driftRows)),
        explanation: `With reset_states() every sentence starts from the zero state the model was trained to start from, so the first symbol follows the fresh distribution (${fresh}). Without it, sentence n starts from whatever state sentence n−1 left behind, a state the model never saw before ${a.startsAfter} during training. State RMS measures how much is left: the square root of the mean of the squared numbers in that state (0 for a reset state; the larger, the more the earlier sentences still weigh on this one). The first-symbol distribution then moves away from the fresh one: a total variation distance of ${meanTv.toFixed(3)} on average over sentences 2–${a.drift.length} (0 = the same, 1 = nothing in common). Sentence 1 is the same in both columns (same draws, same fresh state); after that the carried state changes what the model writes${a.endedWithout < a.endedWith ? ', and fewer sentences reach the end symbol' : ''}.`,
        markdown: `### Q4 reset_states\n\n${mdTable(['with reset_states()', 'without'], a.withReset.map((s, i) => [s, a.withoutReset[i] ?? '']))}\n\n${mdTable(['sentence', 'TV distance', 'KL bits', 'state RMS', 'top first symbols (carried state)'], driftRows)}\n\nFresh state: ${fresh}.`,
      };
    },
  }),
  labCard({
    id: 'q5', kind: 'sentences', order: 5, group: 'questions', title: 'Q5 Pretrained weights',
    intro: 'Five sentences from the weights the Lab holds: the current run, or a checkpoint or Keras weights opened with "Open model".',
    inputs: [{ name: 'temperature', label: 'Temperature', type: 'number', value: '0.8', width: '5em' }],
    extra: () => [commandButton('Open model…', { id: 'openModel' }, { title: 'Open an RNN Lab checkpoint or Keras weights (.h5)', 'data-action': 'open-model' })],
    request: (v) => ({ kind: 'sentences', count: 5, temperature: num(v.temperature, 0.8), maxLength: 200 }),
    render(a) {
      const model = weightsLabel(snapshot);
      return {
        result: el('div', {}, el('p', {}, `Model: ${model}`), notes(a.notes), el('ol', { class: 'sentences' }, ...a.sentences.map((s) => el('li', {}, s || '(empty)')))),
        explanation: `Weights trained for longer (the tutorial's took a few thousand epochs on a GPU, to a loss near 0.17) give sentences with real words and grammar; the same code on fewer epochs gives word-shaped guesses. Loading weights needs the same architecture and vocabulary: the number of parameters must match exactly.`,
        markdown: `### Q5 Five sentences from ${model}\n\n${a.sentences.map((s, i) => `${i + 1}. ${s}`).join('\n')}`,
      };
    },
  }),
  labCard({
    id: 'temperature', kind: 'temperatures', order: 7, group: 'more', title: 'Temperature explorer',
    intro: 'The same prime continued at T = 0 (greedy), 0.3, 0.8 and 1.2, side by side.',
    inputs: [{ name: 'prime', label: 'Prime', type: 'text', value: 'The ', width: '12em' }, { name: 'length', label: 'Length', type: 'number', value: '120', width: '5em' }],
    request: (v) => ({ kind: 'temperatures', prime: v.prime, length: num(v.length, 120) }),
    render(a) {
      const rows = a.rows.map((r) => [r.temperature === 0 ? 'T 0 (greedy)' : `T ${r.temperature}`, el('span', { class: 'sample-inline' }, el('span', { class: 'prime' }, a.prime), r.text), r.meanBits.toFixed(2), r.distinctWords.toFixed(2)]);
      return {
        result: el('div', {}, notes(a.notes), table(['temperature', 'text (prime underlined)', 'bits/char', 'distinct words'], rows)),
        explanation: a.summary,
        markdown: `### Temperature explorer (prime ${mdQuote(a.prime)})\n\n${mdTable(['T', 'text', 'bits/char', 'distinct words'], a.rows.map((r) => [String(r.temperature), r.text.replace(/\n/g, ' ↵ '), r.meanBits.toFixed(2), r.distinctWords.toFixed(2)]))}`,
      };
    },
  }),
  labCard({
    id: 'decode', kind: 'decode', order: 8, group: 'more', title: 'Teacher-forced decode',
    intro: 'One line of the open file fed to the model symbol by symbol (the true text, never its own guesses), with its most probable next symbol under each: mistakes highlighted (the tutorial\'s section 4).',
    inputs: [{ name: 'lineNumber', label: 'Line', type: 'number', value: '1', width: '5em' }],
    request: (v) => ({ kind: 'decode', line: '', lineNumber: num(v.lineNumber, 1) }),
    render(a) {
      const cells = a.steps.filter((s) => s.target !== undefined);
      const grid = el('div', { class: 'decode' }, ...cells.map((s) => el('span', {
        class: `decode-cell${s.predicted === s.target ? '' : ' miss'}`,
        title: `after “${show(s.input)}”: predicted “${show(s.predicted)}” ${pct(s.p)}; true “${show(s.target!)}” ${pct(s.pTarget ?? 0)}`,
      }, el('span', { class: 'decode-true' }, show(s.target!)), el('span', { class: 'decode-pred' }, show(s.predicted)))));
      const accuracy = a.total ? a.correct / a.total : 0;
      return {
        result: el('div', {}, el('p', {}, `Line ${a.lineNumber}: ${a.correct} of ${a.total} next symbols right (${pct(accuracy)}). Top row: the text; bottom row: the model's argmax; red: a mistake.`), grid),
        explanation: `At each position the model has read the true text so far and its argmax is compared with the symbol that really comes next. This is easier than generating: a mistake does not derail what follows, because the next input is the true symbol again. A model trained for the few epochs of a lab gets common letters after a space, and letters inside frequent words, right first; the start of each word is where it is most often wrong.`,
        markdown: `### Teacher-forced decode (line ${a.lineNumber}, ${a.correct}/${a.total} right)\n\n\`\`\`\ntext:      ${cells.map((s) => s.target).join(a.separator)}\npredicted: ${cells.map((s) => s.predicted).join(a.separator)}\n\`\`\``,
      };
    },
  }),
  labCard({
    id: 'neurons', kind: 'neurons', order: 9, group: 'more', title: 'Neurons',
    intro: `A hidden unit of the top layer read along the open file (its first ${neuronTextLimit.toLocaleString('en-US')} characters): pick a unit, or leave it empty to let the Lab find the units most correlated with quotes, line position and brackets.`,
    inputs: [{ name: 'unit', label: 'Unit', type: 'number', value: '', placeholder: 'find', width: '5em' }],
    request: (v) => ({ kind: 'neurons', text: '', unit: v.unit.trim() === '' ? -1 : num(v.unit, -1) }),
    render(a) {
      const rows = a.found.map((f) => [f.label, f.units ? f.units.map((u) => `#${u.unit} (r ${u.r.toFixed(2)})`).join(', ') : 'not in this text']);
      const chars = [...a.text];
      const shade = el('pre', { class: 'neuron-text' }, ...chars.map((c, i) => {
        const v = a.activations[i] ?? 0;
        const colour = v >= 0 ? `rgba(235, 64, 52, ${Math.min(1, Math.abs(v)).toFixed(2)})` : `rgba(52, 120, 235, ${Math.min(1, Math.abs(v)).toFixed(2)})`;
        return withStyle(el('span', { title: `unit ${a.unit}: ${v.toFixed(2)}` }, c), { backgroundColor: colour });
      }));
      const best = a.found.flatMap((f) => (f.units ?? []).map((u) => ({ ...u, label: f.label }))).find((u) => u.unit === a.unit);
      return {
        result: el('div', {}, table(['feature', 'most correlated units'], rows),
          el('p', {}, `Unit ${a.unit} of ${a.units}${best ? ` (r ${best.r.toFixed(2)} with ${best.label})` : ''}: red = positive, blue = negative activation.`), shade),
        explanation: `Each hidden unit's output h is recorded after every character and correlated (Pearson r) with simple properties of the text. In small or briefly trained models most units mix many things and |r| stays low; trained longer on code or prose, some units come to track one thing, such as being inside quotes or how far the line has gone, as Karpathy, Johnson and Fei-Fei found.`,
        markdown: `### Neurons (unit ${a.unit} of ${a.units})\n\n${mdTable(['feature', 'most correlated units'], rows)}`,
      };
    },
  }),
  gradientFlowCard,
] as const;

// Every question of the engine's card list has a card here: a kind without one fails the typecheck.
type Unrendered = Exclude<LabKind, (typeof cards)[number]['kind']>;
const everyKindRendered: [Unrendered] extends [never] ? true : { missing: Unrendered } = true;
void everyKindRendered;

let snapshot: RunSnapshot | null = null;
let nextRequestId = 1;
/** What a card shows its answer in. */
interface CardView { card: LabCardView; body: HTMLElement; explanation: HTMLElement; copy: HTMLButtonElement; run: HTMLButtonElement }
const pending = new Map<number, CardView & { values: Record<string, string>; timer: number }>();
const markdownOf = new Map<string, string>();
const views: CardView[] = [];

/** Back to the card's question: no answer, nothing to copy, Run ready. */
function clearCard(view: CardView): void {
  view.body.replaceChildren(el('p', { class: 'empty' }, view.card.intro));
  view.explanation.hidden = true;
  view.copy.disabled = true;
  view.run.disabled = false;
  markdownOf.delete(view.card.id);
}

/**
 * The model changed (a new run, a resume, "Open model"): answers about the previous model would
 * now mislead, so every card goes back to its question, and answers still on their way are dropped.
 */
function clearAllCards(): void {
  for (const [requestId, p] of pending) {
    window.clearTimeout(p.timer);
    pending.delete(requestId);
  }
  views.forEach(clearCard);
}

function buildCard(card: LabCardView): HTMLElement {
  const fields = card.inputs.map((spec) => {
    const input = el('input', { type: spec.type, value: spec.value, 'data-input': spec.name, 'aria-label': spec.label, placeholder: spec.placeholder ?? '' });
    if (spec.width) input.style.width = spec.width;
    return { spec, input };
  });
  const run = el('button', { class: 'run' }, 'Run');
  const copy = el('button', { class: 'copy secondary', disabled: '' }, 'Copy as Markdown');
  const body = el('div', { class: 'card-result' });
  const explanation = el('p', { class: 'card-explanation' });
  const view: CardView = { card, body, explanation, copy, run };
  views.push(view);
  clearCard(view);
  run.addEventListener('click', () => {
    const values = Object.fromEntries(fields.map(({ spec, input }) => [spec.name, input.value]));
    const requestId = nextRequestId++;
    run.disabled = true;
    body.replaceChildren(el('p', { class: 'empty' }, 'Asking the model…'));
    const timer = window.setTimeout(() => finish(requestId, { kind: 'error', message: 'No answer from the model (the trainer may have ended). Try again.' }), giveUpMs);
    pending.set(requestId, { ...view, values, timer });
    postToHost('lab', { requestId, request: card.request(values) });
  });
  copy.addEventListener('click', () => {
    const md = markdownOf.get(card.id);
    if (md) postToHost('copy', { text: md });
  });
  return el('section', { class: 'lab-card', 'data-card': card.id },
    el('h3', {}, card.title),
    el('div', { class: 'card-inputs' }, ...fields.map(({ spec, input }) => el('label', {}, `${spec.label} `, input)), run, ...(card.extra?.() ?? [])),
    body, explanation, el('div', { class: 'card-actions' }, copy));
}

function finish(requestId: number, answer: LabAnswer): void {
  const p = pending.get(requestId);
  if (!p) return;
  pending.delete(requestId);
  window.clearTimeout(p.timer);
  p.run.disabled = false;
  if (answer.kind === 'error') {
    p.body.replaceChildren(el('p', { class: 'card-note' }, answer.message));
    p.explanation.hidden = true;
    p.copy.disabled = true;
    return;
  }
  try {
    const r = p.card.render(answer, p.values);
    p.body.replaceChildren(r.result);
    setText(p.explanation, r.explanation);
    p.explanation.hidden = false;
    markdownOf.set(p.card.id, `${r.markdown}\n\n${r.explanation}\n`);
    p.copy.disabled = false;
  } catch (error) {
    p.body.replaceChildren(el('p', { class: 'card-note' }, `This answer could not be shown: ${(error as Error).message}`));
  }
}

/** The window the "Train it in windows" button trains with: the windows preset's, so the table says what the button does. */
const windowsPreset = findPreset('windows')!;

/** The differences the Q6 card lists (they hold whatever the run). */
const q6Differences: Array<[string, string, string]> = [
  ['Input → output', 'many-to-many: a prediction at every position of the sentence', `many-to-one: one window of ${windowsPreset.config.window} characters predicts the single next character`],
  ['Data', 'one sentence per row, from the start symbol to the end symbol', `semi-redundant windows cut every ${windowsPreset.config.windowStep} characters from one long text`],
  ['Padding', 'sentences padded to the longest, the padding masked out of the loss', 'none: every window has the same length'],
  ['State', 'reset at every sentence; inference carries it symbol by symbol (stateful, batch 1)', `reset at every window; generation re-reads the last ${windowsPreset.config.window} characters each step`],
  ['Predicts', 'the next character everywhere, and when the sentence ends (the end symbol)', 'the next character of running text; no notion of an end'],
  ['Generation', 'from the start symbol until the end symbol', 'from a seed window, for a fixed number of characters, at several diversities'],
];

function q6Card(): HTMLElement {
  const md = `### Q6 Sentences (this lab) against windows (the TFLearn example of seed 003)\n\n${mdTable(['', 'lines mode (this lab)', 'windows (TFLearn example)'], q6Differences.map((r) => [...r]))}`;
  const copy = el('button', { class: 'copy secondary' }, 'Copy as Markdown');
  copy.addEventListener('click', () => postToHost('copy', { text: md }));
  return el('section', { class: 'lab-card', 'data-card': 'q6' },
    el('h3', {}, 'Q6 Sentences against windows'),
    table(['', 'lines mode (this lab)', 'windows (TFLearn example)'], q6Differences.map((r) => [...r])),
    el('div', { class: 'card-inputs' },
      commandButton('Train the open file in lines mode', { id: 'trainPreset', preset: 'captions' }, { 'data-action': 'train-lines', title: 'The captions preset: the lab\'s model, one sentence per line' }),
      commandButton('Train it in windows', { id: 'trainPreset', preset: 'windows' }, { 'data-action': 'train-windows', title: `The windows preset: ${windowsPreset.title}` }),
      commandButton('Train both and compare', { id: 'compareModes' }, { 'data-action': 'compare-modes', title: 'The same model (the captions preset\'s) on the open file in lines mode, then in windows; Compare runs then overlays the two' })),
    el('p', { class: 'card-explanation' }, `Both models learn the same thing, the next character, but from differently cut data: the lab model sees whole sentences and learns where they start and end; the windows model (TFLearn's, in seed 003: ${windowsPreset.config.window} characters every ${windowsPreset.config.windowStep}; Keras's Nietzsche example uses 40 every 3) sees overlapping fixed windows and learns to continue any text. Train both and compare trains one model (the captions preset's) on the open file in lines mode, then in windows, and ticks the two in Compare runs below; the other buttons train the captions and windows presets one at a time (each run keeps its own checkpoint, named after its mode; Refresh in Compare runs shows them): their validation curves overlay (x as epoch or wall time compares them fairly, since their steps differ).`),
    el('div', { class: 'card-actions' }, copy));
}

/** Q6 asks the model nothing: it compares two ways of cutting the data, and trains them. */
const q6Placement: Placement = { order: 6, group: 'questions' };

const groupTitles: Record<Placement['group'], string> = { questions: 'Questions', more: 'More experiments' };

/** Every card in `order`, each group under its heading (placed where its first card is). */
export function buildLabCards(): HTMLElement {
  const placed: Array<Placement & { build(): HTMLElement }> = [
    ...cards.map((card) => ({ order: card.order, group: card.group, build: () => buildCard(card) })),
    { ...q6Placement, build: q6Card },
  ].sort((a, b) => a.order - b.order);
  const children: HTMLElement[] = [];
  placed.forEach((p, i) => {
    if (i === 0 || placed[i - 1].group !== p.group) children.push(el('h3', { class: 'cards-group' }, groupTitles[p.group]));
    children.push(p.build());
  });
  return el('div', { class: 'lab-cards' }, ...children);
}

export function onLabResult(requestId: number, answer: LabAnswer): void {
  finish(requestId, answer);
}

/** Which model the cards' answers are about: the run, and the step it (re)started from. */
const modelKey = (s: RunSnapshot | null) => (s?.started ? `${s.started.runId}@${s.started.startStep ?? 0}` : '');
let shownModel: string | undefined;

export function setLabSnapshot(s: RunSnapshot | null): void {
  snapshot = s;
  const key = modelKey(s);
  if (shownModel !== undefined && key !== shownModel) clearAllCards();
  shownModel = key;
}
