/**
 * The `rnnLab.*` settings, read into a valid TrainConfig. The settings, their defaults and limits
 * come from the one declaration in src/engine/config/settings.ts (package.json's configuration is
 * derived from it too: see contributes.ts). No `vscode` import: the extension passes its
 * WorkspaceConfiguration, tests pass a plain object.
 */
import { checkValue, defaultTrainConfig, describeRule, settingKeys, settingOf, settingsSection, type SettingKey, type TrainConfig } from '../engine/config';
import { givenOverBase } from '../engine/config/flags';
import { presetConfig, type Preset } from '../engine/config/presets';

export const configSection = settingsSection;

/** The defaults of the settings (the declaration's). */
export const settingDefaults: TrainConfig = defaultTrainConfig;

/** The part of `vscode.WorkspaceConfiguration` this module reads. */
export interface SettingsReader {
  get<T>(key: string): T | undefined;
}

export interface ResolvedTrainConfig {
  config: TrainConfig;
  /** One line per setting that was ignored or clamped, for the log. */
  problems: string[];
}

/**
 * Reads every training setting over `base` (the declaration's defaults, or a preset), falling back
 * to the base value or clamping where a value is invalid.
 */
export function readTrainConfig(settings: SettingsReader, base: TrainConfig = settingDefaults): ResolvedTrainConfig {
  const config: Record<string, unknown> = { ...base };
  const problems: string[] = [];
  for (const key of settingKeys) {
    const value = settings.get<unknown>(key);
    if (value === undefined || value === null) continue;
    const setting = settingOf(key);
    const checked = checkValue(setting, value);
    if (checked.ok) {
      config[key] = checked.value;
    } else if (checked.nearest !== undefined) {
      config[key] = checked.nearest;
      problems.push(`${configSection}.${key}: ${JSON.stringify(value).slice(0, 60)} is not ${describeRule(setting)}; using ${JSON.stringify(checked.nearest).slice(0, 60)}`);
    } else {
      problems.push(`${configSection}.${key}: ${JSON.stringify(value).slice(0, 60)} is not ${describeRule(setting)}; using ${JSON.stringify(config[key])}`);
    }
  }
  if (config.steps === 0 && config.epochs === 0 && config.seconds === 0) {
    problems.push(`${configSection}.steps, epochs and seconds are all 0 (no limit); using steps = ${settingDefaults.steps}`);
    config.steps = settingDefaults.steps;
  }
  return { config: config as unknown as TrainConfig, problems };
}

/**
 * A preset over the settings: the preset decides the set-up, the settings fill in what it does not
 * name. The budget settings the user set (`userSet`: the 'budget' group, such as rnnLab.steps and
 * rnnLab.evalInterval) decide how long it runs, as the budget flags do on the CLI: setting any of
 * steps, epochs, seconds replaces the preset's run length (the others become 0, no limit).
 */
export function presetOverSettings(preset: Preset, settings: TrainConfig, userSet: ReadonlySet<SettingKey>): TrainConfig {
  const budget = settingKeys.filter((key) => settingOf(key).group === 'budget' && userSet.has(key));
  const result = givenOverBase(presetConfig(preset, settings), Object.fromEntries(budget.map((key) => [key, settings[key]])));
  // Only zeros set by hand: keep the preset's length rather than run without end.
  if (result.steps === 0 && result.epochs === 0 && result.seconds === 0) return { ...result, steps: preset.config.steps ?? 0, epochs: preset.config.epochs ?? 0, seconds: preset.config.seconds ?? 0 };
  return result;
}

/** The Node binary for the trainer, or undefined for the extension host's own. Only honoured in trusted workspaces. */
export function readNodePath(settings: SettingsReader, workspaceTrusted: boolean): string | undefined {
  if (!workspaceTrusted) return undefined;
  const value = settings.get<unknown>('nodePath');
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
