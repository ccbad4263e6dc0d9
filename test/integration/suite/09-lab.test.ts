/**
 * The Lab in the real VS Code, on one short completed run (reused from the suites before when its
 * trainer is still there): every lab card driven from the panel as a user would (type, click
 * Run, read the card's own text), Copy as Markdown through the clipboard, compare runs, the
 * Samples view writing and inserting at the cursor, the hover's actual-next line and the
 * surprisal colouring. Screenshots go to test-results/.
 */
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { corpusFileName } from '../workspace';
import {
  activateExtension, canSeeWebviews, clickInWebview, elementTexts, ensureCompletedRun, fillInWebview, hoverInWorkbench, screenshot, waitFor, webviewStyles, webviewTexts,
  workspaceDir, type RnnLabApi,
} from './harness';

const card = (id: string) => `[data-card="${id}"]`;

/** A computed colour that paints nothing (what an inline style the CSP dropped leaves behind). */
const transparent = (colour: string) => colour === '' || colour === 'transparent' || /^rgba\(\d+, \d+, \d+, 0\)$/.test(colour);

/** Clicks a card's Run button and waits for its answer (an explanation, or a calm note). */
async function runCard(id: string, inputs: Record<string, string> = {}): Promise<string> {
  for (const [name, value] of Object.entries(inputs)) await fillInWebview(`${card(id)} [data-input="${name}"]`, value);
  await clickInWebview(`${card(id)} button.run`);
  let seen: string[] = [];
  await waitFor(`the ${id} card's answer`, async () => {
    seen = await webviewTexts(`${card(id)} .card-explanation, ${card(id)} .card-note`);
    return seen.some((t) => t.trim() !== '') && !(await webviewTexts(`${card(id)} .card-result`)).some((t) => t.includes('Asking the model'));
  }, { timeoutMs: 30_000, describe: () => seen });
  return (await webviewTexts(card(id)))[0] ?? '';
}

/** Table rows inside a card, as cells (innerText separates cells with tabs). */
async function rows(selector: string): Promise<string[][]> {
  return (await webviewTexts(`${selector} tbody tr`)).map((row) => row.split('\t').map((c) => c.trim()));
}

async function copiedMarkdown(id: string): Promise<string> {
  await vscode.env.clipboard.writeText('');
  await clickInWebview(`${card(id)} button.copy`);
  return waitFor(`the ${id} card's Markdown on the clipboard`, async () => {
    const text = await vscode.env.clipboard.readText();
    return text !== '' ? text : undefined;
  }, { timeoutMs: 10_000 });
}

describe('the Lab', () => {
  let api: RnnLabApi;

  before(async function () {
    if (!canSeeWebviews) this.skip();
    api = await activateExtension();
    await ensureCompletedRun(api);
    await vscode.window.showTextDocument(vscode.Uri.file(join(workspaceDir(), corpusFileName)), { viewColumn: vscode.ViewColumn.One });
    await vscode.commands.executeCommand('rnnLab.showLab');
    await waitFor('the Lab panel with its cards', async () => (await webviewTexts(card('q2'))).length > 0, { timeoutMs: 60_000 });
  });

  it('Q1 reports the time per epoch, 10 epochs and the hardware', async () => {
    const text = await runCard('q1');
    for (const label of ['Time per epoch', '10 epochs', 'CPU', 'Memory', 'Backend']) assert.ok(text.includes(label), `${label} in ${JSON.stringify(text)}`);
    assert.match(text, /\d+ cores/);
  });

  it('Q2 lists the 10 most probable first symbols, sorted, summing to at most 1; an unknown prefix gets a calm note', async () => {
    const text = await runCard('q2', { prefix: '' });
    const table = await rows(`${card('q2')} table`);
    assert.equal(table.length, 10, JSON.stringify(table));
    const p = table.map((r) => Number(r[2]));
    for (const x of p) assert.ok(x > 0 && x <= 1, `p ${x}`);
    for (let i = 1; i < p.length; i++) assert.ok(p[i] <= p[i - 1], `sorted: ${p}`);
    assert.ok(p.reduce((s, x) => s + x, 0) <= 1 + 5e-4 * 10, `sum ${p}`);
    assert.match(text, /no start symbol/, 'a stream model says it has no start symbol and what stands in for it');
    assert.equal((await webviewTexts(`${card('q2')} .bar-row`)).length, 10, 'a bar per symbol');
    // What the student sees: each bar as long as its p (relative to the first), not all full width.
    const widths = (await webviewStyles(`${card('q2')} .bar`, ['width'])).map((s) => Number(s.boxWidth));
    const track = (await webviewStyles(`${card('q2')} .bar-row`, ['grid-template-columns'])).length;
    assert.equal(widths.length, 10);
    assert.equal(track, 10);
    for (let i = 1; i < 10; i++) {
      const expected = widths[0] * p[i] / p[0];
      assert.ok(Math.abs(widths[i] - expected) <= 1.5, `bar ${i + 1} is ${widths[i]} px for p ${p[i]}; ${expected.toFixed(1)} px expected (bar 1: ${widths[0]} px, p ${p[0]}): ${widths}`);
    }
    const differ = p.findIndex((x) => x < p[0] * 0.8);
    if (differ > 0) assert.ok(widths[differ] < widths[0] * 0.85, `two bars of different p have different widths: ${widths}`);
    const markdown = await copiedMarkdown('q2');
    assert.match(markdown, /^### Q2 First characters/);
    assert.equal(markdown.split('\n').filter((l) => /^\| \d+ \|/.test(l)).length, 10, markdown);

    const unknown = await runCard('q2', { prefix: 'Жthe' });
    assert.match(unknown, /never seen “Ж”/);
  });

  it('Q3 gives five non-empty sentences without the end symbol', async () => {
    await runCard('q3');
    const sentences = await webviewTexts(`${card('q3')} ol.sentences li`);
    assert.equal(sentences.length, 5);
    for (const s of sentences) {
      assert.ok(s.trim() !== '' && s !== '(empty)', `non-empty: ${JSON.stringify(sentences)}`);
      assert.ok(!/⟨\/s⟩|SENTENCE_END|\n/.test(s), `no end symbol: ${JSON.stringify(s)}`);
    }
  });

  it('Q4 shows five sentences with reset and five without, side by side, and measures the drift', async () => {
    const text = await runCard('q4');
    const columns = await webviewTexts(`${card('q4')} .column`);
    assert.equal(columns.length, 2);
    assert.ok(columns[0].startsWith('With reset_states()') && columns[1].startsWith('Without reset'));
    for (const column of [1, 2]) assert.equal((await webviewTexts(`${card('q4')} .column:nth-child(${column}) li`)).length, 5);
    const drift = await rows(`${card('q4')} table`);
    assert.ok(drift.length >= 5);
    assert.equal(Number(drift[0][1]), 0, 'the first sentence starts from a fresh state in both');
    assert.ok(drift.slice(1).every((r) => Number(r[3]) > 0), 'later sentences start from a carried state');
    assert.match(text, /total variation distance of \d\.\d{3}/);
  });

  it('Q5, Q6, the temperature explorer, teacher-forced decode and Neurons answer on the same model', async () => {
    await runCard('q5');
    assert.equal((await webviewTexts(`${card('q5')} ol.sentences li`)).length, 5);
    const q6 = (await webviewTexts(card('q6')))[0];
    assert.ok(/many-to-many/.test(q6) && /many-to-one/.test(q6) && /Padding/.test(q6));
    assert.match(await copiedMarkdown('q6'), /\| lines mode \(this lab\) \|/);

    await runCard('temperature', { prime: 'the ', length: '60' });
    const temps = await rows(`${card('temperature')} table`);
    assert.deepEqual(temps.map((r) => r[0]), ['T 0 (greedy)', 'T 0.3', 'T 0.8', 'T 1.2']);
    for (const r of temps) assert.ok(r[1].startsWith('the ') && r[1].length > 30, `prime then text: ${JSON.stringify(r[1])}`);

    const decoded = await runCard('decode', { lineNumber: '2' });
    const right = /Line 2: (\d+) of (\d+) next symbols right/.exec(decoded);
    assert.ok(right, decoded);
    const cells = await webviewTexts(`${card('decode')} .decode-cell`);
    assert.equal(cells.length, Number(right[2]), 'a cell per predicted position');
    assert.equal((await webviewTexts(`${card('decode')} .decode-cell.miss`)).length, Number(right[2]) - Number(right[1]), 'every mistake highlighted');
    assert.match(await runCard('decode', { lineNumber: '999' }), /Pick a line from 1 to \d+/);
    assert.equal((await webviewTexts(`${card('q5')} [data-action="open-model"]`)).length, 1);
    assert.equal((await webviewTexts(`${card('q6')} [data-action^="train-"]`)).length, 2);

    const neurons = await runCard('neurons');
    assert.match(neurons, /inside quotes/);
    assert.match(neurons, /#\d+ \(r -?\d\.\d\d\)/);
    const shaded = await webviewTexts(`${card('neurons')} .neuron-text`);
    assert.ok(shaded[0] && shaded[0].startsWith('the meaning of life'), 'the open file, coloured by the unit');
    const shades = (await webviewStyles(`${card('neurons')} .neuron-text span`, ['background-color'])).map((s) => s['background-color']);
    assert.ok(shades.length > 100, `a span per character: ${shades.length}`);
    const painted = shades.filter((c) => !transparent(c));
    assert.ok(painted.length > shades.length / 2, `the characters carry the unit's colour: ${painted.length} of ${shades.length} painted (${shades.slice(0, 5)})`);
    assert.ok(new Set(painted).size > 5, `shades vary with the activation: ${[...new Set(painted)].slice(0, 8)}`);
    await screenshot('lab-cards');
  });

  it('the gradient flow card draws the model\'s and fresh RNN, GRU and LSTM curves and says how fast each falls', async () => {
    const text = await runCard('gradientFlow', { lineNumber: '2' });
    assert.match(text, /Line 2: \d+ symbols read, the loss is the prediction of “.+” after the last\./, text);
    // One row per curve, in the legend's order, each with its factor per step back and how far back it reaches.
    const items = await webviewTexts(`${card('gradientFlow')} .card-result li`);
    assert.deepEqual(items.map((r) => r.split(':')[0]), ['this model', 'fresh RNN', 'fresh GRU', 'fresh LSTM'], JSON.stringify(items));
    for (const row of items) {
      assert.match(row, /: ×\d+\.\d{3} per step back, (falls to 1\/100 within \d+ steps|stays above 1\/100 over all \d+ steps); \d\.\de[+-]\d+ at the line's start$/, row);
    }
    assert.deepEqual(await webviewTexts(`${card('gradientFlow')} .legend-item`), ['this model', 'fresh RNN', 'fresh GRU', 'fresh LSTM']);
    // What the student sees: a chart of real size, and a legend whose swatches each paint their own colour.
    const [chart] = await webviewStyles(`${card('gradientFlow')} canvas.chart`, ['height', 'display']);
    assert.ok(chart && Number(chart.boxWidth) > 200 && chart.height === '240px' && chart.display === 'block', JSON.stringify(chart));
    const swatches = (await webviewStyles(`${card('gradientFlow')} .swatch`, ['border-top-color', 'border-top-width'])).map((s) => s['border-top-color']);
    assert.equal(swatches.length, 4);
    for (const colour of swatches) assert.ok(!transparent(colour), `a swatch paints a colour: ${swatches}`);
    assert.equal(new Set(swatches).size, 4, `four different colours: ${swatches}`);
    assert.match((await webviewTexts(`${card('gradientFlow')} .card-explanation`))[0] ?? '', /forget gate/);
  });

  it('the lab cards sit at a fixed place above the folded earlier samples, which show the newest 20', async () => {
    const top = async (selector: string) => Number((await webviewStyles(selector, ['display']))[0]?.pageTop ?? NaN);
    const cards = await top('#lab-questions');
    const samples = await top('#earlier-samples');
    assert.ok(cards < samples, `the cards (${cards} px) come before the earlier samples (${samples} px)`);
    assert.ok(cards < 2000, `the cards are near the top (${cards} px), not below every sample`);
    assert.equal((await webviewStyles('#earlier-samples[open]', ['display'])).length, 0, 'the earlier samples start folded');
    assert.ok((await webviewTexts('#earlier-samples .sample-card')).length <= 20);
    assert.deepEqual((await webviewTexts('.lab-nav button.link')).map((t) => t.trim()), ['Lab questions', 'Runs', 'Earlier samples']);
    const stats = (await webviewTexts('.stats'))[0] ?? '';
    assert.match(stats, /Train loss: \d+\.\d\d bits\/char \(\d+\.\d{3} nats\)/, 'bits first, nats in parentheses');
    assert.match(stats, /Validation: val \d+\.\d\d bits\/char \(\d+\.\d{3} nats\)/);
    assert.match(stats, /Random guess: \d+\.\d\d bits\/char \(\d+\.\d{3} nats\)/);
  });

  it('Compare runs lists this workspace\'s runs and draws their curves', async () => {
    await clickInWebview(`${card('compare')} button.run`);
    const runs = await waitFor('the runs list', async () => {
      const found = await webviewTexts(`${card('compare')} .run-choice`);
      return found.length > 0 ? found : undefined;
    }, { timeoutMs: 15_000 });
    assert.ok(runs.some((r) => r.includes('corpus.txt')), JSON.stringify(runs));
    // Bits per symbol: bits/char, or bits/word for a word-level run (the word presets' runs, when the suites before trained them).
    assert.ok(runs.every((r) => /best val (\d+\.\d\d bits\/(char|word) \(\d+\.\d{3} nats\)|–)/.test(r)), `best val in bits first, nats in parentheses: ${JSON.stringify(runs)}`);
    assert.ok(runs.filter((r) => r.startsWith('corpus.txt')).every((r) => r.includes('bits/char')), 'the corpus is trained on characters');
    const swatches = (await webviewStyles(`${card('compare')} .run-choice .swatch-box`, ['background-color'])).map((s) => s['background-color']);
    assert.equal(swatches.length, runs.length);
    for (const colour of swatches) assert.ok(!transparent(colour), `each run's swatch has its colour: ${swatches}`);
    if (swatches.length > 1) assert.notEqual(swatches[0], swatches[1], 'two runs, two colours');
    await waitFor('the uPlot chart', async () => (await webviewTexts(`${card('compare')} .uplot`)).length > 0, { timeoutMs: 10_000 });
    await clickInWebview(`${card('compare')} [data-input="logY"]`);
    assert.ok((await webviewTexts(`${card('compare')} .u-legend`)).some((t) => t.includes('val')));
  });

  it('the hover shows 10 rows and the actual next character\'s surprisal', async () => {
    const uri = vscode.Uri.file(join(workspaceDir(), corpusFileName));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(2, 10));
    const markdown = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : c.value)).find((v) => v.includes('next character'));
    assert.ok(markdown);
    assert.equal(markdown.split('\n').filter((l) => /^\| \d+ \|/.test(l)).length, 10);
    const next = /Actual next: \*\*(.+?)\*\* p (\d+(?:\.\d+)?)% · surprisal \*\*(\d+\.\d\d) bits\*\*/.exec(markdown);
    assert.ok(next, markdown);
    assert.ok(Math.abs(-Math.log2(Number(next[2]) / 100) - Number(next[3])) < 0.05, 'surprisal = -log2 p');
  });

  it('the surprisal view colours the file and states bits/char', async () => {
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(join(workspaceDir(), corpusFileName)), { viewColumn: vscode.ViewColumn.One });
    await vscode.commands.executeCommand('rnnLab.toggleSurprisal', true);
    try {
      const state = await waitFor('the surprisal colouring', () => {
        const s = api.getSurprisalState();
        return s.coloured > 0 && s.fileBitsPerChar !== undefined ? s : undefined;
      }, { timeoutMs: 30_000, describe: () => api.getSurprisalState() });
      assert.equal(state.coloured, [...editor.document.getText()].length, 'a small file is coloured whole');
      assert.ok(state.visibleBitsPerChar! > 0 && state.visibleBitsPerChar! < 8);
      const bar = await waitFor('the bits/char in the status bar', async () => (await elementTexts('.statusbar-item')).find((t) => /bits\/char/.test(t) && /file/.test(t)), { timeoutMs: 10_000 });
      assert.match(bar, /\d\.\d\d bits\/char · file \d\.\d\d/);
      // The legend in the status bar item's tooltip: every swatch keeps its colour through VS Code's Markdown sanitizer.
      await hoverInWorkbench('.statusbar-item', 'file');
      const legend = await waitFor('the surprisal legend in the tooltip', async () => {
        const found = await webviewStyles('.monaco-hover span[style]', ['background-color'], 'workbench');
        return found.length >= 6 ? found.map((s) => s['background-color']) : undefined;
      }, { timeoutMs: 10_000, describe: () => elementTexts('.monaco-hover') });
      for (const colour of legend) assert.ok(!transparent(colour), `each legend swatch has its colour: ${legend}`);
      assert.equal(new Set(legend).size, legend.length, `six buckets, six colours: ${legend}`);
      await screenshot('surprisal');
    } finally {
      await vscode.commands.executeCommand('rnnLab.toggleSurprisal', false);
    }
  });

  it('the Samples view streams a sample after the prime, keeps it, and inserts it at the cursor', async () => {
    const document = await vscode.workspace.openTextDocument({ content: '' });
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One });
    await vscode.commands.executeCommand('workbench.view.extension.rnnLab');
    try {
      await waitFor('the Samples view controls', async () => (await webviewTexts('button.generate')).length > 0, { timeoutMs: 30_000 });
      await fillInWebview('#sample-writer [data-input="prime"]', 'the ');
      await fillInWebview('#sample-writer [data-input="length"]', '80');
      await clickInWebview('#sample-writer button.generate');
      const card0 = await waitFor('the kept sample', async () => (await webviewTexts('ol.kept .sample-card .sample-text'))[0], { timeoutMs: 30_000 });
      const prime = (await webviewTexts('ol.kept .sample-card .prime'))[0];
      const generated = (await webviewTexts('ol.kept .sample-card .generated'))[0];
      assert.equal(prime, 'the ', 'the prime is shown, apart from the generated text');
      assert.equal(card0, prime + generated);
      assert.equal([...generated].length, 80);
      await clickInWebview('ol.kept .sample-card button.insert');
      await waitFor('the sample in the document', () => document.getText() === generated, { timeoutMs: 10_000, describe: () => document.getText() });
      await screenshot('samples-view');
    } finally {
      await vscode.commands.executeCommand('workbench.view.explorer');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  it('a new model clears the cards\' answers about the previous one', async () => {
    await runCard('q2', { prefix: '' });
    assert.equal((await webviewTexts(`${card('q2')} .bar-row`)).length, 10);
    await vscode.commands.executeCommand('rnnLab.train', vscode.Uri.file(join(workspaceDir(), corpusFileName)));
    try {
      await waitFor('the Q2 card back at its question', async () => (await webviewTexts(`${card('q2')} .bar-row`)).length === 0
        && (await webviewTexts(`${card('q2')} .card-result`)).some((t) => t.includes('most probable first symbols')), { timeoutMs: 30_000, describe: () => webviewTexts(card('q2')) });
    } finally {
      await vscode.commands.executeCommand('rnnLab.stop');
    }
  });
});
