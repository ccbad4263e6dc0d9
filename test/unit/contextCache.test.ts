import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import type { Stepper } from '../../src/engine/backends/types';
import { ContextStateCache } from '../../src/engine/sample/contextCache';
import { nextSymbolDistribution } from '../../src/engine/sample/generate';
import { corpusFromText } from '../../src/engine/data/corpus';
import { randomFill } from './support/batches';

const text = 'the river runs past the mill and under the bridge, and the garden grows beside it. '.repeat(20);

function model() {
  const corpus = corpusFromText(text, { maxVocab: 96 });
  const net = createReferenceBackend('float64').createNetwork({ cell: 'gru', vocabSize: corpus.tokenizer.size, hiddenSize: 12, layers: 2, embeddingSize: 0, dropout: 0, hiddenDense: 0, hiddenActivation: 'relu' });
  randomFill(net.params, 0.3, 2); // small weights: a contractive model, so float32 state rounding cannot grow along the text
  return { corpus, net };
}

/** Counts the symbols fed through a stepper. */
function counting(stepper: Stepper): { stepper: Stepper; fed: () => number } {
  let fed = 0;
  return {
    stepper: new Proxy(stepper, {
      get(target, key) {
        if (key === 'step') return (tokens: Int32Array) => ((fed += tokens.length), target.step(tokens));
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }),
    fed: () => fed,
  };
}

test('cached distributions equal feeding the whole context, for any sequence of queries', () => {
  const { corpus, net } = model();
  const cache = new ContextStateCache(net.createStepper(1), corpus.tokenizer, 16);
  const fresh = net.createStepper(1);
  // Moving forward, backward, across stride boundaries, to a shorter and to a different context.
  for (const end of [300, 301, 317, 320, 290, 64, 65, 640, 639, 1, 0]) {
    const context = text.slice(0, end);
    // The whole distribution, compared symbol by symbol (ranks of near-ties may swap: states are kept as float32).
    const expected = nextSymbolDistribution(fresh, corpus.tokenizer, context, corpus.tokenizer.size);
    const got = cache.distribution(context, corpus.tokenizer.size);
    const gotP = new Map(got.probs.map((p) => [p.symbol, p.p]));
    for (const { symbol, p } of expected.probs) assert.ok(Math.abs(gotP.get(symbol)! - p) < 1e-6, `end ${end}, "${symbol}": ${gotP.get(symbol)} vs ${p}`);
    assert.ok(Math.abs(got.entropyBits - expected.entropyBits) < 1e-6);
  }
  const other = 'a different text entirely, ' + text.slice(0, 200);
  assert.deepEqual(cache.distribution(other, 3).probs.map((p) => p.symbol), nextSymbolDistribution(fresh, corpus.tokenizer, other, 3).probs.map((p) => p.symbol));
});

test('a query near the previous one feeds fewer than one stride of symbols; invalidate() starts over', () => {
  const { corpus, net } = model();
  const { stepper, fed } = counting(net.createStepper(1));
  const cache = new ContextStateCache(stepper, corpus.tokenizer, 64);
  cache.distribution(text.slice(0, 1500), 10);
  assert.equal(fed(), 1500);
  const before = fed();
  cache.distribution(text.slice(0, 1510), 10);
  assert.ok(fed() - before <= 64, `fed ${fed() - before} symbols for a query 10 characters further`);
  const again = fed();
  cache.distribution(text.slice(0, 1490), 10);
  assert.ok(fed() - again <= 64, `fed ${fed() - again} symbols for a query 10 characters back`);
  cache.invalidate();
  const cleared = fed();
  cache.distribution(text.slice(0, 1490), 10);
  assert.equal(fed() - cleared, 1490);
});

test('with the actual next character, the cache also gives its probability and surprisal; an unknown one is flagged', () => {
  const { corpus, net } = model();
  const cache = new ContextStateCache(net.createStepper(1), corpus.tokenizer);
  const context = text.slice(0, 50);
  const answer = cache.distribution(context, corpus.tokenizer.size, 'r');
  const full = nextSymbolDistribution(net.createStepper(1), corpus.tokenizer, context, corpus.tokenizer.size);
  const p = full.probs.find((row) => row.symbol === 'r')!.p;
  assert.ok(answer.next && answer.next.known && answer.next.symbol === 'r');
  assert.ok(Math.abs(answer.next.p - p) < 1e-6 && Math.abs(answer.next.bits + Math.log2(p)) < 1e-6);
  const unknown = cache.distribution(context, 3, 'Ж');
  assert.equal(unknown.next?.known, false);
});
