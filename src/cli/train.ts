/**
 * `rnn-lab train FILE`: trains on a text file and reports each evaluation.
 * Everything is validated (flags, file, length) before any checkpoint folder is created.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { backendNames, cellTypes, defaultTrainConfig, optimizerNames, type RunStarted, type TrainConfig } from '../protocol/messages';
import { createBackend } from '../engine/backends/select';
import { readCorpusFromFile } from '../engine/text/corpus';
import { UserInputError } from '../engine/text/errors';
import { assertTrainable } from '../engine/text/validate';
import { validateConfig } from '../engine/train/config';
import { TrainingRun } from '../engine/train/run';
import { oneLine, parseChoice, parseNumber, UsageError } from './args';


export const trainUsage = `rnn-lab train FILE [options]
  Budget (first reached wins; default ${defaultTrainConfig.steps} steps):
    --steps N  --epochs N  --seconds S
  Model:      --cell lstm|gru|rnn (lstm)  --layers N (${defaultTrainConfig.layers})  --hidden N (${defaultTrainConfig.hiddenSize})
              --embedding N (0 = one-hot)  --dropout P (0)
  Training:   --batch N (${defaultTrainConfig.batchSize})  --seq N (${defaultTrainConfig.seqLength})  --lr X (${defaultTrainConfig.learningRate})
              --optimizer adam|sgd|momentum|rmsprop|adagrad|adadelta (adam)  --clip X (${defaultTrainConfig.clipNorm}, 0 = off)
              --val-fraction X (${defaultTrainConfig.valFraction})  --seed N (${defaultTrainConfig.seed})  --max-vocab N (${defaultTrainConfig.maxVocab})
  Reporting:  --eval-interval N (${defaultTrainConfig.evalInterval})  --sample-length N (${defaultTrainConfig.sampleLength})
              --temperature T (${defaultTrainConfig.temperature}, 0 = greedy)  --prime TEXT
  Engine:     --backend auto|wasm|js|reference|tfjs (auto)  --threads N (0 = all cores)
  Output:     --checkpoint-dir DIR (.rnnlab)  --no-checkpoint  --json (one JSON object per line)`;

const options = {
  steps: { type: 'string' },
  epochs: { type: 'string' },
  seconds: { type: 'string' },
  cell: { type: 'string' },
  layers: { type: 'string' },
  hidden: { type: 'string' },
  embedding: { type: 'string' },
  dropout: { type: 'string' },
  batch: { type: 'string' },
  seq: { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  clip: { type: 'string' },
  'val-fraction': { type: 'string' },
  seed: { type: 'string' },
  'max-vocab': { type: 'string' },
  'eval-interval': { type: 'string' },
  'sample-length': { type: 'string' },
  temperature: { type: 'string' },
  prime: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  'checkpoint-dir': { type: 'string' },
  'no-checkpoint': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

export function configFromFlags(v: Values): TrainConfig {
  const int = (key: keyof Values, flag = key) => parseNumber(v[key] as string | undefined, flag, true);
  const num = (key: keyof Values, flag = key) => parseNumber(v[key] as string | undefined, flag);
  const steps = int('steps');
  const epochs = int('epochs');
  const seconds = num('seconds');
  const anyBudget = steps !== undefined || epochs !== undefined || seconds !== undefined;
  const c: TrainConfig = { ...defaultTrainConfig };
  // Naming any budget replaces the default step budget.
  if (anyBudget) {
    c.steps = steps ?? 0;
    c.epochs = epochs ?? 0;
    c.seconds = seconds ?? 0;
  }
  c.cell = parseChoice(v.cell, 'cell', cellTypes) ?? c.cell;
  c.layers = int('layers') ?? c.layers;
  c.hiddenSize = int('hidden') ?? c.hiddenSize;
  c.embeddingSize = int('embedding') ?? c.embeddingSize;
  c.dropout = num('dropout') ?? c.dropout;
  c.batchSize = int('batch') ?? c.batchSize;
  c.seqLength = int('seq') ?? c.seqLength;
  c.learningRate = num('lr') ?? c.learningRate;
  c.optimizer = parseChoice(v.optimizer, 'optimizer', optimizerNames) ?? c.optimizer;
  c.clipNorm = num('clip') ?? c.clipNorm;
  c.valFraction = num('val-fraction') ?? c.valFraction;
  c.seed = int('seed') ?? c.seed;
  c.maxVocab = int('max-vocab') ?? c.maxVocab;
  c.evalInterval = int('eval-interval') ?? c.evalInterval;
  c.sampleLength = int('sample-length') ?? c.sampleLength;
  c.temperature = num('temperature') ?? c.temperature;
  c.prime = v.prime ?? c.prime;
  c.backend = parseChoice(v.backend, 'backend', backendNames) ?? c.backend;
  c.threads = int('threads') ?? c.threads;
  if (c.steps === 0 && c.epochs === 0 && c.seconds === 0) throw new UsageError('give a positive --steps, --epochs or --seconds');
  return c;
}

export async function trainCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(trainUsage + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length ? `train takes one FILE (got ${positionals.length})` : 'train needs a FILE to train on');
  if (values['no-checkpoint'] && values['checkpoint-dir'] !== undefined) throw new UsageError('--checkpoint-dir and --no-checkpoint contradict each other');
  const config = configFromFlags(values);
  try {
    validateConfig(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const file = positionals[0];
  const json = values.json ?? false;
  const checkpointDir = values['no-checkpoint'] ? undefined : resolve(values['checkpoint-dir'] ?? '.rnnlab');
  const corpus = await readCorpusFromFile(file, { maxVocab: config.maxVocab });
  assertTrainable(corpus, config);
  const backend = await createBackend(config.backend, config.threads, (level, message) => process.stderr.write(`rnn-lab: ${level}: ${message}\n`));
  // Input and backend are good: now the folder may be made. A folder that cannot be is a clear error before any training.
  if (checkpointDir) {
    await mkdir(checkpointDir, { recursive: true }).catch((error: Error) => {
      throw new UserInputError(`cannot create the checkpoint folder ${checkpointDir}: ${error.message}. Give another --checkpoint-dir or --no-checkpoint.`);
    });
  }
  const print = (line: string) => process.stdout.write(line + '\n');
  const run = new TrainingRun({
    runId: `cli-${process.pid}`,
    sourceName: corpus.name,
    text: corpus,
    config,
    backend,
    checkpointDir,
    events: {
      started: (info: RunStarted) => {
        if (json) {
          print(JSON.stringify({
            type: 'started', backend: info.backend.name, backendDescription: info.backend.description, threads: info.backend.threads,
            corpusChars: corpus.charCount, trainChars: info.trainChars, valChars: info.valChars, vocabSize: info.vocabSize,
            params: info.paramCount, baselineBitsPerChar: info.baselineNats / Math.LN2, totalSteps: info.totalSteps,
            stepsPerEpoch: info.stepsPerEpoch, checkpointDir: checkpointDir ?? null, config: info.config,
          }));
        } else {
          print(`backend ${info.backend.description} (threads ${info.backend.threads}); ${corpus.name}: ${corpus.charCount.toLocaleString('en-US')} chars ` +
            `(${info.trainChars.toLocaleString('en-US')} train, ${info.valChars.toLocaleString('en-US')} val), vocab ${info.vocabSize}, ` +
            `params ${info.paramCount.toLocaleString('en-US')}, ${config.cell} ${config.layers}x${config.hiddenSize}; uniform guess ${(info.baselineNats / Math.LN2).toFixed(2)} bits/char`);
        }
      },
      eval: (e) => {
        if (json) {
          print(JSON.stringify({
            type: 'eval', step: e.step, epoch: e.epoch, loss: e.trainLoss, valLoss: e.valLoss, valBitsPerChar: e.valBitsPerChar,
            charsPerSec: e.charsPerSec, elapsedMs: e.elapsedMs, isBest: e.isBest, temperature: e.temperature, prime: e.prime, sample: e.sample,
          }));
        } else {
          print(`step ${e.step}  loss ${e.trainLoss.toFixed(3)}  val ${e.valBitsPerChar.toFixed(3)} bits/char${e.isBest ? '*' : ' '}  ` +
            `${Math.round(e.charsPerSec).toLocaleString('en-US')} chars/s  sample: ${oneLine(e.prime + e.sample, 120)}`);
        }
      },
      log: (level, message) => {
        if (!json || level !== 'info') process.stderr.write(`rnn-lab: ${level}: ${message}\n`);
      },
    },
  });
  const stop = () => run.stop();
  process.once('SIGINT', stop);
  try {
    const finished = await run.run();
    if (finished.reason === 'diverged') return 1;
    if (!json) {
      print(`${finished.message} best val ${(finished.bestValLoss / Math.LN2).toFixed(3)} bits/char` +
        (finished.checkpointPath ? `; checkpoint ${finished.checkpointPath}` : ''));
    }
    return 0;
  } finally {
    process.removeListener('SIGINT', stop);
    backend.dispose();
  }
}
