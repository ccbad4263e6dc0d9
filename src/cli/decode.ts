/** `rnn-lab decode`: the argmax prediction at every position of a line, teacher-forced (seed 004, section 4). */
import { teacherForcedDecode } from '../engine/labs/decode';
import { asUsage, UsageError, parseFlags } from './args';
import { loadModelFromFlags, modelOptions, modelUsage, networkFor } from './model';

export const decodeUsage = `rnn-lab decode ${modelUsage} --line TEXT [--json]`;

export async function decodeCommand(argv: string[]): Promise<number> {
  const parsed = asUsage(() => parseFlags({ args: argv, strict: true, options: { ...modelOptions, line: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(decodeUsage + '\n');
    return 0;
  }
  if (values.line === undefined || values.line === '') throw new UsageError('decode needs --line TEXT (a line of the kind the model was trained on)');
  const model = await loadModelFromFlags('decode', values);
  const net = await networkFor(model, values.backend);
  const result = teacherForcedDecode(net.createStepper(1), model.tokenizer, values.line);
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return 0;
  }
  // Two aligned rows, one column per position: what came next, and what the model predicted (· = right).
  const width = (s: string) => Math.max(1, [...s].length);
  const cells = result.steps.filter((s) => s.target !== undefined).map((s) => {
    const target = s.target ?? '';
    const predicted = s.predicted === s.target ? '·' : s.predicted;
    const w = Math.max(width(target), width(predicted));
    return { target: target.padEnd(w), predicted: predicted.padEnd(w) };
  });
  process.stdout.write(`next:      ${cells.map((c) => c.target).join(result.separator)}\n`);
  process.stdout.write(`predicted: ${cells.map((c) => c.predicted).join(result.separator)}\n`);
  process.stdout.write(`${result.correct} of ${result.total} next symbols predicted (${(100 * result.correct / Math.max(1, result.total)).toFixed(1)}%; · marks a right prediction)\n`);
  return 0;
}
