/**
 * Command-line flags derived from a settings table (src/engine/config/settings.ts): the parseArgs
 * options, turning parsed flags into config values, and the usage text, for any table; and, on
 * the training settings, the `rnn-lab train` flags into a TrainConfig and the reverse (for tests
 * and for printing a command line). `rnn-lab series` uses the same helpers on its own table.
 */
import {
  defaultTrainConfig, keysOf, parseLayerSizes, settingGroupTitles, settingGroups, settingKeys, settingOf, trainSettings,
  type ConfigOf, type Setting, type SettingsTable, type TrainConfig,
} from '../engine/config';
import { flagsOf, givenOverBase } from '../engine/config/flags';
import { parseChoice, parseNumber, UsageError } from './args';

type FlagOption = { type: 'string' } | { type: 'boolean' };
type FlagValues = Record<string, string | boolean | undefined>;

/** A table's parseArgs options: boolean settings get `--flag` and `--no-flag`; every other setting `--flag VALUE`. */
export function tableOptions(table: SettingsTable): Record<string, FlagOption> {
  return Object.fromEntries(Object.values(table).flatMap((s): Array<[string, FlagOption]> => (s.type === 'boolean'
    ? [[s.flag, { type: 'boolean' }], [`no-${s.flag}`, { type: 'boolean' }]]
    : [[s.flag, { type: 'string' }]])));
}

export const settingOptions = tableOptions(trainSettings);

/** The values of a table's settings whose flags were given (the others undefined), parsed and named by key. */
export function givenFlags<T extends SettingsTable>(table: T, values: FlagValues): Partial<ConfigOf<T>> {
  const given: Record<string, unknown> = {};
  for (const key of keysOf(table)) {
    const value = flagValue(table[key], values);
    if (value !== undefined) given[key] = value;
  }
  return given as Partial<ConfigOf<T>>;
}


/**
 * Applies the flags that were given over `base` (the defaults, or a preset). Naming any budget
 * (--steps, --epochs, --seconds) replaces the base's budget: the others become 0 (no limit).
 */
export function configFromFlags(values: Record<string, string | boolean | undefined>, base: TrainConfig = defaultTrainConfig): TrainConfig {
  const c = givenOverBase(base, givenFlags(trainSettings, values));
  if (c.steps === 0 && c.epochs === 0 && c.seconds === 0) throw new UsageError('give a positive --steps, --epochs or --seconds');
  return c;
}

function flagValue(s: Setting<string>, values: FlagValues): unknown {
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

function flagSyntax(s: Setting<string>): string {
  if (s.type === 'boolean') return s.default ? `--${s.flag} / --no-${s.flag}` : `--${s.flag}`;
  if (s.type === 'choice') return `--${s.flag} ${s.choices.join('|')}`;
  return `--${s.flag} ${s.placeholder ?? 'VALUE'}`;
}

function shownDefault(s: Setting<string>): string {
  if (s.type === 'number' && s.absent !== undefined) return s.absent;
  const value = s.default;
  return typeof value === 'string' ? (value === '' ? '""' : value) : String(value);
}

/**
 * One line per setting of `table`, under the titles of `groups` (in their order), each with its
 * default: the options part of a command's `--help`. `groupNote` adds words to a group's title.
 */
export function tableUsage<G extends string>(
  table: SettingsTable<G>, groups: ReadonlyArray<G>, titles: Record<G, string>, indent = '  ', groupNote: Partial<Record<G, string>> = {},
): string {
  const width = 30;
  const lines: string[] = [];
  for (const group of groups) {
    const settings = Object.values(table).filter((s) => s.group === group);
    if (settings.length === 0) continue;
    lines.push(`${indent}${titles[group]}${groupNote[group] ?? ''}:`);
    for (const s of settings) {
      const syntax = flagSyntax(s);
      const about = `${s.description} (default ${shownDefault(s)})`;
      // A long flag (many choices) gets its description on the next line.
      if (syntax.length < width) lines.push(`${indent}  ${syntax.padEnd(width)}${about}`);
      else lines.push(`${indent}  ${syntax}`, `${indent}  ${''.padEnd(width)}${about}`);
    }
  }
  return lines.join('\n');
}

/** One line per setting, grouped, each with its default: the options part of `rnn-lab train --help`. */
export function settingsUsage(indent = '  '): string {
  return tableUsage(trainSettings, settingGroups, settingGroupTitles, indent, { budget: ' (first reached wins)' });
}
