/**
 * Presets: the set-ups of the tutorials RNN Lab grows out of, as partial configs over the defaults.
 * `rnn-lab train --preset NAME` and "RNN Lab: New training run…" apply them; flags and settings
 * the user gives explicitly override a preset. A preset with a `corpus` trains on that bundled
 * sample (samples/) when no file is given.
 */
import { defaultTrainConfig, type TrainConfig } from './settings';

export interface Preset {
  /** What `--preset` takes. */
  name: string;
  /** What the picker shows: the set-up and where it comes from. */
  title: string;
  /** The bundled text (a file name in samples/) it trains on when no file is given. */
  corpus?: string;
  config: Partial<TrainConfig>;
}

/** Seed 004 trains 10 epochs over 10,000 captions in batches of 128: 10 × ⌈10000 / 128⌉ updates. */
export const CAPTIONS_SEED_UPDATES = 10 * Math.ceil(10000 / 128);

export const presets: readonly Preset[] = [
  {
    name: 'captions',
    title: 'Captions, as in the Keras lab (seed 004): lines mode, S/E, LSTM 128 + Dense 128, RMSprop 0.001, batch 128',
    corpus: 'captions.txt',
    config: {
      mode: 'lines', tokens: 'char', vocabOrder: 'first', cell: 'lstm', hiddenSize: 128, layers: 1, hiddenDense: 128, hiddenActivation: 'relu',
      // Budgeted by the seed's number of updates (10 epochs of 10,000 captions in batches of 128 = 790), not by epochs:
      // the bundled text is ~900 captions, so the seed's epochs over it would be 70 updates, too few to learn anything.
      init: 'orthogonal', optimizer: 'rmsprop', learningRate: 0.001, batchSize: 128, clipNorm: 0, steps: CAPTIONS_SEED_UPDATES, epochs: 0,
      evalInterval: 50, sampleLength: 100,
    },
  },
  {
    name: 'nonsense-words',
    title: 'Nonsense words (seed 001): words, embedding 10, RNN 10, Adadelta, greedy until \'.\'',
    corpus: 'nonsense.txt',
    config: {
      tokens: 'word', mode: 'lines', embeddingSize: 10, cell: 'rnn', hiddenSize: 10, layers: 1, optimizer: 'adadelta', learningRate: 1,
      batchSize: 32, steps: 600, evalInterval: 50, temperature: 0, stopWord: '.', sampleLength: 200, maxVocab: 4000,
    },
  },
  {
    name: 'reddit-words',
    title: 'Reddit-style words (seed 003): vocabulary 4000, SENTENCE_START/END, RNN 100, SGD halving on rises, truncated BPTT 4',
    corpus: 'fortunes.txt',
    config: {
      tokens: 'word', lowercase: true, maxVocab: 4000, mode: 'lines', cell: 'rnn', hiddenSize: 100, init: 'uniform', optimizer: 'sgd',
      // Seed 003 steps 0.005 along gradients summed over a sentence's ~20 words; the loss here is a mean per word.
      learningRate: 0.1, halveOnRise: true, bpttTruncate: 4, batchSize: 16, steps: 600, evalInterval: 50, sampleLength: 30,
    },
  },
  {
    name: 'windows',
    title: 'Semi-redundant windows (TFLearn, seed 003): maxlen 20, step 2, LSTM 128 then 512, dropout 0.4 (TFLearn\'s keep 0.6), Adam 0.001, clip 5, batch 512, T 0.8 (and 0.3)',
    corpus: 'prose.txt',
    config: {
      // TFLearn's dropout(g, 0.6) keeps 0.6 of the units; `dropout` here is the probability of dropping one.
      mode: 'windows', window: 20, windowStep: 2, cell: 'lstm', hiddenSize: [128, 512], layers: 2, dropout: 0.4, optimizer: 'adam', learningRate: 0.001,
      clipNorm: 5, batchSize: 512, steps: 500, evalInterval: 50, temperature: 0.8, sampleLength: 600,
    },
  },
  {
    name: 'theano-lines',
    title: 'Sentences per line, as in the Theano lab (seed 000): lines, lowercase, LSTM 50, gaussian init 0.005, zero biases, SGD 0.1 on the summed loss',
    corpus: 'sentences.txt',
    config: {
      mode: 'lines', lowercase: true, cell: 'lstm', hiddenSize: 50, init: 'gaussian', initScale: 0.005, forgetBias: 0, optimizer: 'sgd',
      // Seed 000 steps 0.1 along the cross-entropy summed over each sentence's characters; the loss here is a mean per
      // character, so the same step is 0.1 × the 107 symbols a line of the bundled text predicts on average.
      learningRate: 10.7,
      // The seed writes 450 characters after the prime, whatever sentence ends it draws on the way.
      batchSize: 100, clipNorm: 0, steps: 600, evalInterval: 40, prime: 'the meaning of life is ', sampleLength: 450, stopAtEnd: false,
    },
  },
];

export function findPreset(name: string): Preset | undefined {
  return presets.find((p) => p.name === name);
}

/** The preset over the defaults (or over `base`). */
export function presetConfig(preset: Preset, base: TrainConfig = defaultTrainConfig): TrainConfig {
  return { ...base, ...preset.config };
}
