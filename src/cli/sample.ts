/** `rnn-lab sample` and `rnn-lab probs`: use a saved model (a checkpoint or Keras weights). */
import { nextSymbolsAfter } from '../engine/labs/nextSymbols';
import { generate } from '../engine/sample/generate';
import { appendContinuation } from '../engine/data/wordTokenizer';
import { settingOf, type NumberSetting } from '../engine/config';
import { assertReadableFile } from '../engine/text/file';
import { readTextChunks } from '../engine/text/read';
import { asUsage, parseNumber, UsageError, parseFlags } from './args';
import { loadModelFromFlags, modelOptions, modelUsage, networkFor } from './model';
import { readingStepper } from '../engine/sample/windowStepper';
import type { LoadedModel } from '../engine/model/io/load';
import type { Network, Stepper } from '../engine/backends/types';

/** A batch-of-one stepper that reads the model as it was trained (a windows-mode checkpoint: its last window). */
function modelReader(model: LoadedModel, net: Network): Stepper {
  const stepper = net.createStepper(1);
  return model.checkpoint ? readingStepper(stepper, model.checkpoint.config) : stepper;
}

/** The most tokens one sample draws: the cap of training's samples (the sampleLength setting). */
const MAX_SAMPLE_LENGTH = (settingOf('sampleLength') as NumberSetting).maximum;
/** A prime is read into one string: keep it to what a model sensibly reads first. */
const MAX_PRIME_FILE_BYTES = 16 * 1024 * 1024;

export const sampleUsage = `rnn-lab sample ${modelUsage} [--prime TEXT | --prime-file FILE] [--length N (500, at most ${MAX_SAMPLE_LENGTH.toLocaleString('en-US')})] [--sentences N (lines models: N sentences, each ending at the end symbol)] [--temperature T (0.8, 0 = greedy)] [--top-k K] [--min-length N (lines models: tokens before the end symbol may be drawn)] [--stop-word TEXT (stop after generating it)] [--seed N] [--json]`;
export const probsUsage = `rnn-lab probs ${modelUsage} --prefix TEXT [--top K (10)] [--start (read the start symbol first)] [--json]`;

export async function sampleCommand(argv: string[]): Promise<number> {
  const { values } = asUsage(() => parseFlags({
    args: argv,
    strict: true,
    options: {
      ...modelOptions, prime: { type: 'string' }, 'prime-file': { type: 'string' }, length: { type: 'string' }, sentences: { type: 'string' }, 'min-length': { type: 'string' }, 'stop-word': { type: 'string' }, temperature: { type: 'string' },
      'top-k': { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  }));
  if (values.help) {
    process.stdout.write(sampleUsage + '\n');
    return 0;
  }
  const sentences = parseNumber(values.sentences, 'sentences', true);
  const length = parseNumber(values.length, 'length', true) ?? (sentences ? Math.min(1000 * sentences, MAX_SAMPLE_LENGTH) : 500);
  const temperature = parseNumber(values.temperature, 'temperature') ?? 0.8;
  const topK = parseNumber(values['top-k'], 'top-k', true) ?? 0;
  const minSentenceLength = parseNumber(values['min-length'], 'min-length', true) ?? 0;
  if (minSentenceLength < 0) throw new UsageError('--min-length must not be negative');
  const stopWord = values['stop-word'] ?? '';
  const seed = parseNumber(values.seed, 'seed', true) ?? 1;
  if (length < 0 || temperature < 0 || topK < 0) throw new UsageError('--length, --temperature and --top-k must not be negative');
  if (length > MAX_SAMPLE_LENGTH) throw new UsageError(`--length must be at most ${MAX_SAMPLE_LENGTH.toLocaleString('en-US')} (got ${values.length ?? length}); for more text, sample again with another --seed`);
  if (sentences !== undefined && sentences < 1) throw new UsageError('--sentences must be at least 1');
  if (values.prime !== undefined && values['prime-file'] !== undefined) throw new UsageError('give --prime or --prime-file, not both');
  const prime = values['prime-file'] !== undefined ? await readPrimeFile(values['prime-file']) : values.prime ?? '';
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

async function readPrimeFile(path: string): Promise<string> {
  await assertReadableFile(path, '--prime-file', MAX_PRIME_FILE_BYTES);
  let text = '';
  await readTextChunks(path, (chunk) => {
    text += chunk;
  });
  return text;
}

export async function probsCommand(argv: string[]): Promise<number> {
  const { values } = asUsage(() => parseFlags({
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
