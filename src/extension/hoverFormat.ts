/** The hover's Markdown: top next characters with bars, and the entropy. Pure, so it is unit-tested. */
import type { ProbsAnswer } from './trainerClient';

const barWidth = 20;

/** A character as a reader can see it in a table cell: whitespace and control characters get names. */
export function visibleSymbol(symbol: string): string {
  switch (symbol) {
    case ' ': return '␣ space';
    case '\n': return '↵ newline';
    case '\r': return '␍ return';
    case '\t': return '⇥ tab';
  }
  if (symbol.length === 1 && (symbol.charCodeAt(0) < 32 || symbol.charCodeAt(0) === 127)) {
    return `U+${symbol.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return symbol;
}

/** Escapes a cell for a Markdown table (pipes, emphasis and HTML must not be interpreted). */
function escapeCell(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

export function bar(p: number): string {
  const eighths = Math.round(Math.max(0, Math.min(1, p)) * barWidth * 8);
  const partial = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'][eighths % 8];
  return '█'.repeat(Math.floor(eighths / 8)) + partial;
}

export function probsMarkdown(answer: ProbsAnswer, vocabSize: number | undefined): string {
  const rows = answer.probs.map(({ symbol, p }, i) =>
    `| ${i + 1} | ${escapeCell(visibleSymbol(symbol))} | ${(100 * p).toFixed(1)}% | ${bar(p)} |`);
  const maxBits = vocabSize ? ` (uniform guess: ${Math.log2(vocabSize).toFixed(2)} bits)` : '';
  // What the file has next and the entropy come first: the hover widget is short, and the end of a
  // ten-row table would sit below its fold.
  return [
    '**RNN Lab** — next character',
    '',
    ...(answer.next ? [actualNextLine(answer.next), ''] : []),
    `Entropy: **${answer.entropyBits.toFixed(2)} bits**${maxBits}`,
    '',
    '| # | char | p | |',
    '|--:|:--|--:|:--|',
    ...rows,
  ].join('\n');
}

/** What the file actually has next: its probability and surprisal (-log2 p), or why there is none. */
export function actualNextLine(next: NonNullable<ProbsAnswer['next']>): string {
  const symbol = escapeCell(visibleSymbol(next.symbol));
  if (!next.known) return `Actual next: **${symbol}**, not in the model's vocabulary (read as ⟨unk⟩: p ${formatP(next.p)}, surprisal ${next.bits.toFixed(2)} bits)`;
  return `Actual next: **${symbol}** p ${formatP(next.p)} · surprisal **${next.bits.toFixed(2)} bits**`;
}

function formatP(p: number): string {
  return p >= 0.001 ? `${(100 * p).toFixed(1)}%` : p.toExponential(1);
}
