/**
 * `rnn-lab train FILE`: trains on a text file and reports each evaluation.
 * Everything is validated (flags, file, length) before any checkpoint folder is created.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { RunStarted, TrainConfig } from '../protocol/messages';
import { createBackend } from '../engine/backends/select';
import { readCorpusFromFile } from '../engine/data/corpus';
import { UserInputError } from '../engine/text/errors';
import { assertTrainable } from '../engine/data/validate';
import { renderSettingRefs, settingOf, validateConfig } from '../engine/config';
import type { Corpus } from '../engine/data/corpus';
import { loadCheckpoint, readCheckpointSummary, usableParams, type Checkpoint } from '../engine/model/io/checkpoint';
import { hiddenSizeText } from '../engine/model/spec';
import { modelSettings, prepareInitFrom, prepareResume, resumeSettings } from '../engine/train/resume';
import { assertReadableFile } from '../engine/text/file';
import { corpusOptions } from '../engine/train/options';
import { withValidationFile } from '../engine/data/validationFile';
import { TrainingRun } from '../engine/train/run';
import { asUsage, oneLine, UsageError, parseFlags } from './args';
import { changedSettingFlags, configFromFlags, flagsFromConfig, settingOptions, settingsUsage } from './settingsFlags';
import { findPreset, presetConfig, presets } from '../engine/config/presets';
import { shellJoin } from '../engine/config/flags';
import { bundledSample } from './samples';


export const trainUsage = `rnn-lab train FILE [options]
rnn-lab train --preset NAME [FILE] [options]
  Preset:
    --preset NAME                 Start from a preset (rnn-lab presets lists them); other options override it.
                                  Without FILE, a preset trains on its bundled text.
${settingsUsage()}
  Checkpoints:
    --resume CKPT                 Continue the run of a checkpoint where it stopped, on the same text (FILE, or
                                  the file it records), with its settings; --steps / --epochs count the total
    --init-from CKPT              Start a new run from a checkpoint's weights (its model and vocabulary settings)
  Output:
    --checkpoint-dir DIR          Where checkpoints go (default .rnnlab): a folder per run in runs/<file>/, and
                                  <file>-best.rnnlab, the file's best model (only a better one replaces it)
    --no-checkpoint               Write no checkpoint
    --json                        One JSON object per line`;

/** Shorter than trainUsage, for `rnn-lab --help`. */
export const trainSummary = `rnn-lab train FILE [options]   train on a text file (every option and its default: rnn-lab train --help)`;

const options = {
  ...settingOptions,
  preset: { type: 'string' },
  resume: { type: 'string' },
  'init-from': { type: 'string' },
  'checkpoint-dir': { type: 'string' },
  'no-checkpoint': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function trainCommand(argv: string[]): Promise<number> {
  const parsed = asUsage(() => parseFlags({ args: argv, options, allowPositionals: true, strict: true }));
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(trainUsage + '\n');
    return 0;
  }
  if (values.resume !== undefined && (values['init-from'] !== undefined || values.preset !== undefined)) {
    throw new UsageError('--resume continues a run with its own settings: it cannot be combined with --init-from or --preset');
  }
  const preset = values.preset === undefined ? undefined : findPreset(values.preset);
  if (values.preset !== undefined && !preset) {
    throw new UsageError(`unknown preset "${values.preset}"; choose one of ${presets.map((p) => p.name).join(', ')} (rnn-lab presets describes them)`);
  }
  if (positionals.length > 1) throw new UsageError(`train takes one FILE (got ${positionals.length})`);
  if (positionals.length === 0 && !preset?.corpus && values.resume === undefined) throw new UsageError('train needs a FILE to train on');
  if (values['no-checkpoint'] && values['checkpoint-dir'] !== undefined) throw new UsageError('--checkpoint-dir and --no-checkpoint contradict each other');
  const json = values.json ?? false;
  const checkpointDir = values['no-checkpoint'] ? undefined : resolve(values['checkpoint-dir'] ?? '.rnnlab');

  let config: TrainConfig;
  let corpus: Corpus;
  let file: string;
  let resumeFrom: Checkpoint | undefined;
  let initialParams: ArrayLike<number> | undefined;
  if (values.resume !== undefined) {
    // Only the budget, reporting and compute may change; the rest is the checkpoint's run.
    const allowed = new Set<string>(resumeSettings.map((k) => settingOf(k).flag));
    await assertReadableFile(values.resume, '--resume', Infinity);
    const checkpoint = await loadCheckpoint(values.resume);
    // A flag that repeats the checkpoint's own value changes nothing, so it is accepted.
    const changed = changedSettingFlags(values, checkpoint.config).filter((flag) => !allowed.has(flag));
    if (changed.length) {
      throw new UsageError(`--resume continues a run with its own settings; --${changed[0]} cannot change them (only ${[...allowed].map((f) => `--${f}`).join(', ')} can)`);
    }
    const given = configFromFlags(values, checkpoint.config);
    const overrides = Object.fromEntries(resumeSettings.map((k) => [k, given[k]]));
    const plan = await prepareResume(values.resume, overrides, positionals[0] === undefined ? undefined : resolve(positionals[0]), checkpoint);
    ({ config, corpus } = plan);
    file = plan.sourcePath;
    resumeFrom = plan.checkpoint;
    asUsage(() => validateConfig(config));
    if (config.steps > 0 && config.steps <= plan.checkpoint.step && config.epochs === 0 && config.seconds === 0) {
      throw new UsageError(`${values.resume} is at step ${plan.checkpoint.step} already: --steps counts the run's total, so give more than ${plan.checkpoint.step}`);
    }
  } else {
    config = configFromFlags(values, preset ? presetConfig(preset) : undefined);
    // The run records where its validation file is, so a resume finds it from anywhere.
    if (config.valFile) config = { ...config, valFile: resolve(config.valFile) };
    // A bad value is a malformed command line (exit code 2); the message names the flag.
    asUsage(() => validateConfig(config));
    file = positionals[0] ?? bundledSample(preset!.corpus!);
    if (values['init-from'] !== undefined) {
      await assertReadableFile(values['init-from'], '--init-from', Infinity);
      // The model and its vocabulary are the checkpoint's: a flag asking for another one is refused, not ignored.
      const fixed = new Set<string>(modelSettings.map((k) => settingOf(k).flag));
      const changed = changedSettingFlags(values, (await readCheckpointSummary(values['init-from'])).config).filter((flag) => fixed.has(flag));
      if (changed.length) {
        throw new UsageError(`--init-from starts from the checkpoint's model and vocabulary; --${changed[0]} cannot change them (drop it, or train from scratch without --init-from)`);
      }
      const plan = await prepareInitFrom(values['init-from'], config, file);
      ({ config, corpus } = plan);
      initialParams = usableParams(plan.checkpoint);
    } else {
      corpus = await readCorpusFromFile(file, corpusOptions(config));
    }
    corpus = await withValidationFile(corpus, config, process.cwd());
  }
  assertTrainable(corpus, config);
  // Why the GPU was not used is printed once: in full here (with what to do), so not again in the banner.
  const backend = await createBackend(config.backend, config.threads, (level, message) => process.stderr.write(`rnn-lab: ${level}: ${message}\n`));
  // Input and backend are good: now the folder may be made. A folder that cannot be is a clear error before any training.
  if (checkpointDir) {
    await mkdir(checkpointDir, { recursive: true }).catch((error: Error) => {
      throw new UserInputError(`cannot create the checkpoint folder ${checkpointDir}: ${error.message}. Give another --checkpoint-dir or --no-checkpoint.`);
    });
  }
  const print = (line: string) => process.stdout.write(line + '\n');
  let baselineNats = NaN;
  // The global gradient norm (before clipping) of the latest step, for the JSON evaluation lines.
  let lastGradNorm: number | null = null;
  const unit = config.tokens === 'word' ? 'bits/word' : 'bits/char';
  const run = new TrainingRun({
    runId: `cli-${process.pid}`,
    sourceName: corpus.name,
    sourcePath: resolve(file),
    text: corpus,
    config,
    backend,
    checkpointDir,
    resumeFrom,
    resumePath: values.resume === undefined ? undefined : resolve(values.resume),
    initialParams,
    events: {
      started: (info: RunStarted) => {
        baselineNats = info.baselineNats;
        if (json) {
          print(JSON.stringify({
            type: 'started', backend: info.backend.name, backendDescription: info.backend.description, threads: info.backend.threads,
            corpusChars: corpus.charCount, trainChars: info.trainChars, valChars: info.valChars, vocabSize: info.vocabSize,
            params: info.paramCount, baselineBitsPerChar: info.baselineNats / Math.LN2, totalSteps: info.totalSteps,
            stepsPerEpoch: info.stepsPerEpoch, startStep: info.startStep ?? 0, data: info.dataDescription, checkpointDir: checkpointDir ?? null, runDir: info.runDir ?? null, config: info.config,
          }));
        } else {
          // The description already says the thread count when the backend has threads ("…, 2 threads").
          const { fallbackNote } = info.backend;
          const description = fallbackNote ? info.backend.description.replace(` (${fallbackNote})`, '') : info.backend.description;
          const threads = /\bthreads?\b/.test(description) ? '' : ` (threads ${info.backend.threads})`;
          print(`backend ${description}${threads}; ${corpus.name}: ${corpus.charCount.toLocaleString('en-US')} chars ` +
            `(${info.trainChars.toLocaleString('en-US')} train, ${info.valChars.toLocaleString('en-US')} val${config.tokens === 'word' ? ' words' : ''}), vocab ${info.vocabSize}, ` +
            `params ${info.paramCount.toLocaleString('en-US')}, ${config.cell} ${config.layers}x${hiddenSizeText(config)}; uniform guess ${(info.baselineNats / Math.LN2).toFixed(2)} ${unit}` +
            (info.startStep ? `; resuming at step ${info.startStep}` : ''));
        }
      },
      step: (m) => {
        lastGradNorm = m.gradNorm;
      },
      eval: (e) => {
        if (json) {
          print(JSON.stringify({
            type: 'eval', step: e.step, epoch: e.epoch, loss: Number.isFinite(e.trainLoss) ? e.trainLoss : null, valLoss: e.valLoss, valBitsPerChar: e.valBitsPerChar,
            valBitsPerToken: e.valBitsPerToken, valPerplexity: e.valPerplexity,
            ...(e.valLossPerSentence !== undefined ? { valLossPerSentence: e.valLossPerSentence } : {}),
            bestValLoss: e.bestValLoss, bestStep: e.bestStep, learningRate: e.learningRate, gradNorm: lastGradNorm,
            ...(e.step === 0 ? { baselineLoss: baselineNats } : {}),
            charsPerSec: e.charsPerSec, elapsedMs: e.elapsedMs, isBest: e.isBest, temperature: e.temperature, prime: e.prime, sample: e.sample,
          }));
        } else if (e.step === 0) {
          // Before any update: the loss of the initial weights beside that of a uniform guess, ln V (seed 003).
          print(`step 0  val ${e.valBitsPerChar.toFixed(3)} ${unit} (${e.valLoss.toFixed(3)} nats) before training; uniform guess ln V = ${baselineNats.toFixed(3)} nats` +
            (e.valLossPerSentence !== undefined ? `; ${e.valLossPerSentence.toFixed(2)} nats per sentence` : ''));
        } else {
          // Training and validation loss in the same unit (bits per symbol); the training loss is the smoothed one.
          const best = !e.isBest && e.bestValLoss !== undefined ? ` (best ${(e.bestValLoss / Math.LN2).toFixed(3)} at step ${e.bestStep})` : '';
          const perSentence = e.valLossPerSentence !== undefined ? `  ${e.valLossPerSentence.toFixed(2)} nats/sentence` : '';
          print(`step ${e.step}  train ${(e.trainLoss / Math.LN2).toFixed(3)}  val ${e.valBitsPerChar.toFixed(3)} ${unit}${e.isBest ? '*' : ' '}${best}${perSentence}  ` +
            `${Math.round(e.charsPerSec).toLocaleString('en-US')} ${unit === 'bits/word' ? 'words' : 'chars'}/s  sample: ${oneLine(e.prime + e.sample, 120)}`);
        }
      },
      log: (level, message) => {
        if (!json || level !== 'info') process.stderr.write(`rnn-lab: ${level}: ${renderSettingRefs(message, 'cli')}\n`);
      },
    },
  });
  // Copied into the run: a large model's checkpoint (weights, best weights, Adam's state) is not held while it trains.
  resumeFrom = undefined;
  initialParams = undefined;
  // SIGTERM (kill, a service manager) ends the run as Ctrl+C does: its last checkpoint is written.
  const stop = () => run.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const finished = await run.run();
    const message = renderSettingRefs(finished.message, 'cli');
    if (json) {
      print(JSON.stringify({
        type: 'finished', reason: finished.reason, message, step: finished.step, bestValLoss: Number.isFinite(finished.bestValLoss) ? finished.bestValLoss : null,
        bestStep: finished.bestStep ?? -1, checkpoint: finished.checkpointPath ?? null, runDir: finished.runDir ?? null, bestPath: finished.bestPath ?? null,
      }));
    }
    // A checkpoint that could not be written fails the run: one line, what was lost and where the last good one is.
    if (finished.checkpointFailed) {
      if (!json) process.stderr.write(`rnn-lab: error: ${message}\n`);
      return 1;
    }
    if (finished.reason === 'diverged') return 1;
    if (!json) {
      print(message + (finished.checkpointPath ? ` Checkpoint: ${finished.checkpointPath}` : ''));
      if (finished.runDir) print(`Run folder: ${finished.runDir}` + (finished.bestPath ? `; best model of ${corpus.name}: ${finished.bestPath}` : ''));
    }
    return 0;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    backend.dispose();
  }
}

export const presetsUsage = 'rnn-lab presets [--json]   list the presets (rnn-lab train --preset NAME [FILE])';

/** `rnn-lab presets`: each preset's name, what it sets up, its bundled text and the flags it amounts to. */
export function presetsCommand(argv: string[]): number {
  const json = argv.includes('--json');
  const unknown = argv.find((a) => a !== '--json');
  if (unknown !== undefined) throw new UsageError(`presets takes no argument but --json (got "${unknown}")`);
  for (const p of presets) {
    const flags = flagsFromConfig(presetConfig(p));
    if (json) process.stdout.write(JSON.stringify({ name: p.name, title: p.title, corpus: p.corpus ?? null, config: p.config, flags }) + '\n');
    else process.stdout.write(`${p.name}\n  ${p.title}\n  text: ${p.corpus ? `samples/${p.corpus}` : 'give a FILE'}\n  flags: ${shellJoin(flags)}\n`);
  }
  return 0;
}
