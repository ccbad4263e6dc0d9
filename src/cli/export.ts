/**
 * `rnn-lab export --checkpoint C --keras out.h5`: our model as a tf.keras 2 weights file, with its
 * vocabulary beside it; `--pytorch DIR`: a folder to continue training in PyTorch (pytorchExport.ts).
 */
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { writeHdf5 } from '../engine/model/io/hdf5';
import { kerasTreeFromModel } from '../engine/model/io/keras';
import { vocabPathBeside } from '../engine/model/io/load';
import { writePytorchFolder } from '../engine/model/io/pytorchExport';
import { assertNotAnInput, makeFolderFor } from '../engine/text/file';
import { asUsage, UsageError, parseFlags } from './args';
import { loadModelFromFlags, modelOptions, modelUsage } from './model';

export const exportUsage = `rnn-lab export ${modelUsage} (--keras OUT.h5 | --pytorch DIR [--text TRAINING_TEXT])
    --keras OUT.h5   write tf.keras 2 weights (and OUT.vocab.json, the symbols in id order)
    --pytorch DIR    write a PyTorch folder: model.py, train.py (one process or torchrun), predict.py, README.md,
                     weights.safetensors, config.json, vocab.json; --text names the text train.py reads by default`;

export async function exportCommand(argv: string[]): Promise<number> {
  const parsed = asUsage(() => parseFlags({ args: argv, strict: true, options: { ...modelOptions, keras: { type: 'string' }, pytorch: { type: 'string' }, text: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(exportUsage + '\n');
    return 0;
  }
  if (values.keras && values.pytorch) throw new UsageError('export takes --keras OUT.h5 or --pytorch DIR, not both');
  if (values.pytorch) return exportPytorch(values.pytorch, values);
  if (values.text !== undefined) throw new UsageError('--text goes with --pytorch DIR (the text its train.py reads)');
  if (!values.keras) throw new UsageError('export needs --keras OUT.h5 or --pytorch DIR');
  const vocabPath = vocabPathBeside(values.keras);
  // The weights and the vocabulary written must not replace a file this command reads.
  const inputs: Array<[string, string | undefined]> = [['--checkpoint', values.checkpoint], ['--keras-weights', values['keras-weights']], ['--vocab', values.vocab], ['--vocab-text', values['vocab-text']]];
  assertNotAnInput(values.keras, '--keras', inputs);
  assertNotAnInput(vocabPath, `the vocabulary beside --keras`, inputs);
  const model = await loadModelFromFlags('export', values);
  const symbols = [...model.tokenizer.symbols];
  // A word model carries its tokenizer too, so the file reads back as the same model.
  const words = model.tokenizer.kind === 'word' ? model.tokenizer.toJSON() : undefined;
  await makeFolderFor(values.keras);
  await writeHdf5(values.keras, kerasTreeFromModel(model.spec, model.params, symbols, words));
  await writeFile(vocabPath, JSON.stringify(symbols, null, 0) + '\n');
  process.stdout.write(`wrote ${values.keras} (tf.keras 2 weights, ${model.params.length} parameters) and ${vocabPath} (${symbols.length} symbols)\n`);
  return 0;
}

async function exportPytorch(dir: string, values: Parameters<typeof loadModelFromFlags>[1] & { text?: string }): Promise<number> {
  const model = await loadModelFromFlags('export', values);
  const written = await writePytorchFolder(dir, model, { text: values.text });
  process.stdout.write(`wrote ${dir}: ${written.map((p) => basename(p)).join(', ')} (${model.params.length} parameters, ${model.tokenizer.size} symbols)\n`);
  return 0;
}
