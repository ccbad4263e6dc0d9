/**
 * The `rnn-lab train` flags of the training settings, derived from the settings table
 * (src/engine/config/settings.ts): the parseArgs options, turning parsed flags into a TrainConfig,
 * the reverse (for tests and for printing a command line), and the usage text.
 */
import { defaultTrainConfig, parseLayerSizes, settingGroupTitles, settingGroups, settingKeys, settingOf, type Setting, type SettingKey, type TrainConfig } from '../engine/config';
import { flagsOf, givenOverBase } from '../engine/config/flags';
import { parseChoice, parseNumber, UsageError } from './args';

type FlagOption = { type: 'string' } | { type: 'boolean' };

/** Boolean settings get `--flag` and `--no-flag`; every other setting `--flag VALUE`. */
export const settingOptions: Record<string, FlagOption> = Object.fromEntries(settingKeys.flatMap((key): Array<[string, FlagOption]> => {
  const s = settingOf(key);
  return s.type === 'boolean'
    ? [[s.flag, { type: 'boolean' }], [`no-${s.flag}`, { type: 'boolean' }]]
    : [[s.flag, { type: 'string' }]];
}));


/**
 * Applies the flags that were given over `base` (the defaults, or a preset). Naming any budget
 * (--steps, --epochs, --seconds) replaces the base's budget: the others become 0 (no limit).
 */
export function configFromFlags(values: Record<string, string | boolean | undefined>, base: TrainConfig = defaultTrainConfig): TrainConfig {
  const given: Record<string, unknown> = {};
  for (const key of settingKeys) given[key] = flagValue(settingOf(key), values);
  const c = givenOverBase(base, given as Partial<TrainConfig>);
  if (c.steps === 0 && c.epochs === 0 && c.seconds === 0) throw new UsageError('give a positive --steps, --epochs or --seconds');
  return c;
}

function flagValue(s: Setting, values: Record<string, string | boolean | undefined>): unknown {
  if (s.type === 'boolean') {
    const on = values[s.flag] === true;
    const off = values[`no-${s.flag}`] === true;
    if (on && off) throw new UsageError(`--${s.flag} and --no-${s.flag} contradict each other`);
    return on ? true : off ? false : undefined;
  }
  const raw = values[s.flag];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new UsageError(`--${s.flag} needs a value`);
  switch (s.type) {
    case 'integer': return s.perLayer ? parseSizesFlag(raw, s.flag) : parseNumber(raw, s.flag, true);
    case 'number': return parseNumber(raw, s.flag);
    case 'choice': return parseChoice(raw, s.flag, s.choices);
    case 'string': return raw;
  }
}

/**
 * The setting flags given (without their `no-` prefix) whose value differs from `base`'s: what the
 * command line asks to change.
 */
export function changedSettingFlags(values: Record<string, string | boolean | undefined>, base: TrainConfig): string[] {
  return settingKeys
    .filter((key) => {
      const value = flagValue(settingOf(key), values);
      return value !== undefined && !sameSettingValue(value, base[key]);
    })
    .map((key) => settingOf(key).flag);
}

/** Equal setting values; a per-layer size list is compared element by element. */
function sameSettingValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

/** `--hidden 128` or `--hidden 128,512` (one size per layer). */
function parseSizesFlag(raw: string, flag: string): number | number[] {
  const sizes = parseLayerSizes(raw);
  if (sizes === undefined) throw new UsageError(`--${flag} needs an integer, or integers separated by commas, one per layer (got "${raw}")`);
  return sizes;
}

/** The flags that reproduce `config` from the defaults (only the settings that differ, and the budget). */
export const flagsFromConfig = flagsOf;

function flagSyntax(s: Setting): string {
  if (s.type === 'boolean') return s.default ? `--${s.flag} / --no-${s.flag}` : `--${s.flag}`;
  if (s.type === 'choice') return `--${s.flag} ${s.choices.join('|')}`;
  return `--${s.flag} ${s.placeholder ?? 'VALUE'}`;
}

function shownDefault(key: SettingKey): string {
  const value = defaultTrainConfig[key];
  return typeof value === 'string' ? (value === '' ? '""' : value) : String(value);
}

/** One line per setting, grouped, each with its default: the options part of `rnn-lab train --help`. */
export function settingsUsage(indent = '  '): string {
  const width = 30;
  const lines: string[] = [];
  for (const group of settingGroups) {
    const keys = settingKeys.filter((k) => settingOf(k).group === group);
    if (keys.length === 0) continue;
    lines.push(`${indent}${settingGroupTitles[group]}${group === 'budget' ? ' (first reached wins)' : ''}:`);
    for (const key of keys) {
      const s = settingOf(key);
      const syntax = flagSyntax(s);
      const about = `${s.description} (default ${shownDefault(key)})`;
      // A long flag (many choices) gets its description on the next line.
      if (syntax.length < width) lines.push(`${indent}  ${syntax.padEnd(width)}${about}`);
      else lines.push(`${indent}  ${syntax}`, `${indent}  ${''.padEnd(width)}${about}`);
    }
  }
  return lines.join('\n');
}
