/**
 * Checks a value against its declaration. Two uses: the engine rejects a bad config with an error
 * naming the setting (validateConfig), and the extension clamps or drops what the user wrote in
 * settings.json (coerceSetting), so both agree on every limit.
 */
import { UserInputError } from '../text/errors';
import { keysOf, parseLayerSizes, settingOf, trainSettings, type ConfigOf, type NumberSetting, type Setting, type SettingsTable, type TrainConfig } from './settings';

/** What the value must be, in words: "an integer from 1 to 2048". */
export function describeRule(setting: Setting<string>): string {
  switch (setting.type) {
    case 'integer':
    case 'number': {
      const kind = setting.type === 'integer' ? 'an integer' : 'a number';
      const rule = setting.exclusiveMinimum || setting.exclusiveMaximum
        ? `${kind} ${setting.exclusiveMinimum ? 'above' : 'from'} ${setting.minimum} and ${setting.exclusiveMaximum ? 'below' : 'at most'} ${setting.maximum}`
        : `${kind} from ${setting.minimum} to ${setting.maximum}`;
      return setting.perLayer ? `${rule}, or a comma-separated list of such, one per layer` : rule;
    }
    case 'boolean': return 'true or false';
    case 'string': return `text of at most ${setting.maxLength} characters`;
    case 'choice': return `one of ${setting.choices.join(', ')}`;
  }
}

export type Checked = { ok: true; value: unknown } | { ok: false; nearest?: unknown };

/** Whether `value` is valid for `setting`; if not, the nearest valid value when there is one (a clamp, a cut). */
export function checkValue(setting: Setting<string>, value: unknown): Checked {
  switch (setting.type) {
    case 'integer':
    case 'number': {
      if (setting.absent !== undefined && value === undefined) return { ok: true, value };
      if (setting.perLayer && typeof value !== 'number') return checkPerLayer(setting, value);
      if (typeof value !== 'number' || !Number.isFinite(value)) return { ok: false };
      let v = setting.type === 'integer' ? Math.round(value) : value;
      v = Math.min(setting.maximum, Math.max(setting.minimum, v));
      if (setting.exclusiveMinimum && v <= setting.minimum) return { ok: false };
      if (setting.exclusiveMaximum && v >= setting.maximum) return { ok: false };
      return v === value ? { ok: true, value } : { ok: false, nearest: v };
    }
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : { ok: false };
    case 'string':
      if (typeof value !== 'string') return { ok: false };
      return value.length <= setting.maxLength ? { ok: true, value } : { ok: false, nearest: value.slice(0, setting.maxLength) };
    case 'choice':
      return typeof value === 'string' && setting.choices.includes(value) ? { ok: true, value } : { ok: false };
  }
}

/** A per-layer setting given as a list (or the text of one): every value checked, out-of-range ones clamped. */
function checkPerLayer(setting: NumberSetting<string>, value: unknown): Checked {
  const parsed = typeof value === 'string' ? parseLayerSizes(value) : value;
  if (typeof parsed === 'number') return checkValue({ ...setting, perLayer: undefined }, parsed);
  if (!Array.isArray(parsed) || parsed.length === 0) return { ok: false };
  const checked = parsed.map((v) => checkValue({ ...setting, perLayer: undefined }, v));
  if (checked.every((c) => c.ok)) return { ok: true, value: parsed };
  if (checked.some((c) => !c.ok && c.nearest === undefined)) return { ok: false };
  return { ok: false, nearest: checked.map((c) => (c.ok ? c.value : c.nearest)) };
}

/** The first setting of `table` whose value in `config` is not valid, or undefined when all are. */
export function firstInvalid<T extends SettingsTable>(table: T, config: ConfigOf<T>): { key: keyof T & string; value: unknown; checked: Checked & { ok: false } } | undefined {
  for (const key of keysOf(table)) {
    const value = (config as Record<string, unknown>)[key];
    const checked = checkValue(table[key], value);
    if (!checked.ok) return { key, value, checked };
  }
  return undefined;
}

/** Throws a UserInputError naming the first bad setting, with the nearest valid value as the suggestion. */
export function validateConfig(config: TrainConfig): void {
  const invalid = firstInvalid(trainSettings, config);
  if (invalid) {
    const { key, value, checked } = invalid;
    const setting = settingOf(key);
    // A cut-down text is no suggestion to echo back: the message stays one short line.
    const suggestion = checked.nearest !== undefined && typeof checked.nearest !== 'object' && typeof checked.nearest !== 'string' ? checked.nearest as number | boolean : undefined;
    const shown = typeof value === 'string'
      ? (value.length > 40 ? `${value.length.toLocaleString('en-US')} characters: ${JSON.stringify(value.slice(0, 20)).slice(0, 30)}…` : JSON.stringify(value))
      : Array.isArray(value) ? value.join(',') : String(value);
    throw new UserInputError(
      `{setting} must be ${describeRule(setting)} (got ${shown})` + (suggestion !== undefined ? '; try {suggestion}.' : '.'),
      { key, suggestion },
    );
  }
  if (Array.isArray(config.hiddenSize) && config.hiddenSize.length !== config.layers) {
    const n = config.hiddenSize.length;
    throw new UserInputError(
      `{setting} gives ${n} sizes (${config.hiddenSize.join(',')}) but {setting:layers} is ${config.layers}: give one size per layer, or set {setting:layers} to ${n}.`,
      { key: 'hiddenSize' },
    );
  }
  if (config.steps === 0 && config.epochs === 0 && config.seconds === 0) {
    throw new UserInputError('steps, epochs and seconds are all 0: the run has no end; give a positive {suggestion}.', { key: 'steps', suggestion: settingOf('steps').default as number });
  }
}
