/**
 * The `rnnLab.*` settings, typed. This table mirrors `contributes.configuration` in package.json
 * (a unit test keeps the two in step) and turns whatever the user wrote into a valid TrainConfig.
 * No `vscode` import: the extension passes its WorkspaceConfiguration, tests pass a plain object.
 */
import { backendNames, cellTypes, defaultTrainConfig, optimizerNames, type TrainConfig } from '../protocol/messages';

export const configSection = 'rnnLab';

type NumberSetting = { kind: 'number'; integer: boolean; minimum: number; maximum: number };
type EnumSetting = { kind: 'enum'; values: readonly string[] };
type StringSetting = { kind: 'string'; maxLength: number };

export type SettingRule = NumberSetting | EnumSetting | StringSetting;

const int = (minimum: number, maximum: number): NumberSetting => ({ kind: 'number', integer: true, minimum, maximum });
const real = (minimum: number, maximum: number): NumberSetting => ({ kind: 'number', integer: false, minimum, maximum });
const oneOf = (values: readonly string[]): EnumSetting => ({ kind: 'enum', values });

/**
 * The defaults of the settings: the shared defaults, except that the Lab evaluates more often, so a
 * run on a laptop shows its first few validation points and samples within seconds.
 */
export const settingDefaults: TrainConfig = { ...defaultTrainConfig, evalInterval: 50 };

/** Every TrainConfig field is a setting. */
export const trainSettingRules: { [K in keyof TrainConfig]: SettingRule } = {
  cell: oneOf(cellTypes),
  hiddenSize: int(1, 4096),
  layers: int(1, 8),
  embeddingSize: int(0, 4096),
  dropout: real(0, 0.9),
  seqLength: int(1, 2048),
  batchSize: int(1, 4096),
  learningRate: real(0, 10),
  optimizer: oneOf(optimizerNames),
  clipNorm: real(0, 1000),
  steps: int(0, 100_000_000),
  epochs: int(0, 100_000),
  seconds: int(0, 1_000_000),
  evalInterval: int(1, 1_000_000),
  sampleLength: int(1, 100_000),
  prime: { kind: 'string', maxLength: 10_000 },
  temperature: real(0, 2),
  valFraction: real(0, 0.5),
  seed: int(0, 2_147_483_647),
  maxVocab: int(2, 65_536),
  backend: oneOf(backendNames),
  threads: int(0, 256),
};

/** Settings that are not part of a TrainConfig. */
export const extraSettingKeys = ['nodePath'] as const;

/** The part of `vscode.WorkspaceConfiguration` this module reads. */
export interface SettingsReader {
  get<T>(key: string): T | undefined;
}

export interface ResolvedTrainConfig {
  config: TrainConfig;
  /** One line per setting that was ignored or clamped, for the log. */
  problems: string[];
}

/** Reads every training setting, falling back to the default (or clamping) where a value is invalid. */
export function readTrainConfig(settings: SettingsReader): ResolvedTrainConfig {
  const config: Record<string, unknown> = { ...settingDefaults };
  const problems: string[] = [];
  for (const key of Object.keys(trainSettingRules) as Array<keyof TrainConfig>) {
    const value = settings.get<unknown>(key);
    if (value === undefined || value === null) continue;
    const checked = checkSetting(trainSettingRules[key], value);
    if (checked.problem) problems.push(`${configSection}.${key}: ${checked.problem}`);
    if (checked.value !== undefined) config[key] = checked.value;
  }
  if (config.steps === 0 && config.epochs === 0 && config.seconds === 0) {
    problems.push(`${configSection}.steps, epochs and seconds are all 0 (no limit); using steps = ${settingDefaults.steps}`);
    config.steps = settingDefaults.steps;
  }
  return { config: config as unknown as TrainConfig, problems };
}

function checkSetting(rule: SettingRule, value: unknown): { value?: unknown; problem?: string } {
  switch (rule.kind) {
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return { problem: `${JSON.stringify(value)} is not a number; using the default` };
      let v = rule.integer ? Math.round(value) : value;
      v = Math.min(rule.maximum, Math.max(rule.minimum, v));
      return v === value ? { value: v } : { value: v, problem: `${value} is outside ${rule.minimum}..${rule.maximum}${rule.integer ? ' or not whole' : ''}; using ${v}` };
    }
    case 'enum':
      return typeof value === 'string' && rule.values.includes(value)
        ? { value }
        : { problem: `${JSON.stringify(value)} is not one of ${rule.values.join(', ')}; using the default` };
    case 'string':
      if (typeof value !== 'string') return { problem: `${JSON.stringify(value)} is not text; using the default` };
      return value.length <= rule.maxLength ? { value } : { value: value.slice(0, rule.maxLength), problem: `longer than ${rule.maxLength} characters; cut` };
  }
}

/** The Node binary for the trainer, or undefined for the extension host's own. Only honoured in trusted workspaces. */
export function readNodePath(settings: SettingsReader, workspaceTrusted: boolean): string | undefined {
  if (!workspaceTrusted) return undefined;
  const value = settings.get<unknown>('nodePath');
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
