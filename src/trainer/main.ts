/**
 * The trainer process (dist/trainer.js), forked by the extension host for each run. It speaks only
 * the typed messages of src/protocol/messages.ts over the IPC channel, and it never outlives its
 * parent: when the channel closes, it exits.
 */
import { describeRejected, isMessageOf } from '../protocol/envelope';
import { hostToTrainerTypes, type HostToTrainer, type TrainerToHost } from '../protocol/trainer';
import { dirname } from 'node:path';
import { withValidationFile } from '../engine/data/validationFile';
import { corpusFromText, corpusOptions, createBackend, OpenedModel, prepareResume, readCorpusFromFile, TrainingRun, UserInputError } from '../engine';
import { createBackendFor } from '../engine/backends/select';
import { loadWeights } from '../engine/model/io/load';
import { Trainer, type TrainerEngine, type TrainerIo } from './trainer';

if (!process.send) {
  process.stderr.write('dist/trainer.js is started by the RNN Lab extension (child_process.fork); use dist/cli.js from a shell.\n');
  process.exit(2);
}

function envelope<K extends keyof TrainerToHost>(type: K, payload: TrainerToHost[K]) {
  return { type, payload };
}

const io: TrainerIo = {
  send(type, payload) {
    if (process.connected) process.send!(envelope(type, payload));
  },
  sendAndExit(type, payload, exitCode) {
    if (!process.connected) process.exit(exitCode);
    process.send!(envelope(type, payload), () => process.exit(exitCode));
  },
};

const engine: TrainerEngine = {
  readCorpus: async (source, config) => {
    const options = { ...corpusOptions(config), name: source.name };
    const corpus = source.kind === 'file' ? await readCorpusFromFile(source.path, options) : corpusFromText(source.text, options);
    // A relative validation file is found beside the training file.
    return withValidationFile(corpus, config, source.kind === 'file' ? dirname(source.path) : process.cwd());
  },
  createBackend: (config) => createBackend(config.backend, config.threads, (level, message) => io.send('log', { level, message })),
  createRun: (options) => new TrainingRun(options),
  prepareResume: async (checkpoint, overrides, moreSteps) => {
    const resumed = await prepareResume(checkpoint, overrides);
    // "N more steps" counts from the checkpoint's step; budgets count a run's total.
    const config = moreSteps ? { ...resumed.config, steps: resumed.checkpoint.step + moreSteps, epochs: 0, seconds: 0 } : resumed.config;
    return { sourceName: resumed.sourceName, sourcePath: resumed.sourcePath, text: resumed.corpus, config, resumeFrom: resumed.checkpoint, resumePath: checkpoint };
  },
  openModel: async ({ runId, path, backend: preference, threads, vocab, vocabText }) => {
    // A checkpoint, Keras weights or a PyTorch folder; the backend is chosen for the model (hard_sigmoid gates run on the TypeScript one).
    const loaded = await loadWeights(path, { vocab, vocabText });
    for (const note of loaded.notes) io.send('log', { level: 'warn', message: `${path}: ${note}` });
    const backend = await createBackendFor(loaded.spec, preference, threads, (level, message) => io.send('log', { level, message }));
    const model = OpenedModel.fromLoaded(loaded, backend);
    const c = model.checkpoint;
    return {
      model,
      opened: {
        path, kind: loaded.kind, started: model.describe(runId, backend), step: c.step, bestValLoss: Number.isFinite(c.bestValLoss) ? c.bestValLoss : null,
        trainHistory: c.trainHistory, valHistory: c.valHistory,
        sample: { text: model.sample(c.config.prime, c.config.sampleLength, c.config.temperature), prime: c.config.prime, temperature: c.config.temperature },
      },
    };
  },
  isUserInputError: (error) => error instanceof UserInputError,
};

const trainer = new Trainer(engine, io);

process.on('message', (raw: unknown) => {
  if (!isMessageOf<HostToTrainer>(raw, hostToTrainerTypes)) {
    io.send('log', { level: 'warn', message: `Ignored ${describeRejected(raw)}` });
    return;
  }
  trainer.handle(raw);
});
// No parent, no purpose: never leave an orphan computing in the background.
process.on('disconnect', () => process.exit(0));
// SIGTERM stops a run as Stop does (its last checkpoint is written); with no run, the process just ends.
process.on('SIGTERM', () => { if (!trainer.terminate()) process.exit(143); });
process.on('uncaughtException', (error) => trainer.crash(error));
process.on('unhandledRejection', (reason) => trainer.crash(reason));

io.send('ready', { pid: process.pid });
