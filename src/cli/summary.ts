/**
 * `rnn-lab summary`: a model's layers, output shapes and parameter counts as Keras'
 * `model.summary()` prints them, for a checkpoint, a Keras weights file, or a fresh model described
 * by train's flags (with the text FILE, or --vocab-size N, giving the vocabulary).
 */
import { parseArgs } from 'node:util';
import { readCorpusFromFile } from '../engine/data/corpus';
import { formatSummary, modelSummary } from '../engine/model/summary';
import type { ModelSpec } from '../engine/model/spec';
import { specFromConfig, validateConfig } from '../engine/train/config';
import { corpusOptions } from '../engine/train/options';
import { asUsage, UsageError } from './args';
import { loadModelFromFlags, modelOptions, modelUsage } from './model';
import { configFromFlags, settingOptions } from './settingsFlags';

export const summaryUsage = `rnn-lab summary ${modelUsage} [--json]
rnn-lab summary (FILE | --vocab-size N) [train's model flags: --cell --hidden --layers --embedding --hidden-dense ...] [--json]
    the model's layers, output shapes and parameter counts, and the total, as Keras' model.summary()`;

export async function summaryCommand(argv: string[]): Promise<number> {
  const options = { ...settingOptions, ...modelOptions, 'vocab-size': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
  const { values, positionals } = asUsage(() => parseArgs({ args: argv, options, allowPositionals: true, strict: true }));
  if (values.help) {
    process.stdout.write(summaryUsage + '\n');
    return 0;
  }
  let spec: ModelSpec;
  let title: string;
  if (values.checkpoint !== undefined || values['keras-weights'] !== undefined || values['pytorch-weights'] !== undefined) {
    if (positionals.length > 0) throw new UsageError('summary takes a FILE only for a fresh model, not with --checkpoint, --pytorch-weights or --keras-weights');
    const model = await loadModelFromFlags('summary', values);
    spec = model.spec;
    title = model.path;
  } else {
    const config = configFromFlags(values as Record<string, string | boolean | undefined>);
    asUsage(() => validateConfig(config));
    if (positionals.length > 1) throw new UsageError(`summary takes one FILE (got ${positionals.length})`);
    let vocabSize: number;
    if (positionals.length === 1) {
      if (values['vocab-size'] !== undefined) throw new UsageError('give the text FILE or --vocab-size, not both');
      vocabSize = (await readCorpusFromFile(positionals[0], corpusOptions(config))).tokenizer.size;
      title = `fresh model on ${positionals[0]}`;
    } else if (values['vocab-size'] !== undefined) {
      vocabSize = Number(values['vocab-size']);
      if (!Number.isInteger(vocabSize) || vocabSize < 2) throw new UsageError(`--vocab-size must be an integer of at least 2 (got "${values['vocab-size']}")`);
      title = 'fresh model';
    } else {
      throw new UsageError('summary needs --checkpoint FILE, --pytorch-weights DIR, --keras-weights FILE.h5, a text FILE or --vocab-size N');
    }
    spec = specFromConfig(config, vocabSize);
  }
  const summary = modelSummary(spec);
  process.stdout.write(values.json ? JSON.stringify({ model: title, layers: summary.rows, totalParams: summary.total }) + '\n' : formatSummary(summary, title));
  return 0;
}
