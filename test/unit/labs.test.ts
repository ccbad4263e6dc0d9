import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import {
  EpochClock, boundariesOf, findNeurons, hardwareInfo, hiddenTrace, resetStateExperiment, sampleSentences, surprisal, temperatureExplorer,
  textFeatures, topFirstSymbols, unitActivations, type LabVocab,
} from '../../src/engine/labs';
import { nextSymbolDistribution } from '../../src/engine/sample/generate';
import { formatSeconds } from '../../src/engine/labs/duration';
import { temperatureSummary } from '../../src/engine/labs/temperature';
import type { Stepper } from '../../src/engine/backends/types';
import { weightsLabel } from '../../src/engine/labs/weightsLabel';
import type { RunSnapshot } from '../../src/protocol/messages';
import { corpusFromText } from '../../src/engine/data/corpus';
import { CharTokenizer } from '../../src/engine/data/charTokenizer';
import { randomFill } from './support/batches';

const text = 'the cat sat on the mat.\nthe dog sat on "the log".\na (small) bird sang [loudly].\n';

function model(hiddenSize = 8, layers = 1) {
  const corpus = corpusFromText(text.repeat(3), { maxVocab: 96 });
  const spec = { cell: 'lstm' as const, vocabSize: corpus.tokenizer.size, hiddenSize, layers, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' as const };
  const net = createReferenceBackend('float64').createNetwork(spec);
  randomFill(net.params, 3, 2);
  net.paramsChanged();
  return { vocab: corpus.tokenizer, spec, stepper: net.createStepper(1) };
}

/** A vocabulary with reserved start and end symbols, as lines mode has. */
function sentenceVocab(): LabVocab {
  return CharTokenizer.fromText('abc ', 96, { framed: true });
}

test('boundaries: the reserved start/end symbols when the model has them, else newlines', () => {
  const b = boundariesOf(sentenceVocab());
  assert.deepEqual([b.startId, b.endId, b.hasStartSymbol, b.hasEndSymbol, b.startLabel], [1, 2, true, true, '⟨s⟩']);
  const { vocab } = model();
  const s = boundariesOf(vocab);
  assert.equal(s.startId, vocab.symbols.indexOf('\n'));
  assert.equal(s.endId, s.startId);
  assert.equal(s.hasStartSymbol, false);
});

test('Q2: the top first symbols are sorted, sum to at most 1, and say when there is no start symbol', () => {
  const { vocab, stepper } = model();
  const answer = topFirstSymbols(stepper, vocab, '', 10);
  assert.equal(answer.probs.length, 10);
  for (let i = 1; i < 10; i++) assert.ok(answer.probs[i].p <= answer.probs[i - 1].p);
  assert.ok(answer.probs.reduce((s, r) => s + r.p, 0) <= 1 + 1e-9);
  assert.ok(answer.entropyBits > 0 && answer.entropyBits <= Math.log2(vocab.size) + 1e-9);
  assert.match(answer.notes.join(' '), /no start symbol/);
  // The same numbers as the engine's own next-symbol distribution after a newline.
  const direct = nextSymbolDistribution(stepper, vocab, '\n', 10);
  answer.probs.forEach((row, i) => assert.ok(Math.abs(row.p - direct.probs[i].p) < 1e-9));

  const withPrefix = topFirstSymbols(stepper, vocab, 'Жthe', 5);
  assert.deepEqual(withPrefix.unknown, ['Ж']);
  assert.match(withPrefix.notes.join(' '), /never seen “Ж”/);
  assert.equal(withPrefix.context, 'a newline + “Жthe”');
});

test('Q3: sentences end without the end symbol, reproducibly', () => {
  const { vocab, stepper } = model();
  const a = sampleSentences(stepper, vocab, { count: 5, temperature: 0.8, maxLength: 40, seed: 3 });
  const b = sampleSentences(stepper, vocab, { count: 5, temperature: 0.8, maxLength: 40, seed: 3 });
  assert.equal(a.sentences.length, 5);
  assert.deepEqual(a.sentences, b.sentences);
  for (const s of a.sentences) assert.ok(!s.includes('\n') && [...s].length <= 40);
});

test('Q3/Q4 say where a sentence starts and ends on the model they ran on: a newline without a start symbol', () => {
  const { vocab, stepper } = model();
  const stream = sampleSentences(stepper, vocab, { count: 1, temperature: 0.8, maxLength: 10, seed: 3 });
  assert.equal(stream.startsAfter, 'a newline');
  assert.equal(stream.endsAt, 'a newline');
  assert.equal(resetStateExperiment(stepper, vocab, { count: 1, temperature: 0.8, maxLength: 10, seed: 3 }).startsAfter, 'a newline');
  const framed = CharTokenizer.fromText('abc ', 96, { framed: true });
  const net = createReferenceBackend('float64').createNetwork({ cell: 'gru', vocabSize: framed.size, hiddenSize: 4, layers: 1, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' });
  const lines = sampleSentences(net.createStepper(1), framed, { count: 1, temperature: 0.8, maxLength: 10, seed: 3 });
  assert.equal(lines.startsAfter, 'the start symbol ⟨s⟩');
  assert.equal(lines.endsAt, 'the end symbol ⟨/s⟩');
});

test('Q5 names the weights the samples use: the best step, not the last one trained', () => {
  const started = { sourceName: 'captions.txt', config: { cell: 'lstm', hiddenSize: 128, layers: 1 } } as unknown as RunSnapshot['started'];
  const evalAt = (step: number, bestStep: number) => ({ step, bestStep, isBest: step === bestStep }) as unknown as RunSnapshot['evals'][number];
  const snapshot = { status: 'completed', statusMessage: '', started, steps: [], evals: [evalAt(600, 600), evalAt(850, 600)], lastStep: { step: 850 } } as unknown as RunSnapshot;
  assert.equal(weightsLabel(snapshot), 'captions.txt (LSTM 128×1, the step-600 weights, its best validation loss; trained to step 850)');
  assert.equal(weightsLabel({ ...snapshot, evals: [evalAt(850, 850)] }), 'captions.txt (LSTM 128×1, step 850, its best validation loss)');
  assert.equal(weightsLabel(null), 'none');
});

test('Q4: without resets the first sentence matches, later ones start from a carried state that moves the first-symbol distribution', () => {
  const { vocab, stepper } = model();
  const r = resetStateExperiment(stepper, vocab, { count: 5, temperature: 0.8, maxLength: 30, seed: 5, driftSentences: 8 });
  assert.equal(r.withReset.length, 5);
  assert.equal(r.withoutReset.length, 5);
  assert.equal(r.withoutReset[0], r.withReset[0], 'both start from a fresh state with the same draws');
  assert.equal(r.drift.length, 8);
  assert.equal(r.drift[0].totalVariation, 0);
  assert.equal(r.drift[0].stateRms, 0);
  assert.ok(r.drift.slice(1).every((d) => d.stateRms > 0), 'later sentences start from a carried state');
  assert.ok(r.drift.slice(1).some((d) => d.totalVariation > 1e-4), 'which changes what the model expects first');
  for (const d of r.drift) assert.ok(d.totalVariation >= 0 && d.totalVariation <= 1 && d.klBits >= -1e-12);
});

test('surprisal: -log2 p of each character given the text before it; unknown characters get none', async () => {
  const { vocab, stepper } = model();
  const context = 'the cat ';
  const answer = await surprisal(stepper, vocab, 'sat Ж', { context, lines: false });
  const chars = [...'sat Ж'];
  for (let i = 0; i < 4; i++) {
    const dist = nextSymbolDistribution(stepper, vocab, context + chars.slice(0, i).join(''), vocab.size);
    const p = dist.probs.find((row) => row.symbol === chars[i])!.p;
    assert.ok(Math.abs(answer.bits[i] - -Math.log2(p)) < 1e-6, `char ${i}`);
  }
  assert.ok(Number.isNaN(answer.bits[4]));
  assert.equal(answer.unknownCount, 1);
  assert.ok(answer.complete);
  let pauses = 0;
  const cut = await surprisal(stepper, vocab, text, { context: '', lines: true, chunk: 10, pause: async () => ++pauses < 2 });
  assert.equal(cut.complete, false);
});

test('temperature explorer: four rows; greedy is the same whatever the seed', () => {
  const { vocab, stepper } = model();
  const a = temperatureExplorer(stepper, vocab, { prime: 'the ', length: 30, seed: 1 });
  const b = temperatureExplorer(stepper, vocab, { prime: 'the ', length: 30, seed: 2 });
  assert.deepEqual(a.rows.map((r) => r.temperature), [0, 0.3, 0.8, 1.2]);
  assert.equal(a.rows[0].text, b.rows[0].text);
  for (const row of a.rows) assert.ok([...row.text].length === 30 && row.meanBits >= 0);
  // Greedy takes the most likely symbol each time: the cheapest text there is, step by step.
  assert.ok(a.rows[0].meanBits <= a.rows[3].meanBits);
});

test('temperature explorer: the paragraph names the cheapest row the table shows, not T = 0 by rule', () => {
  const summary = temperatureSummary([
    { temperature: 0, text: 'a', meanBits: 0.69, distinctWords: 0.2 },
    { temperature: 0.3, text: 'b', meanBits: 0.39, distinctWords: 0.5 },
    { temperature: 0.8, text: 'c', meanBits: 1.1, distinctWords: 0.8 },
    { temperature: 1.2, text: 'd', meanBits: 2.4, distinctWords: 0.9 },
  ], 'char');
  assert.match(summary, /cheapest is T = 0\.3's \(0\.39 bits\/char/);
  assert.match(summary, /most surprising is T = 1\.2's \(2\.40/);
  assert.match(summary, /T = 0 takes the most likely symbol at every step, yet its text costs 0\.69/);
  assert.match(summary, /most repetitive text is T = 0 \(greedy\)'s \(distinct words 0\.20/);
});

/**
 * A stand-in model over a framed vocabulary whose most likely symbol is fixed by how many steps it
 * has read since its last reset: "a", "b", "c", then the end symbol, then "b" for ever.
 */
function countingSentenceModel(vocab: LabVocab): Stepper {
  let sinceReset = 0;
  const logits = new Float32Array(vocab.size);
  const order = ['a', 'b', 'c'].map((c) => vocab.symbols.indexOf(c));
  return {
    batchSize: 1,
    reset: () => { sinceReset = 0; },
    step: () => {
      sinceReset++;
      const best = sinceReset <= 3 ? order[sinceReset - 1] : sinceReset === 4 ? vocab.endId : order[1];
      logits.fill(0);
      logits[best] = 10;
      return logits;
    },
    getState: () => new Float32Array(0),
    setState: () => {},
    dispose: () => {},
  };
}

test('temperature explorer on a lines model: each sentence after an end symbol starts from a reset state and the start symbol', () => {
  const vocab = CharTokenizer.fromText('abc ', 96, { framed: true });
  const a = temperatureExplorer(countingSentenceModel(vocab), vocab, { prime: '', length: 12, seed: 1, temperatures: [0] });
  assert.equal(a.rows[0].text, 'abc\nabc\nabc\n');
});

test('neurons: features per character; units ranked by |correlation|; a feature the text lacks gets none', () => {
  const f = textFeatures('a "b" (c)\nd');
  assert.deepEqual(Array.from(f.quotes), [0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(f.brackets), [0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(f.linePosition), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
  const { vocab, spec, stepper } = model(6, 2);
  const trace = hiddenTrace(stepper, spec, vocab.encode(text));
  assert.equal(trace.activations.length, [...text].length * 6);
  const found = findNeurons(trace, text, 3);
  for (const { units } of found) {
    assert.ok(units && units.length === 3);
    for (let i = 1; i < 3; i++) assert.ok(Math.abs(units[i].r) <= Math.abs(units[i - 1].r) + 1e-12);
    for (const u of units) assert.ok(Math.abs(u.r) <= 1 + 1e-9);
  }
  assert.equal(findNeurons(hiddenTrace(stepper, spec, vocab.encode('the cat')), 'the cat', 3)[0].units, undefined);
  assert.ok(unitActivations(trace, 2).every((a) => Math.abs(a) <= 1));
});

test('Q1: epochs timed at their boundaries; 10 epochs projected from them or from the pace so far', () => {
  const clock = new EpochClock(10);
  clock.observe({ step: 5, elapsedMs: 50 });
  let r = clock.report();
  assert.equal(r.basis, 'projected');
  assert.equal(r.avgEpochMs, 100);
  assert.equal(r.tenEpochsMs, 1000);
  for (let s = 6; s <= 20; s++) clock.observe({ step: s, elapsedMs: s === 20 ? 260 : s * 10 });
  r = clock.report();
  assert.equal(r.basis, 'measured');
  assert.deepEqual(r.measuredEpochs, [{ epoch: 1, ms: 100 }, { epoch: 2, ms: 160 }]);
  assert.equal(r.avgEpochMs, 130);
  assert.equal(r.epochsDone, 2);
  const hw = hardwareInfo({ name: 'wasm', description: 'WebAssembly SIMD, 2 threads', threads: 2 });
  assert.ok(hw.cores >= 1 && hw.memoryBytes > 0 && hw.cpuModel.length > 0);
  assert.equal(hw.gpu, undefined);
});

test('Q1: an epoch of 0.44 s reads as 0.44 s, not 0:00; longer ones keep the precision that tells them apart', () => {
  assert.equal(formatSeconds(440), '0.44 s');
  assert.equal(formatSeconds(12_345), '12.3 s');
  assert.equal(formatSeconds(125_000), '2:05');
  assert.equal(formatSeconds(3_723_000), '1:02:03');
  assert.equal(formatSeconds(-1), '–');
});

test('Q1 hardware: a CPU backend that could not use the GPU has no GPU row, and the thread count is said once', () => {
  const cpu = hardwareInfo({ name: 'wasm', description: 'WebAssembly SIMD, 2 threads (GPU not used: no NVIDIA driver)', threads: 2, fallbackNote: 'GPU not used: no NVIDIA driver' });
  assert.equal(cpu.gpu, undefined);
  assert.equal(cpu.backendText.match(/threads/g)?.length, 1, cpu.backendText);
  const plain = hardwareInfo({ name: 'js', description: 'plain TypeScript (float32)', threads: 1 });
  assert.equal(plain.backendText, 'plain TypeScript (float32) (1 thread)');
  const gpu = hardwareInfo({ name: 'cuda', description: 'CUDA: NVIDIA H100', threads: 1 });
  assert.equal(gpu.gpu, 'CUDA: NVIDIA H100');
});

test('Q1 on a resumed run: the pace counts only the steps since the resume, and its first, partial epoch is not timed', () => {
  // Resumed at step 15 of 10-step epochs: the clock starts at 0 there.
  const clock = new EpochClock(10, 15);
  clock.observe({ step: 20, elapsedMs: 50 });
  assert.equal(clock.report().basis, 'projected', 'epoch 2 was only half timed');
  assert.equal(clock.report().msPerStep, 10);
  clock.observe({ step: 30, elapsedMs: 170 });
  const r = clock.report();
  assert.deepEqual(r.measuredEpochs, [{ epoch: 3, ms: 120 }]);
  assert.equal(r.avgEpochMs, 120);
});

test('sentences from a model trained on sentences: start symbol in, end symbol out, never printed', () => {
  const vocab = CharTokenizer.fromText('the cat sat\nthe dog ran\n', 96, { framed: true });
  const spec = { cell: 'gru' as const, vocabSize: vocab.size, hiddenSize: 6, layers: 1, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' as const };
  const net = createReferenceBackend('float64').createNetwork(spec);
  randomFill(net.params, 2, 8);
  // Make the end symbol likely, so sentences end by it.
  const stepper = net.createStepper(1);
  const a = sampleSentences(stepper, vocab, { count: 5, temperature: 1, maxLength: 30, seed: 1 });
  for (const s of a.sentences) assert.ok(!/⟨\/s⟩|⟨s⟩|\n/.test(s), JSON.stringify(s));
  assert.deepEqual(a.notes, []);
  const first = topFirstSymbols(stepper, vocab, '', 5);
  assert.equal(first.context, '⟨s⟩');
  assert.deepEqual(first.notes, []);
});
