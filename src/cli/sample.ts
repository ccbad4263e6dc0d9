/** `rnn-lab sample` and `rnn-lab probs`: use a saved model (a checkpoint or Keras weights). */
import { parseArgs } from 'node:util';
import { nextSymbolsAfter } from '../engine/labs/nextSymbols';
import { generate } from '../engine/sample/generate';
import { appendContinuation } from '../engine/data/wordTokenizer';
import { asUsage, parseNumber, UsageError } from './args';
import { loadModelFromFlags, modelOptions, modelUsage, networkFor } from './model';
import { readingStepper } from '../engine/sample/windowStepper';
import type { LoadedModel } from '../engine/model/io/load';
import type { Network, Stepper } from '../engine/backends/types';

/** A batch-of-one stepper that reads the model as it was trained (a windows-mode checkpoint: its last window). */
function modelReader(model: LoadedModel, net: Network): Stepper {
  const stepper = net.createStepper(1);
  return model.checkpoint ? readingStepper(stepper, model.checkpoint.config) : stepper;
}

export const sampleUsage = `rnn-lab sample ${modelUsage} [--prime TEXT] [--length N (500)] [--sentences N (lines models: N sentences, each ending at the end symbol)] [--temperature T (0.8, 0 = greedy)] [--top-k K] [--min-length N (lines models: tokens before the end symbol may be drawn)] [--stop-word TEXT (stop after generating it)] [--seed N] [--json]`;
export const probsUsage = `rnn-lab probs ${modelUsage} --prefix TEXT [--top K (10)] [--start (read the start symbol first)] [--json]`;

export async function sampleCommand(argv: string[]): Promise<number> {
  const { values } = asUsage(() => parseArgs({
    args: argv,
    strict: true,
    options: {
      ...modelOptions, prime: { type: 'string' }, length: { type: 'string' }, sentences: { type: 'string' }, 'min-length': { type: 'string' }, 'stop-word': { type: 'string' }, temperature: { type: 'string' },
      'top-k': { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  }));
  if (values.help) {
    process.stdout.write(sampleUsage + '\n');
    return 0;
  }
  const sentences = parseNumber(values.sentences, 'sentences', true);
  const length = parseNumber(values.length, 'length', true) ?? (sentences ? 1000 * sentences : 500);
  const temperature = parseNumber(values.temperature, 'temperature') ?? 0.8;
  const topK = parseNumber(values['top-k'], 'top-k', true) ?? 0;
  const minSentenceLength = parseNumber(values['min-length'], 'min-length', true) ?? 0;
  if (minSentenceLength < 0) throw new UsageError('--min-length must not be negative');
  const stopWord = values['stop-word'] ?? '';
  const seed = parseNumber(values.seed, 'seed', true) ?? 1;
  if (length < 0 || temperature < 0 || topK < 0) throw new UsageError('--length, --temperature and --top-k must not be negative');
  if (sentences !== undefined && sentences < 1) throw new UsageError('--sentences must be at least 1');
  const prime = (values.prime) ?? '';
  const model = await loadModelFromFlags('sample', values);
  if (sentences !== undefined && model.tokenizer.endId < 0) throw new UsageError(`--sentences needs a model with an end symbol (trained in lines mode); ${model.path} has none`);
  const net = await networkFor(model, values.backend);
  const stepper = modelReader(model, net);
  const text = generate(stepper, model.tokenizer, { prime, length, temperature, seed, topK, minSentenceLength, stopWord, ...(sentences ? { sentences, stopAtEnd: true } : {}) });
  if (values.json) {
    const lines = sentences ? { sentences: text.split('\n').filter((s, i, all) => i < all.length - 1 || s !== '') } : {};
    process.stdout.write(JSON.stringify({ type: 'sample', prime, temperature, text, ...lines }) + '\n');
  } else {
    process.stdout.write(sentences ? text.replace(/\n?$/, '\n') : appendContinuation(model.tokenizer, prime, text) + '\n');
  }
  return 0;
}

export async function probsCommand(argv: string[]): Promise<number> {
  const { values } = asUsage(() => parseArgs({
    args: argv,
    strict: true,
    options: {
      ...modelOptions, prefix: { type: 'string' }, context: { type: 'string' }, top: { type: 'string' }, start: { type: 'boolean' },
      json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  }));
  if (values.help) {
    process.stdout.write(probsUsage + '\n');
    return 0;
  }
  // --context is the older name of --prefix.
  const prefix = values.prefix ?? values.context ?? '';
  const top = parseNumber(values.top, 'top', true) ?? 10;
  if (top < 1) throw new UsageError('--top must be at least 1');
  if (prefix === '' && !values.start) throw new UsageError('probs needs --prefix TEXT or --start (or both): an empty prefix gives the model nothing to read');
  const model = await loadModelFromFlags('probs', values);
  if (values.start && model.tokenizer.startId < 0) throw new UsageError(`--start needs a model with a start symbol (trained in lines mode); ${model.path} has none`);
  const net = await networkFor(model, values.backend);
  const result = nextSymbolsAfter(modelReader(model, net), model.tokenizer, prefix, { start: values.start ?? false, top });
  if (values.json) {
    process.stdout.write(JSON.stringify({ prefix, top: result.top, entropyBits: result.entropyBits }) + '\n');
  } else {
    for (const { symbol, p } of result.top) process.stdout.write(`${JSON.stringify(symbol).padEnd(8)} ${(100 * p).toFixed(2)}%\n`);
    process.stdout.write(`entropy ${result.entropyBits.toFixed(3)} bits\n`);
  }
  return 0;
}
