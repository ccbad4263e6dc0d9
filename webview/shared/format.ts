/** Number and time formatting shared by the webviews. */

export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 1234 -> "1.2k", 1234567 -> "1.23M". */
export function formatCompact(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return formatInt(n);
}

/** Milliseconds as m:ss or h:mm:ss; negative (unknown) as a dash. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function formatEpoch(epoch: number): string {
  return Number.isInteger(epoch) ? String(epoch) : epoch.toFixed(2);
}

/** Losses are shown by the one formatter the host uses too. */
export { bitsAxisLabel, bitsUnit, formatLoss, formatLossShort, natsToBits, symbolUnit, type SymbolUnit } from '../../src/protocol/lossFormat';

/** The parts of a run's config that say what kind of lab it is. */
export interface RunSetup {
  mode?: string;
  tokens?: string;
  cell: string;
  layers: number;
  /** One size for every layer, or one per layer (bottom first). */
  hiddenSize: number | number[];
  embeddingSize: number;
  hiddenDense?: number;
}

/** "lines mode, word tokens". Configs from before data modes existed read as char stream. */
export function describeData(c: Pick<RunSetup, 'mode' | 'tokens'>): string {
  return `${c.mode ?? 'stream'} mode, ${c.tokens ?? 'char'} tokens`;
}

/** "LSTM 2 × 128 + Dense 128, embedding 10"; "LSTM 128 → 512, one-hot input" for layers of different sizes. */
export function describeModel(c: RunSetup): string {
  const layers = Array.isArray(c.hiddenSize) ? c.hiddenSize.join(' → ') : c.layers > 1 ? `${c.layers} × ${c.hiddenSize}` : String(c.hiddenSize);
  const dense = c.hiddenDense ? ` + Dense ${c.hiddenDense}` : '';
  const embedding = c.embeddingSize > 0 ? `, embedding ${c.embeddingSize}` : ', one-hot input';
  return `${c.cell.toUpperCase()} ${layers}${dense}${embedding}`;
}
