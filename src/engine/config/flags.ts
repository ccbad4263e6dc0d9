/** The CLI flags that reproduce a config from the defaults, derived from the settings table. */
import { defaultTrainConfig, settingKeys, settingOf, type TrainConfig } from './settings';

/** The budget settings: naming any one replaces the others (on the CLI and over a preset in the editor). */
export const budgetKeys = ['steps', 'epochs', 'seconds'] as const;

/**
 * `base` (the defaults, or a preset) with the settings `given` over it. Naming any budget (steps,
 * epochs, seconds) replaces the base's whole budget: the others become 0 (no limit).
 */
export function givenOverBase(base: TrainConfig, given: Partial<TrainConfig>): TrainConfig {
  const config: Record<string, unknown> = { ...base };
  if (budgetKeys.some((k) => given[k] !== undefined)) for (const k of budgetKeys) config[k] = 0;
  for (const [key, value] of Object.entries(given)) if (value !== undefined) config[key] = value;
  return config as unknown as TrainConfig;
}

/** Only the settings that differ from `base`, plus the whole budget. */
export function flagsOf(config: TrainConfig, base: TrainConfig = defaultTrainConfig): string[] {
  const args: string[] = [];
  for (const key of settingKeys) {
    const value = config[key];
    if (value === base[key] && !(budgetKeys as readonly string[]).includes(key)) continue;
    const s = settingOf(key);
    if (s.type === 'boolean') args.push(value ? `--${s.flag}` : `--no-${s.flag}`);
    else args.push(`--${s.flag}`, String(value));
  }
  return args;
}

/** Arguments as a shell would need them typed: those with spaces or quotes in double quotes. */
export function shellJoin(args: readonly string[]): string {
  return args.map((a) => (a === '' || /[\s"'$`\\]/.test(a) ? JSON.stringify(a) : a)).join(' ');
}
