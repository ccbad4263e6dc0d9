/** Usage errors and number parsing shared by the subcommands. */
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
