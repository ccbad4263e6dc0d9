/**
 * How a loss is shown, everywhere (the Lab, the Samples view, the status bar, the progress
 * notification, Compare runs): bits per symbol first (bits/char, or bits/word for a word model),
 * nats in parentheses. Losses travel in nats (the trainer's cross-entropy); bits = nats / ln 2.
 */

/** What one symbol is: the unit a loss is "per". Configs from before word tokens read as char. */
export type SymbolUnit = 'char' | 'word';

export function symbolUnit(tokens: string | undefined): SymbolUnit {
  return tokens === 'word' ? 'word' : 'char';
}

export function natsToBits(nats: number): number {
  return nats / Math.LN2;
}

/** "bits/char" or "bits/word". */
export function bitsUnit(unit: SymbolUnit): string {
  return `bits/${unit}`;
}

/**
 * The bits axis of curves from several runs: their one unit, or, when char and word runs are shown
 * together, a label that says the axis mixes the two (each run in its own symbols).
 */
export function bitsAxisLabel(units: readonly SymbolUnit[]): string {
  const distinct = [...new Set(units)];
  return distinct.length === 1 ? bitsUnit(distinct[0]) : distinct.length === 0 ? bitsUnit('char') : 'bits/symbol (char runs per char, word runs per word)';
}

/** A loss in nats as "1.87 bits/char (1.296 nats)"; a missing one as a dash. */
export function formatLoss(nats: number | null | undefined, unit: SymbolUnit = 'char'): string {
  if (nats === null || nats === undefined || !Number.isFinite(nats)) return '–';
  return `${natsToBits(nats).toFixed(2)} ${bitsUnit(unit)} (${nats.toFixed(3)} nats)`;
}

/** The short form for tight places (status bar, sample captions): "1.87 bits/char". */
export function formatLossShort(nats: number | null | undefined, unit: SymbolUnit = 'char'): string {
  if (nats === null || nats === undefined || !Number.isFinite(nats)) return '–';
  return `${natsToBits(nats).toFixed(2)} ${bitsUnit(unit)}`;
}
