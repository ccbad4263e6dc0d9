/**
 * `rnn-lab lab q1 | q4`: what the Lab's cards answer, from a terminal, through the same engine
 * functions. Q1: time per epoch and 10 epochs, from the training times the checkpoint recorded,
 * with the hardware of this machine. Q4: sentences with and without resetting the state between
 * them, and how far the carried state moves the first-symbol distribution.
 */
import { parseArgs } from 'node:util';
import { EpochClock, hardwareInfo, resetStateExperiment, type HardwareInfo, type TimingReport } from '../engine/labs';
import { createBackend } from '../engine/backends/select';
import { planData } from '../engine/data/batcher';
import { loadCheckpoint } from '../engine/model/io/checkpoint';
import { prepareResume } from '../engine/train/resume';
import { UserInputError } from '../engine/text/errors';
import { backendNames } from '../protocol/messages';
import { asUsage, oneLine, parseChoice, UsageError } from './args';
import { loadModelFromFlags, modelOptions, modelUsage, networkFor } from './model';

export const labUsage = `rnn-lab lab q1 --checkpoint FILE [TEXT_FILE] [--json]   time per epoch and 10 epochs (Lab card Q1), and this machine's hardware
rnn-lab lab q4 ${modelUsage} [--count N] [--temperature T] [--seed N] [--json]   sentences with and without reset_states (Lab card Q4)`;

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const seconds = (ms: number) => (ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`);

export async function labCommand(argv: string[]): Promise<number> {
  const [question, ...rest] = argv;
  if (question === undefined || question === '--help' || question === '-h') {
    process.stdout.write(labUsage + '\n');
    return question === undefined ? 2 : 0;
  }
  if (question === 'q1') return q1(rest);
  if (question === 'q4') return q4(rest);
  throw new UsageError(`unknown lab question "${question}"; rnn-lab lab answers q1 and q4`);
}

/**
 * The epoch clock of the Lab's Q1 card, fed the training times the checkpoint recorded. The steps
 * of an epoch come from the run's data plan, so the text it trained on is read again (the file it
 * records, or TEXT_FILE).
 */
async function q1(argv: string[]): Promise<number> {
  const { values, positionals } = asUsage(() => parseArgs({ args: argv, allowPositionals: true, strict: true, options: { checkpoint: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' } } }));
  if (!values.checkpoint) throw new UsageError('lab q1 needs --checkpoint FILE (an RNN Lab checkpoint: a Keras file records no training time)');
  if (positionals.length > 1) throw new UsageError(`lab q1 takes at most one TEXT_FILE (got ${positionals.length})`);
  const checkpoint = await loadCheckpoint(values.checkpoint);
  const timed = checkpoint.trainHistory.filter((p) => p.ms !== undefined);
  if (timed.length === 0) throw new UserInputError(`${values.checkpoint} records no training times (it was written by an older RNN Lab): train it again to time its epochs.`);
  const plan = await prepareResume(values.checkpoint, {}, positionals[0], checkpoint);
  const stepsPerEpoch = planData(plan.corpus, plan.config).train.batchesPerEpoch;
  const clock = new EpochClock(stepsPerEpoch);
  for (const point of timed) clock.observe({ step: point.step, elapsedMs: point.ms! });
  const backend = await createBackend(parseChoice(values.backend, 'backend', backendNames) ?? plan.config.backend, plan.config.threads, () => {});
  let hardware: HardwareInfo;
  try {
    hardware = hardwareInfo(backend.info);
  } finally {
    backend.dispose();
  }
  const timing = clock.report();
  if (values.json) {
    process.stdout.write(JSON.stringify({ timing, hardware, trainedWith: plan.config.backend }) + '\n');
    return 0;
  }
  printTiming(timing, hardware);
  return 0;
}

function printTiming(t: TimingReport, h: HardwareInfo): void {
  const print = (line: string) => process.stdout.write(line + '\n');
  print(`time per epoch: ${seconds(t.avgEpochMs)} (${t.basis === 'measured' ? `measured over ${t.measuredEpochs.length} epoch(s)` : `projected from ${int(t.stepsDone)} steps`}); 10 epochs: ${seconds(t.tenEpochsMs)}`);
  print(`${int(t.stepsPerEpoch)} steps per epoch, ${t.msPerStep.toFixed(1)} ms per step, ${t.epochsDone.toFixed(2)} epochs trained in ${seconds(t.elapsedMs)}`);
  print(`hardware: ${h.cpuModel}, ${h.cores} cores, ${(h.memoryBytes / 2 ** 30).toFixed(1)} GiB memory, ${h.os}, Node ${h.node}`);
  print(`backend here: ${h.backend}${h.gpu ? ` (GPU: ${h.gpu})` : ''}`);
}

async function q4(argv: string[]): Promise<number> {
  const { values } = asUsage(() => parseArgs({ args: argv, strict: true, options: {
    ...modelOptions, count: { type: 'string' }, temperature: { type: 'string' }, seed: { type: 'string' }, 'max-length': { type: 'string' }, json: { type: 'boolean' },
  } }));
  const number = (flag: 'count' | 'temperature' | 'seed' | 'max-length', fallback: number, min: number, max: number) => {
    const raw = values[flag];
    if (raw === undefined) return fallback;
    const x = Number(raw);
    if (!Number.isFinite(x) || x < min || x > max) throw new UsageError(`--${flag} must be a number from ${min} to ${max} (got "${raw}")`);
    return x;
  };
  const options = {
    count: Math.round(number('count', 5, 1, 20)), temperature: number('temperature', 0.8, 0, 2),
    maxLength: Math.round(number('max-length', 200, 1, 1000)), seed: Math.round(number('seed', 1, 0, 2 ** 31 - 1)),
  };
  const model = await loadModelFromFlags('lab q4', values);
  const net = await networkFor(model, values.backend);
  const answer = resetStateExperiment(net.createStepper(1), model.tokenizer, options);
  if (values.json) {
    process.stdout.write(JSON.stringify(answer) + '\n');
    return 0;
  }
  const print = (line: string) => process.stdout.write(line + '\n');
  for (const note of answer.notes) print(`note: ${note}`);
  print(`with reset_states() before each sentence (${answer.endedWith} of ${answer.withReset.length} reached the end symbol):`);
  answer.withReset.forEach((s, i) => print(`  ${i + 1}. ${oneLine(s, 160)}`));
  print(`without resets, one chain (${answer.endedWithout} of ${answer.withoutReset.length} reached the end symbol):`);
  answer.withoutReset.forEach((s, i) => print(`  ${i + 1}. ${oneLine(s, 160)}`));
  const top = (t: typeof answer.freshTop) => t.map((s) => `${JSON.stringify(s.symbol)} ${s.p.toFixed(2)}`).join(', ');
  print(`first symbol from a fresh state: ${top(answer.freshTop)}`);
  print('sentence  total variation  KL (bits)  state RMS  carried state\'s first symbols');
  for (const d of answer.drift) {
    print(`${String(d.sentence).padStart(8)}  ${d.totalVariation.toFixed(3).padStart(15)}  ${d.klBits.toFixed(3).padStart(9)}  ${d.stateRms.toFixed(3).padStart(9)}  ${top(d.top)}`);
  }
  return 0;
}
