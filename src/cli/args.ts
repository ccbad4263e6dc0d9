/** Usage errors and number parsing shared by the subcommands. */
import { parseArgs } from 'node:util';
import { renderErrorMessage } from '../engine/config';

/** A malformed command line (exit code 2), as opposed to bad input data (exit code 1). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Runs a parser or a check, turning its complaints (an unknown flag, a missing value, a bad
 * setting) into usage errors; a setting is named as the CLI names it (--seq).
 */
export function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(renderErrorMessage(error, 'cli'));
  }
}

export function parseNumber(value: string | undefined, flag: string, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag} needs ${integer ? 'an integer' : 'a number'} (got "${value}")`);
  }
  return n;
}

export function parseChoice<T extends string>(value: string | undefined, flag: string, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T)) throw new UsageError(`--${flag} must be one of ${choices.join(', ')} (got "${value}")`);
  return value as T;
}

/** One line, safe for a terminal: newlines and tabs shown as escapes. */
export function oneLine(text: string, max = 100): string {
  const flat = text.replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return [...flat].length > max ? [...flat].slice(0, max).join('') + '…' : flat;
}

/** A value that starts with a minus sign but is a number (-5, -0.1, -.5, -1e-3, -Infinity). */
const NEGATIVE_NUMBER = /^-(\d|\.\d|Infinity$)/;

/**
 * Node's parseArgs, except that a negative number after a flag that takes a value is that value
 * (`--lr -1` reads as `--lr=-1`), so the range check can say what is allowed instead of parseArgs
 * calling the argument ambiguous.
 */
export function parseFlags<T extends Parameters<typeof parseArgs>[0] & { args: string[] }>(config: T): ReturnType<typeof parseArgs<T>> {
  const options = (config.options ?? {}) as Record<string, { type: string; short?: string }>;
  const args: string[] = [];
  for (let i = 0; i < config.args.length; i++) {
    const arg = config.args[i];
    const next = config.args[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else {
      args.push(arg);
    }
    if (arg === '--') {
      args.push(...config.args.slice(i + 1));
      break;
    }
  }
  return parseArgs({ ...config, args }) as ReturnType<typeof parseArgs<T>>;
}
