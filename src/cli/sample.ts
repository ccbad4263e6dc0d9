/** `rnn-lab sample` and `rnn-lab probs`: use a saved checkpoint. */
import { parseArgs } from 'node:util';
import { createBackend } from '../engine/backends/select';
import type { Network } from '../engine/backends/types';
import { generate, nextSymbolDistribution } from '../engine/sample/generate';
import { loadCheckpoint, type Checkpoint } from '../engine/train/checkpoint';
import { parseChoice, parseNumber, UsageError } from './args';
import { backendNames } from '../protocol/messages';

export const sampleUsage = `rnn-lab sample --checkpoint FILE [--prime TEXT] [--length N (500)] [--temperature T (0.8, 0 = greedy)] [--top-k K] [--seed N] [--json]`;
export const probsUsage = `rnn-lab probs --checkpoint FILE --context TEXT [--top K (10)] [--json]`;


/** Runs a parser, turning its complaints into usage errors. */
function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function networkFor(checkpoint: Checkpoint, backendFlag: string | undefined): Promise<Network> {
  const backend = await createBackend(parseChoice(backendFlag, 'backend', backendNames) ?? 'auto', 1);
  const net = backend.createNetwork(checkpoint.spec);
  net.params.set(checkpoint.params);
  net.paramsChanged();
  return net;
}

export async function sampleCommand(argv: string[]): Promise<number> {
  const { values } = asUsage(() => parseArgs({
    args: argv,
    strict: true,
    options: {
      checkpoint: { type: 'string' }, prime: { type: 'string' }, length: { type: 'string' }, temperature: { type: 'string' },
      'top-k': { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  }));
  if (values.help) {
    process.stdout.write(sampleUsage + '\n');
    return 0;
  }
  if (!values.checkpoint) throw new UsageError('sample needs --checkpoint FILE');
  const length = parseNumber(values.length, 'length', true) ?? 500;
  const temperature = parseNumber(values.temperature, 'temperature') ?? 0.8;
  const topK = parseNumber(values['top-k'], 'top-k', true) ?? 0;
  const seed = parseNumber(values.seed, 'seed', true) ?? 1;
  if (length < 0 || temperature < 0 || topK < 0) throw new UsageError('--length, --temperature and --top-k must not be negative');
  const prime = (values.prime) ?? '';
  const checkpoint = await loadCheckpoint(values.checkpoint);
  const net = await networkFor(checkpoint, values.backend);
  const stepper = net.createStepper(1);
  const text = generate(stepper, checkpoint.tokenizer, { prime, length, temperature, seed, topK });
  if (values.json) process.stdout.write(JSON.stringify({ type: 'sample', prime, temperature, text }) + '\n');
  else process.stdout.write(prime + text + '\n');
  return 0;
}

export async function probsCommand(argv: string[]): Promise<number> {
  const { values } = asUsage(() => parseArgs({
    args: argv,
    strict: true,
    options: {
      checkpoint: { type: 'string' }, context: { type: 'string' }, top: { type: 'string' }, backend: { type: 'string' },
      json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  }));
  if (values.help) {
    process.stdout.write(probsUsage + '\n');
    return 0;
  }
  if (!values.checkpoint) throw new UsageError('probs needs --checkpoint FILE');
  const top = parseNumber(values.top, 'top', true) ?? 10;
  const checkpoint = await loadCheckpoint(values.checkpoint);
  const net = await networkFor(checkpoint, values.backend);
  const result = nextSymbolDistribution(net.createStepper(1), checkpoint.tokenizer, (values.context) ?? '', top);
  if (values.json) {
    process.stdout.write(JSON.stringify({ type: 'probs', ...result }) + '\n');
  } else {
    for (const { symbol, p } of result.probs) process.stdout.write(`${JSON.stringify(symbol).padEnd(8)} ${(100 * p).toFixed(2)}%\n`);
    process.stdout.write(`entropy ${result.entropyBits.toFixed(3)} bits\n`);
  }
  return 0;
}
