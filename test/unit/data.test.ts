// Tokenizers (characters, words) and batchers (stream, lines, windows) on small texts, and the
// gradients of each data mode through the public engine API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  corpusFromText, CharTokenizer, END_ID, planData, START_ID, splitUnits, UNKNOWN_ID, WordTokenizer, UserInputError,
  createReferenceBackend, type ReferenceNetwork, type TokenBatch, type CellType, type ModelSpec,
} from '../../src/engine';
import { LinesBatcher } from '../../src/engine/data/linesBatcher';
import { WindowsBatcher } from '../../src/engine/data/windowsBatcher';
import { RandomWindowBatcher } from '../../src/engine/data/streamBatcher';
import { defaultTrainConfig, type TrainConfig } from '../../src/protocol/messages';
import { assertGradientsMatch } from './support/gradcheck';
import { randomFill } from './support/batches';

const config = (over: Partial<TrainConfig>): TrainConfig => ({ ...defaultTrainConfig, ...over });

test('characters: lowercase, first-appearance order, a cap with the unknown symbol, start/end ids when framed', () => {
  const t = CharTokenizer.fromText('Hello hat', 5, { lowercase: true, order: 'first' });
  assert.deepEqual(t.symbols, ['⟨unk⟩', 'h', 'e', 'l', 'o']);
  assert.deepEqual(Array.from(t.encode('HAT')), [1, UNKNOWN_ID, UNKNOWN_ID]);
  const framed = CharTokenizer.fromText('aab', 10, { framed: true });
  assert.deepEqual(framed.symbols, ['⟨unk⟩', '⟨s⟩', '⟨/s⟩', 'a', 'b']);
  assert.equal(framed.startId, START_ID);
  assert.equal(framed.endId, END_ID);
  // The reserved symbols are never confused with text that looks like them.
  assert.deepEqual(Array.from(framed.encode('⟨s⟩')), [0, 0, 0]);
  assert.equal(framed.decode([START_ID, 3, 4, END_ID, START_ID, 3]), 'ab\na');
  const back = CharTokenizer.fromJSON(JSON.parse(JSON.stringify(framed.toJSON())));
  assert.deepEqual(back.symbols, framed.symbols);
  assert.equal(back.endId, END_ID);
  // A cap of 1 leaves no room for text: a clear message naming the setting.
  assert.throws(() => CharTokenizer.fromText('abc', 1), (e: UserInputError) => e.setting?.key === 'maxVocab' && /no room/.test(e.message));
  assert.throws(() => CharTokenizer.fromText('abc', 3, { framed: true }), (e: UserInputError) => e.setting?.key === 'maxVocab' && e.setting.suggestion === 4);
});

test('words: punctuation tokens, contractions, lowercase, cap with UNKNOWN_TOKEN, SENTENCE_START/END, the seed 003 report', () => {
  const text = "I joined a new league. It's a league, a new one!\nThe league: i'm in.";
  const corpus = corpusFromText(text, { maxVocab: 9, tokens: 'word', lowercase: true, mode: 'lines' });
  const t = corpus.tokenizer as WordTokenizer;
  assert.equal(t.kind, 'word');
  assert.deepEqual(t.symbols.slice(0, 3), ['UNKNOWN_TOKEN', 'SENTENCE_START', 'SENTENCE_END']);
  // Most frequent first: a (3), league (3), then i, new, . (2 each), then 1s; ties keep first appearance.
  assert.deepEqual(t.symbols.slice(3), ['a', 'league', 'i', 'new', '.', 'joined']);
  assert.equal(t.size, 9);
  const words = (ids: ArrayLike<number>) => Array.from(ids, (id) => t.symbolOf(id));
  assert.deepEqual(words(t.encode("I'm in a new league.")), ['i', 'UNKNOWN_TOKEN', 'UNKNOWN_TOKEN', 'a', 'new', 'league', '.']);
  // Two lines: the text has line structure (its lines end sentences).
  assert.equal(corpus.lineStarts!.length - 1, 2);
  const r = corpus.wordReport!;
  assert.equal(r.sentences, 2);
  assert.equal(r.uniqueTokens, 15);
  assert.equal(r.vocabularySize, 9);
  assert.equal(r.leastFrequentWord, 'joined');
  assert.equal(r.leastFrequentCount, 1);
  assert.ok(corpus.notes.some((n) => /Parsed 2 sentences\. Found 15 unique word tokens\. Using vocabulary size 9\. Least frequent word in vocabulary: 'joined', which appeared 1 times\./.test(n)));
  // Samples join words with spaces, none before punctuation or a contraction's tail; an end starts a line.
  const all = WordTokenizer.fromText("well , i 'm here ( really ) . yes !", 100);
  assert.equal(all.decode(all.encode("well , i 'm here ( really ) . yes !")), "well, i'm here (really). yes!");
  const framed = t.decode([START_ID, t.idOf('a'), t.idOf('league'), t.idOf('.'), END_ID, START_ID, t.idOf('new')]);
  assert.equal(framed, 'a league.\nnew');
});

test('lines: one per line with line structure, one per sentence without; caps on length and count', () => {
  assert.deepEqual(splitUnits('a cat.\nthe dog\n\nsun rises\n').units, ['a cat.', 'the dog', 'sun rises']);
  const prose = 'It was late. The wind rose and the\nshutters banged. Nobody slept that night, not even the\ndog. Morning came.';
  assert.deepEqual(splitUnits(prose), { units: ['It was late.', 'The wind rose and the shutters banged.', 'Nobody slept that night, not even the dog.', 'Morning came.'], by: 'sentence' });
  const corpus = corpusFromText('ab\nabcdef\nabc\nabcdefghij\n', { maxVocab: 20, mode: 'lines', maxLineLength: 6, maxLines: 2 });
  assert.equal(corpus.lineStarts!.length - 1, 2, 'the 10-char line is skipped, then the first 2 kept');
  assert.equal(corpus.tokenizer.decode(corpus.ids), 'ababcdef');
  assert.ok(corpus.notes.some((n) => /skipped 1 of 4 lines longer than 6/.test(n)));
  // One enormous line and no cap: refused, naming the setting.
  assert.throws(() => corpusFromText('x'.repeat(20_000), { maxVocab: 20, mode: 'lines' }),
    (e: UserInputError) => e instanceof UserInputError && e.setting?.key === 'maxLineLength' && /20,000 characters/.test(e.message));
  assert.throws(() => corpusFromText('abcdefgh\nabcdefghi\n', { maxVocab: 20, mode: 'lines', maxLineLength: 3 }),
    (e: UserInputError) => e.setting?.key === 'maxLineLength' && /every line/.test(e.message));
});

test('lines batches: framed by start/end, padded to the longest line, masked; validation is the last lines', () => {
  const corpus = corpusFromText('ab\nabcd\nb\nba\naab\nbbb\nab\nabab\nba\nb\n', { maxVocab: 20, mode: 'lines' });
  const plan = planData(corpus, config({ mode: 'lines', batchSize: 3, valFraction: 0.2 }));
  assert.equal(plan.valSentences, 2);
  const train = plan.train as LinesBatcher;
  assert.equal(train.lineCount, 8);
  assert.equal(train.batchesPerEpoch, 3);
  const seen = new Set<string>();
  const t = corpus.tokenizer;
  for (let i = 0; i < train.batchesPerEpoch; i++) {
    const { batch, carry } = train.batchAt(0, i);
    assert.equal(carry, false, 'each line starts from a zero state');
    const T = batch.steps;
    for (let b = 0; b < batch.batchSize; b++) {
      const row = Array.from(batch.inputs.subarray(b * T, (b + 1) * T));
      const target = Array.from(batch.targets.subarray(b * T, (b + 1) * T));
      const mask = Array.from(batch.mask!.subarray(b * T, (b + 1) * T));
      const n = mask.reduce((a, m) => a + m, 0);
      assert.equal(row[0], START_ID);
      assert.equal(target[n - 1], END_ID);
      assert.ok(mask.every((m, k) => m === (k < n ? 1 : 0)), 'counted positions first, padding after');
      assert.deepEqual(row.slice(1, n), target.slice(0, n - 1), 'targets are the inputs shifted by one');
      seen.add(t.decode(target.slice(0, n - 1)));
    }
    // Padded to the longest line of the batch, no further.
    assert.equal(T, Math.max(...Array.from({ length: batch.batchSize }, (_, b) => batch.mask!.subarray(b * T, (b + 1) * T).reduce((a, m) => a + m, 0))));
  }
  assert.deepEqual([...seen].sort(), ['aab', 'ab', 'abab', 'abcd', 'b', 'ba', 'bbb'].sort());
  // Another epoch, another order; the same epoch, the same batches.
  const order = (e: number) => Array.from({ length: 3 }, (_, i) => Array.from(train.batchAt(e, i).batch.targets).join()).join('|');
  assert.equal(order(1), order(1));
  assert.notEqual(order(0), order(1));
  // bpttTruncate: pieces of N steps, the state carried between the pieces of a batch.
  const truncated = planData(corpus, config({ mode: 'lines', batchSize: 3, valFraction: 0.2, bpttTruncate: 2 })).train;
  const pieces = Array.from({ length: truncated.batchesPerEpoch }, (_, i) => truncated.batchAt(0, i));
  assert.ok(pieces.every((p) => p.batch.steps <= 2));
  assert.ok(pieces.some((p) => p.carry) && !pieces[0].carry);
  // One line is not enough (one to train, one to validate).
  assert.throws(() => planData(corpusFromText('just one line here', { maxVocab: 20, mode: 'lines' }), config({ mode: 'lines' })),
    (e: UserInputError) => e.setting?.key === 'mode');
});

test('windows: count and content on a small text, many-to-one mask, shuffled each epoch', () => {
  const corpus = corpusFromText('abcdefghijklmnopqrstuvwxyz0123456789', { maxVocab: 96, vocabOrder: 'first' });
  const plan = planData(corpus, config({ mode: 'windows', window: 5, windowStep: 3, batchSize: 4, valFraction: 0.2 }));
  const train = plan.train as WindowsBatcher;
  // 36 chars: the last 7 validate (0.2 * 36); windows of 5 + the next char every 3 over the first 29.
  assert.equal(plan.trainTokens, 29);
  assert.equal(train.windowCount, Math.floor((29 - 6) / 3) + 1);
  assert.equal(train.windowCount, 8);
  assert.equal(train.batchesPerEpoch, 2);
  const text = (ids: ArrayLike<number>) => corpus.tokenizer.decode(Array.from(ids));
  const windows = new Set<string>();
  for (let i = 0; i < 2; i++) {
    const { batch, carry } = train.batchAt(0, i);
    assert.equal(carry, false);
    for (let b = 0; b < 4; b++) {
      const input = text(batch.inputs.subarray(b * 5, b * 5 + 5));
      const next = text([batch.targets[b * 5 + 4]]);
      windows.add(input + '>' + next);
      assert.deepEqual(Array.from(batch.mask!.subarray(b * 5, b * 5 + 5)), [0, 0, 0, 0, 1]);
    }
  }
  assert.deepEqual([...windows].sort(), ['abcde>f', 'defgh>i', 'ghijk>l', 'jklmn>o', 'mnopq>r', 'pqrst>u', 'stuvw>x', 'vwxyz>0']);
  const firsts = (e: number) => text(Array.from({ length: 4 }, (_, b) => train.batchAt(e, 0).batch.inputs[b * 5]));
  assert.notEqual(firsts(0), firsts(1));
  const val = plan.val as WindowsBatcher;
  assert.equal(text(val.batchAt(0, 0).batch.inputs.subarray(0, 5)), '34567');
  // A window longer than the text: a clear message naming the setting.
  assert.throws(() => planData(corpus, config({ mode: 'windows', window: 40 })), (e: UserInputError) => e.setting?.key === 'window' && /window of 40/.test(e.message));
});

test('a word-mode text of one word and a random-window stream', () => {
  const one = corpusFromText('hello', { maxVocab: 100, tokens: 'word' });
  assert.throws(() => planData(one, config({ tokens: 'word', seqLength: 4 })), (e: UserInputError) => e.setting?.key === 'tokens' && /only 1 word token/.test(e.message));
  const corpus = corpusFromText('abcdefghij'.repeat(20), { maxVocab: 96 });
  const plan = planData(corpus, config({ batching: 'random', batchSize: 4, seqLength: 8 }));
  const train = plan.train as RandomWindowBatcher;
  const { batch, carry } = train.batchAt(0, 0);
  assert.equal(carry, false);
  for (let b = 0; b < 4; b++) for (let t = 0; t < 7; t++) assert.equal(batch.targets[b * 8 + t], batch.inputs[b * 8 + t + 1]);
  assert.notDeepEqual(Array.from(train.batchAt(0, 1).batch.inputs), Array.from(train.batchAt(0, 0).batch.inputs));
});

test('stream mode says how much of the held-out text an evaluation reads', () => {
  const small = planData(corpusFromText('abcdefghij'.repeat(100), { maxVocab: 96 }), config({ seqLength: 8 }));
  assert.match(small.description, /validation on the last 100 characters of the text$/);
  // 1M characters: 100,000 held out, of which an evaluation reads the first 65,536.
  const big = planData(corpusFromText('abcdefghij'.repeat(100_000), { maxVocab: 96 }), config({ seqLength: 8 }));
  assert.equal(big.valTokens, 100_000);
  assert.match(big.description, /validation on the first 65,536 of the last 100,000 characters of the text \(an evaluation reads at most 65,536\)/);
});

// Gradients through the public engine API: the corpus and batcher of each data mode feed a float64
// network whose analytic gradients must match finite differences, Dense layer included.
const reference = createReferenceBackend('float64');
const modes: Array<{ mode: TrainConfig['mode']; text: string; extra: Partial<TrainConfig> }> = [
  { mode: 'stream', text: 'the cat sat on the mat. '.repeat(4), extra: { seqLength: 4 } },
  { mode: 'lines', text: 'a cat.\nthe dog sat.\nsun.\nhe sat on it.\na mat.\n', extra: { bpttTruncate: 0 } },
  { mode: 'windows', text: 'the cat sat on the mat. '.repeat(4), extra: { window: 4, windowStep: 2 } },
];
for (const cell of ['rnn', 'gru', 'lstm'] as CellType[]) {
  for (const { mode, text, extra } of modes) {
    test(`gradients match finite differences through the data pipeline: ${cell}, ${mode} mode, Dense hidden layer`, () => {
      const c = config({ mode, batchSize: 3, maxVocab: 12, valFraction: 0.2, ...extra });
      const corpus = corpusFromText(text, { maxVocab: 12, mode });
      const plan = planData(corpus, c);
      const spec: ModelSpec = { cell, vocabSize: corpus.tokenizer.size, hiddenSize: 3, layers: 1, embeddingSize: 0, dropout: 0, hiddenDense: 3, hiddenActivation: 'tanh' };
      const net = reference.createNetwork(spec) as ReferenceNetwork;
      randomFill(net.params, 0.6, 7);
      const { batch } = plan.train.batchAt(0, 0);
      const copy: TokenBatch = { ...batch, inputs: batch.inputs.slice(), targets: batch.targets.slice(), mask: batch.mask?.slice() };
      assertGradientsMatch(net, copy, { carryState: false }, 1 / 4);
    });
  }
}

test('padded positions get no loss and exactly zero gradient', () => {
  const corpus = corpusFromText('ab\nabcdefg\nba\nbb\n', { maxVocab: 20, mode: 'lines' });
  const plan = planData(corpus, config({ mode: 'lines', batchSize: 3, valFraction: 0.25 }));
  const { batch } = plan.train.batchAt(0, 0);
  assert.ok(batch.mask!.some((m) => m === 0), 'this batch has padding');
  for (const cell of ['rnn', 'gru', 'lstm'] as CellType[]) {
    const spec: ModelSpec = { cell, vocabSize: corpus.tokenizer.size, hiddenSize: 4, layers: 2, embeddingSize: 3, dropout: 0, hiddenDense: 4, hiddenActivation: 'relu' };
    const net = reference.createNetwork(spec);
    randomFill(net.params as Float64Array, 0.5, 3);
    const a = net.forwardBackward(batch, { carryState: false });
    const grads = Float64Array.from(net.grads);
    // Whatever sits in the padded positions (inputs and targets), loss and gradients are identical.
    const other: TokenBatch = { ...batch, inputs: batch.inputs.slice(), targets: batch.targets.slice() };
    for (let i = 0; i < other.inputs.length; i++) {
      if (batch.mask![i] === 0) {
        other.inputs[i] = (i * 7 + 3) % spec.vocabSize;
        other.targets[i] = (i * 5 + 1) % spec.vocabSize;
      }
    }
    const b = net.forwardBackward(other, { carryState: false });
    assert.equal(b.lossSum, a.lossSum);
    assert.equal(b.count, a.count);
    assert.deepEqual(Array.from(net.grads), Array.from(grads), `${cell}: gradients do not depend on the padding`);
    // The embedding rows of ids that only occur as padding inputs get exactly zero gradient.
    const emb = net.layout.byName.get('embedding')!;
    const used = new Set(Array.from(batch.inputs).filter((_, i) => batch.mask![i] === 1));
    for (let id = 0; id < spec.vocabSize; id++) {
      if (used.has(id)) continue;
      for (let j = 0; j < 3; j++) assert.equal(grads[emb.offset + id * 3 + j], 0);
    }
  }
});
