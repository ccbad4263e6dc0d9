/**
 * The lines data mode (seeds 000, 003, 004): every row of a batch is one line (a sentence),
 * framed by the start and end symbols: inputs ⟨s⟩ t1 .. tn, targets t1 .. tn ⟨/s⟩. A batch is as
 * long as its longest framed line; shorter rows are padded, and the mask (0 on padding) keeps
 * padded positions out of the loss and the gradient. Each line starts from a zero state.
 * With `bpttTruncate` N > 0 a batch of lines is trained in pieces of N steps, the state carried
 * from piece to piece (gradients flow back at most N steps within a line).
 *
 * Split: the last `valFraction` of the lines (at least one) validates, the rest trains. Training
 * lines are grouped into batches once (after a seeded shuffle); each epoch visits the groups in a
 * new seeded order.
 */
import type { TokenBatch } from '../tensor';
import { deriveSeed, Rng } from '../random';
import { UserInputError } from '../text/errors';
import type { TrainConfig } from '../config/settings';
import { permutation, tokenNoun, type Batch, type Batcher, type DataPlan } from './batcher';
import type { Corpus } from './corpus';

/** Validation reads at most this many lines. */
export const VALIDATION_LINE_CAP = 2000;

export class LinesBatcher implements Batcher {
  readonly batchesPerEpoch: number;
  readonly tokensPerEpoch: number;
  /** The lines of each batch (indices into the corpus' lines). */
  private readonly groups: Int32Array[];
  /** Pieces (optimizer steps) per group. */
  private readonly pieces: number[];
  private epochPlan: { epoch: number; order: Int32Array; firstPiece: Int32Array } | undefined;

  constructor(
    private readonly corpus: Corpus,
    lines: Int32Array,
    batchSize: number,
    private readonly truncate: number,
    private readonly seed: number,
    private readonly shuffle: boolean,
  ) {
    const starts = corpus.lineStarts!;
    const order = shuffle ? Int32Array.from(permutation(lines.length, new Rng(seed, 4_000_001)), (i) => lines[i]) : lines;
    this.groups = [];
    for (let i = 0; i < order.length; i += batchSize) this.groups.push(order.subarray(i, Math.min(order.length, i + batchSize)));
    let tokens = 0;
    this.pieces = this.groups.map((g) => {
      let longest = 0;
      for (const k of g) {
        const framed = starts[k + 1] - starts[k] + 1;
        tokens += framed;
        longest = Math.max(longest, framed);
      }
      return truncate > 0 ? Math.ceil(longest / truncate) : 1;
    });
    this.batchesPerEpoch = this.pieces.reduce((a, b) => a + b, 0);
    this.tokensPerEpoch = tokens;
  }

  get lineCount(): number {
    return this.groups.reduce((n, g) => n + g.length, 0);
  }

  batchAt(epoch: number, index: number): Batch {
    const plan = this.planFor(epoch);
    // The group holding piece `index`: the last whose first piece is <= index.
    let lo = 0;
    let hi = plan.order.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (plan.firstPiece[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    const piece = index - plan.firstPiece[lo];
    return { batch: this.framedBatch(this.groups[plan.order[lo]], piece), carry: piece > 0 };
  }

  private planFor(epoch: number): { order: Int32Array; firstPiece: Int32Array } {
    if (this.epochPlan?.epoch === epoch) return this.epochPlan;
    const n = this.groups.length;
    const order = this.shuffle ? permutation(n, new Rng(deriveSeed(this.seed, 4_000_002), epoch)) : Int32Array.from({ length: n }, (_, i) => i);
    const firstPiece = new Int32Array(n);
    for (let i = 1; i < n; i++) firstPiece[i] = firstPiece[i - 1] + this.pieces[order[i - 1]];
    this.epochPlan = { epoch, order, firstPiece };
    return this.epochPlan;
  }

  /** Rows = the group's lines framed by start/end, padded (mask 0) to the longest; steps of piece `piece` only. */
  private framedBatch(group: Int32Array, piece: number): TokenBatch {
    const { ids, lineStarts, tokenizer } = this.corpus;
    const starts = lineStarts!;
    let longest = 0;
    for (const k of group) longest = Math.max(longest, starts[k + 1] - starts[k] + 1);
    const from = this.truncate > 0 ? piece * this.truncate : 0;
    const T = this.truncate > 0 ? Math.min(this.truncate, longest - from) : longest;
    const B = group.length;
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    const mask = new Float32Array(B * T);
    group.forEach((k, b) => {
      const s = starts[k];
      const n = starts[k + 1] - s;
      for (let t = 0; t < T; t++) {
        const pos = from + t; // position in the framed line: input pos, target pos + 1
        if (pos > n) {
          // Padding: any valid id as input; no loss, so no gradient.
          inputs[b * T + t] = tokenizer.endId;
          continue;
        }
        inputs[b * T + t] = pos === 0 ? tokenizer.startId : ids[s + pos - 1];
        targets[b * T + t] = pos === n ? tokenizer.endId : ids[s + pos];
        mask[b * T + t] = 1;
      }
    });
    return { batchSize: B, steps: T, inputs, targets, mask };
  }
}

export function linesPlan(corpus: Corpus, config: TrainConfig): DataPlan {
  const starts = corpus.lineStarts;
  if (!starts) throw new Error('lines mode needs a corpus read in lines mode');
  if (corpus.tokenizer.startId < 0 || corpus.tokenizer.endId < 0) {
    throw new UserInputError(
      'this vocabulary has no start and end symbols (it was built for stream or windows mode), and lines mode ({setting}) frames every line with them; try {suggestion}.',
      { key: 'mode', suggestion: 'stream' },
    );
  }
  const L = starts.length - 1;
  if (L < 2) {
    throw new UserInputError(
      `${corpus.name} has ${L} line${L === 1 ? '' : 's'} (or sentence${L === 1 ? '' : 's'}) to learn from; lines mode ({setting}) needs at least 2 ` +
      `(one to train, one to validate). Use a text with more lines, or try {suggestion}.`,
      { key: 'mode', suggestion: 'stream' },
    );
  }
  const valLines = corpus.validationFrom !== undefined
    ? L - starts.indexOf(corpus.validationFrom)
    : Math.min(L - 1, Math.max(1, Math.floor(L * config.valFraction)));
  const trainLines = Int32Array.from({ length: L - valLines }, (_, i) => i);
  const val = Int32Array.from({ length: Math.min(valLines, VALIDATION_LINE_CAP) }, (_, i) => L - valLines + i);
  const train = new LinesBatcher(corpus, trainLines, config.batchSize, config.bpttTruncate, config.seed, true);
  const valBatcher = new LinesBatcher(corpus, val, config.batchSize, 0, config.seed, false);
  const noun = tokenNoun(corpus);
  return {
    train,
    val: valBatcher,
    trainTokens: starts[L - valLines],
    valTokens: starts[L] - starts[L - valLines],
    valSentences: val.length,
    description: `lines mode: ${trainLines.length} lines train, the last ${valLines} validate${valLines > val.length ? ` (the first ${val.length} of them are read)` : ''}; ` +
      `each framed by start/end symbols, padded and masked${config.bpttTruncate > 0 ? `, backpropagated ${config.bpttTruncate} ${noun} at a time` : ''}`,
  };
}
