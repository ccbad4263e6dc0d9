/**
 * The lab card registry (src/engine/labs/registry.ts): one question and one card per kind, inputs
 * clamped before any computation, a kind no card asks refused in words, and each card's stepper
 * disposed after its answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import type { Stepper } from '../../src/engine/backends/types';
import { CharTokenizer } from '../../src/engine/data/charTokenizer';
import { answerLabRequest } from '../../src/engine/labs/desk';
import { labCards, labQuestionOf, labQuestions, type LabRequest } from '../../src/engine/labs/registry';
import { EpochClock } from '../../src/engine/labs/timing';
import type { LabModel } from '../../src/engine/train/run';
import { randomFill } from './support/batches';

/** A small real model (reference backend, random weights) that counts the steppers it hands out and disposes. */
function countingModel() {
  const vocab = CharTokenizer.fromText('the cat sat on the mat\nthe dog ran\n', 96);
  const spec = { cell: 'lstm' as const, vocabSize: vocab.size, hiddenSize: 6, layers: 1, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' as const };
  const net = createReferenceBackend('float64').createNetwork(spec);
  randomFill(net.params, 1, 4);
  const counts = { made: 0, disposed: 0 };
  const model: LabModel = {
    spec, vocab, seed: 9, params: net.params, backend: { name: 'reference', description: 'reference', threads: 1 },
    createStepper: (): Stepper => {
      counts.made++;
      const stepper = net.createStepper(1);
      return Object.assign(Object.create(stepper) as Stepper, { dispose: () => { counts.disposed++; stepper.dispose(); } });
    },
  };
  return { model, counts };
}

test('every question has exactly one card of its kind, and kinds are unique', () => {
  const kinds = labQuestions.map((q) => q.kind);
  assert.equal(new Set(kinds).size, kinds.length, `a kind is listed twice: ${kinds.join(', ')}`);
  assert.deepEqual(Object.keys(labCards).sort(), [...kinds].sort());
  for (const q of labQuestions) assert.equal(labCards[q.kind].question, q, `${q.kind}: its card carries another question`);
  assert.equal(labQuestionOf('decode')?.kind, 'decode');
  assert.equal(labQuestionOf('toString'), undefined);
});

test('the cards that read the open file say which part', () => {
  const needs = Object.fromEntries(labQuestions.filter((q) => q.editorText).map((q) => [q.kind, q.editorText!.read]));
  assert.deepEqual(needs, { neurons: 'document', decode: 'line', gradientFlow: 'line' });
});

test('inputs are clamped before the computation', () => {
  const clamp = (request: LabRequest) => labQuestionOf(request.kind)!.clamp(request);
  assert.deepEqual(clamp({ kind: 'firstSymbols', prefix: 'x'.repeat(900), top: 999 }), { kind: 'firstSymbols', prefix: 'x'.repeat(500), top: 50 });
  assert.deepEqual(clamp({ kind: 'sentences', count: NaN, temperature: -3, maxLength: 1e9 }), { kind: 'sentences', count: 5, temperature: 0, maxLength: 1000 });
  assert.deepEqual(clamp({ kind: 'resetState', count: 100, temperature: 9, maxLength: 0 }), { kind: 'resetState', count: 20, temperature: 2, maxLength: 1 });
  assert.deepEqual(clamp({ kind: 'temperatures', prime: 'ab', length: Infinity }), { kind: 'temperatures', prime: 'ab', length: 120 });
  assert.deepEqual(clamp({ kind: 'decode', line: 'first\nsecond', lineNumber: 3 }), { kind: 'decode', line: 'first', lineNumber: 3 });
  assert.equal((clamp({ kind: 'neurons', text: '🌊'.repeat(4000), unit: 2.6 }) as { text: string; unit: number }).unit, 3);
  assert.equal([...(clamp({ kind: 'neurons', text: '🌊'.repeat(4000), unit: 2.6 }) as { text: string }).text].length, 3000);
});

test('a kind no card asks is refused in words, before any stepper is made', () => {
  const { model, counts } = countingModel();
  const answer = answerLabRequest(model, undefined, { kind: 'horoscope' } as unknown as LabRequest);
  assert.deepEqual(answer, { kind: 'error', message: 'There is no lab card "horoscope" to answer.' });
  assert.equal(counts.made, 0);
});

test('each answer disposes the stepper it made; timing without a clock is refused without one', () => {
  const { model, counts } = countingModel();
  const first = answerLabRequest(model, undefined, { kind: 'firstSymbols', prefix: 'th', top: 3 });
  assert.equal(first.kind, 'firstSymbols');
  assert.equal(first.kind === 'firstSymbols' && first.probs.length, 3);
  const decoded = answerLabRequest(model, undefined, { kind: 'decode', line: 'the cat', lineNumber: 1 });
  assert.equal(decoded.kind, 'decode');
  assert.deepEqual(answerLabRequest(model, undefined, { kind: 'decode', line: '  ', lineNumber: 1 }).kind, 'error');
  assert.deepEqual(counts, { made: 2, disposed: 2 });
  assert.match((answerLabRequest(model, undefined, { kind: 'timing' }) as { message: string }).message, /not trained in this window/);
  const timed = answerLabRequest(model, new EpochClock(10, 0), { kind: 'timing' });
  assert.equal(timed.kind, 'timing');
  assert.deepEqual(counts, { made: 2, disposed: 2 });
});
