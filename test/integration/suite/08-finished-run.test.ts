import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { visibleSymbol } from '../../../src/extension/hoverFormat';
import { lastCheckpointBeside } from '../../../src/engine/train/runFolder';
import { corpusFileName } from '../workspace';
import {
  activateExtension, canSeeWebviews, elementTexts, ensureCompletedRun, frames, labPanel, waitFor, waitForLabPanel, workspaceDir,
  extensionId, type RnnLabApi, type RunState,
} from './harness';

/** What the next-character hover says, read from its Markdown or from its rendered text. */
interface HoverTable {
  /** Probabilities of the rows, top first. */
  probs: number[];
  symbols: string[];
  entropyBits: number;
  uniformBits?: number;
}

/**
 * Rows are `rank, symbol, "p%", bar`: cells split on unescaped `|` in the Markdown, on tabs in the
 * rendered table's text. Anything else (heading, entropy line) is not a row.
 */
function parseHoverTable(text: string, cellsOf: (line: string) => string[]): HoverTable {
  const probs: number[] = [];
  const symbols: string[] = [];
  for (const line of text.split('\n')) {
    const cells = cellsOf(line).map((cell) => cell.trim());
    const rank = /^\d+$/.test(cells[0] ?? '') ? Number(cells[0]) : undefined;
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(cells[2] ?? '')?.[1];
    if (rank === undefined || percent === undefined) continue;
    assert.equal(rank, probs.length + 1, `rows are ranked 1, 2, 3...: ${JSON.stringify(line)}`);
    probs.push(Number(percent) / 100);
    symbols.push(cells[1].replace(/\\(.)/g, '$1'));
  }
  const entropy = /Entropy:\s*\**\s*(\d+(?:\.\d+)?) bits/.exec(text)?.[1];
  assert.ok(entropy !== undefined, `the hover states an entropy in bits: ${JSON.stringify(text)}`);
  const uniform = /uniform guess:\s*(\d+(?:\.\d+)?) bits/.exec(text)?.[1];
  return { probs, symbols, entropyBits: Number(entropy), uniformBits: uniform === undefined ? undefined : Number(uniform) };
}

const markdownCells = (line: string) => (line.startsWith('|') ? line.split(/(?<!\\)\|/).slice(1, -1) : []);
const renderedCells = (line: string) => line.split('\t');

/** A next-character distribution, as far as a top-10 table with rounded percentages can show it. */
function assertPlausibleTable(table: HoverTable, where: string): void {
  const { probs, entropyBits, uniformBits } = table;
  assert.ok(probs.length >= 1 && probs.length <= 10, `${where}: 1 to 10 rows, got ${probs.length}`);
  for (const p of probs) assert.ok(p > 0 && p <= 1, `${where}: probability ${p} should be in (0, 1]`);
  for (let i = 1; i < probs.length; i++) assert.ok(probs[i] <= probs[i - 1], `${where}: rows sorted by probability: ${probs}`);
  // Shown to 0.1%: each row may be off by 0.05%.
  const rounding = 0.0005 * probs.length;
  const total = probs.reduce((sum, p) => sum + p, 0);
  assert.ok(total <= 1 + rounding, `${where}: the top rows cannot hold more than all the probability (${total})`);
  // The rows' share of the entropy is a lower bound for the whole; ln(V)/ln 2 is the upper bound.
  const partialEntropy = probs.reduce((sum, p) => sum - p * Math.log2(p), 0);
  assert.ok(entropyBits >= partialEntropy - 0.05, `${where}: entropy ${entropyBits} bits below its shown rows' ${partialEntropy.toFixed(3)}`);
  assert.ok(uniformBits !== undefined && uniformBits > 0, `${where}: the hover states the uniform guess's bits`);
  assert.ok(entropyBits <= uniformBits + 0.01, `${where}: entropy ${entropyBits} bits above the uniform ${uniformBits}`);
}

/**
 * The same question put to the CLI: `rnn-lab probs` on the run's final checkpoint, with `context`.
 * Agreeing with it shows that the hover reads the text before the cursor with the trained weights.
 */
async function probsFromCli(context: string, bestPath: string): Promise<{ probs: Array<{ symbol: string; p: number }>; entropyBits: number }> {
  const extensionPath = vscode.extensions.getExtension(extensionId)!.extensionPath;
  // Written when the run ends, in the run's folder beside its best checkpoint.
  const last = lastCheckpointBeside(bestPath);
  assert.ok(last.startsWith(join(workspaceDir(), '.rnnlab', 'runs', corpusFileName.replace(/\.txt$/, ''))), `${last} is in a run folder of ${corpusFileName}`);
  assert.ok(existsSync(last), `the run left its final checkpoint ${last}`);
  const { stdout } = await promisify(execFile)(process.execPath,
    [join(extensionPath, 'dist/cli.js'), 'probs', '--checkpoint', last, '--prefix', context, '--top', '10', '--json'],
    { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  const { top, entropyBits } = JSON.parse(stdout) as { top: Array<{ symbol: string; p: number }>; entropyBits: number };
  return { probs: top, entropyBits };
}

describe('after a completed run', () => {
  let api: RnnLabApi;
  let run: RunState;

  before(async () => {
    api = await activateExtension();
    run = await ensureCompletedRun(api);
  });

  it('the hover shows the next-character probabilities and their entropy', async () => {
    const uri = vscode.Uri.file(join(workspaceDir(), corpusFileName));
    const editor = await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One });
    // Mid-text, so the model reads a real context.
    const position = new vscode.Position(3, 30);

    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position);
    const markdown = hovers.flatMap((hover) => hover.contents)
      .map((content) => (typeof content === 'string' ? content : content.value))
      .find((value) => value.includes('next character'));
    assert.ok(markdown, `RNN Lab answers the hover request: ${JSON.stringify(hovers.map((h) => h.contents))}`);
    const fromProvider = parseHoverTable(markdown, markdownCells);
    assertPlausibleTable(fromProvider, 'hover provider');
    // Near the top of the file the hover's context is all the text before the cursor.
    const expected = await probsFromCli(editor.document.getText(new vscode.Range(new vscode.Position(0, 0), position)), run.checkpointPath!);
    fromProvider.symbols.forEach((symbol, i) => {
      const same = expected.probs.find((row) => visibleSymbol(row.symbol) === symbol);
      const p = fromProvider.probs[i];
      assert.ok(same ? Math.abs(same.p - p) <= 0.0006 : p <= expected.probs[expected.probs.length - 1].p + 0.0006,
        `row ${i + 1}: ${symbol} ${p} as the CLI has it on the final checkpoint: ${JSON.stringify(expected.probs)}`);
    });
    assert.ok(Math.abs(expected.entropyBits - fromProvider.entropyBits) <= 0.006, `entropy ${fromProvider.entropyBits} bits as the CLI's ${expected.entropyBits}`);
    console.log(`      hover at ${position.line + 1}:${position.character + 1}: ${fromProvider.symbols.slice(0, 3).map((s, i) => `${s} ${(100 * fromProvider.probs[i]).toFixed(1)}%`).join(', ')}…; entropy ${fromProvider.entropyBits} bits`);

    if (!canSeeWebviews) {
      console.log('      (hover widget not checked: no browser hook under this runner)');
      return;
    }
    editor.selection = new vscode.Selection(position, position);
    await vscode.commands.executeCommand('editor.action.showHover');
    let seen: string[] = [];
    const shown = await waitFor('the hover widget with the next-character table', async () => {
      seen = await elementTexts('.monaco-hover');
      return seen.find((text) => text.includes('next character'));
    }, { timeoutMs: 15_000, describe: () => seen });
    const onScreen = parseHoverTable(shown, renderedCells);
    assertPlausibleTable(onScreen, 'hover widget');
    // The same context, the same idle model: the widget shows what the provider answered.
    assert.deepEqual(onScreen.probs, fromProvider.probs, 'the widget shows the provider\'s probabilities');
    assert.deepEqual(onScreen.symbols, fromProvider.symbols, 'the widget shows the provider\'s characters');

    // Put away, so it covers nothing in the tests that follow.
    await vscode.commands.executeCommand('editor.action.hideHover');
    await waitFor('the hover to close', async () => !(await elementTexts('.monaco-hover')).some((text) => text.includes('next character')),
      { timeoutMs: 5_000 });
  });

  it('the Samples view in the RNN Lab sidebar lists the run\'s samples, newest first', async function () {
    if (!canSeeWebviews) this.skip();
    // One webview at a time: under code-server two webviews opening together can stall each other.
    if (!(await labPanel())) await vscode.commands.executeCommand('rnnLab.showLab');
    await waitForLabPanel('the Lab panel to show the finished run', (view) => view.status === 'completed');

    await vscode.commands.executeCommand('workbench.view.extension.rnnLab');
    try {
      let seen: string[] = [];
      const text = await waitFor('the Samples view to list the run', async () => {
        seen = (await frames()).filter((f) => !f.main).map((f) => f.text);
        return seen.find((t) => /Status: completed · \d+ evaluations?/.test(t) && !t.includes('Validation points:'));
      }, { timeoutMs: 30_000, describe: () => seen });

      const count = Number(/· (\d+) evaluations?/.exec(text)?.[1]);
      assert.equal(count, run.evalCount, 'the header counts every evaluation');
      const cardSteps = [...text.matchAll(/step ([\d,]+) · val \d+\.\d+ bits\/char/g)].map((m) => Number(m[1].replace(/,/g, '')));
      assert.equal(cardSteps.length, Math.min(run.evalCount, 50), `one card per evaluation: ${JSON.stringify(text)}`);
      assert.deepEqual(cardSteps, [...cardSteps].sort((a, b) => b - a), 'newest first');
      assert.equal(cardSteps[0], run.step, 'the first card is the last evaluation');
      const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
      assert.ok(run.lastSample && squash(text).includes(squash(run.lastSample)), `the newest sample is shown: ${JSON.stringify(run.lastSample)}`);
      console.log(`      Samples view: ${count} evaluations, cards for steps ${cardSteps.join(', ')}`);
    } finally {
      await vscode.commands.executeCommand('workbench.view.explorer');
    }
  });
});
