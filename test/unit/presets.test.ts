/**
 * Each preset reproduces the set-up of the tutorial it is named after, on its bundled text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPreset, presetConfig, type Preset } from '../../src/engine/config/presets';
import { corpusFromText, type Corpus } from '../../src/engine/data/corpus';
import { planData } from '../../src/engine/data/batcher';
import type { TrainConfig } from '../../src/engine/config/settings';
import { paramLayout } from '../../src/engine/model/spec';
import { initOptionsFromConfig, initParams } from '../../src/engine/model/init';
import { specFromConfig } from '../../src/engine/train/config';

function preset(name: string): { preset: Preset; config: TrainConfig } {
  const p = findPreset(name);
  assert.ok(p, name);
  return { preset: p, config: presetConfig(p) };
}

function bundledCorpus(name: string): { corpus: Corpus; config: TrainConfig } {
  const { preset: p, config } = preset(name);
  assert.ok(p.corpus, `${name} has a bundled text`);
  const text = readFileSync(join(__dirname, '..', '..', '..', 'samples', p.corpus), 'utf8');
  const corpus = corpusFromText(text, {
    name: p.corpus, maxVocab: config.maxVocab, tokens: config.tokens, lowercase: config.lowercase, vocabOrder: config.vocabOrder, mode: config.mode,
    maxLines: config.maxLines, maxLineLength: config.maxLineLength,
  });
  return { corpus, config };
}

function lineLengths(corpus: Corpus): number[] {
  const starts = corpus.lineStarts!;
  return Array.from({ length: starts.length - 1 }, (_, k) => starts[k + 1] - starts[k]);
}

test('captions is budgeted by seed 004\'s number of updates (10 epochs x 79 batches of 128 of 10,000 captions), not by epochs of the smaller bundled text', () => {
  const { corpus, config } = bundledCorpus('captions');
  assert.equal(config.steps, 10 * Math.ceil(10000 / 128));
  assert.equal(config.epochs, 0);
  assert.equal(config.seconds, 0);
  // The bundled text is far smaller than the seed's: its epochs would be a tenth of the updates.
  assert.ok(planData(corpus, config).train.batchesPerEpoch * 10 < config.steps / 5);
});

test('nonsense-words has seed 001\'s one recurrent layer (stack_size=1)', () => {
  const { config } = preset('nonsense-words');
  assert.equal(config.layers, 1);
  assert.equal(config.cell, 'rnn');
  assert.equal(config.hiddenSize, 10);
  assert.equal(config.embeddingSize, 10);
});

test('theano-lines trains on one sentence per line, with seed 000\'s step on the per-sentence loss and zero biases', () => {
  const { corpus, config } = bundledCorpus('theano-lines');
  const lengths = lineLengths(corpus);
  // Sentences, not paragraphs: the seed's lines are single sentences (its 251 nats per sentence ~ 60-80 characters).
  assert.ok(lengths.length > 300, `${lengths.length} lines`);
  const meanPredicted = lengths.reduce((a, n) => a + n + 1, 0) / lengths.length; // characters and the end symbol
  assert.ok(meanPredicted < 150, `mean ${meanPredicted} symbols a line`);
  // Theano sums the cross-entropy over a sentence; here it is a mean per symbol: the same step is 0.1 x the symbols a line predicts.
  assert.ok(Math.abs(config.learningRate / (0.1 * meanPredicted) - 1) < 0.05, `lr ${config.learningRate} vs 0.1 x ${meanPredicted.toFixed(1)}`);
  assert.equal(config.sampleLength, 450);
  assert.equal(config.prime, 'the meaning of life is ');
  // Every bias starts at zero in the seed (b_i, b_f, b_c, b_o and the softmax's).
  const spec = specFromConfig(config, corpus.tokenizer.size);
  const layout = paramLayout(spec);
  const params = new Float32Array(layout.total);
  initParams(spec, params, config.seed, initOptionsFromConfig(config));
  for (const slot of layout.slots.filter((s) => s.name.endsWith('bias'))) {
    assert.ok(params.subarray(slot.offset, slot.offset + slot.size).every((v) => v === 0), `${slot.name} starts at zero`);
  }
});

test('reddit-words\' bundled text has more words than its 4,000-word vocabulary, so the unknown token appears in training', () => {
  const { corpus, config } = bundledCorpus('reddit-words');
  assert.equal(config.maxVocab, 4000);
  assert.equal(corpus.tokenizer.size, 4000);
  const report = corpus.wordReport;
  assert.ok(report, 'a word report');
  assert.ok(report.uniqueTokens > 4000, `${report.uniqueTokens} unique words`);
  assert.ok(corpus.lineStarts!.length - 1 > 1000, `${corpus.lineStarts!.length - 1} sentences`);
  let unknown = 0;
  for (const id of corpus.ids) if (id === corpus.tokenizer.unknownId) unknown++;
  assert.ok(unknown > 100, `${unknown} unknown tokens`);
});

test('windows keeps TFLearn\'s 0.6 of the units (dropout is the probability of dropping one), in batches of 512', () => {
  const { config } = preset('windows');
  assert.equal(config.mode, 'windows');
  assert.equal(config.window, 20);
  assert.equal(config.windowStep, 2);
  assert.equal(1 - config.dropout, 0.6);
  assert.equal(config.batchSize, 512);
  assert.equal(config.temperature, 0.8);
});
