/**
 * The machinery of a settings table, for any table: the kinds of declaration (number, boolean,
 * text, choice), the makers of a table's entries, the config type a table describes and its
 * defaults. The training settings (settings.ts) and the time-series lab's (series/settings.ts)
 * are two such tables; validation (validate.ts) and the CLI's flags and usage (cli/settingsFlags.ts)
 * take any table too.
 *
 * Dependency-free, and free of any one table, so a webview that needs one table bundles only it.
 */

export interface Common<G extends string> {
  /** The heading it is listed under (a table's own groups: the training settings' are `settingGroups`). */
  group: G;
  /** One sentence for the settings editor and `--help`. */
  description: string;
  /** The CLI flag without dashes. */
  flag: string;
  /** How the value reads in usage text (`N`, `X`, `TEXT`); choices and booleans need none. */
  placeholder?: string;
  /** The label of its field where a form shows it (the time-series panel); absent: no field. */
  label?: string;
}

export interface NumberSetting<G extends string = string> extends Common<G> {
  type: 'integer' | 'number';
  /** Undefined only with `absent`: the setting is left out unless given. */
  default: number | undefined;
  minimum: number;
  maximum: number;
  /** The minimum itself is not allowed (a learning rate of 0 learns nothing). */
  exclusiveMinimum?: boolean;
  /** The maximum itself is not allowed (a validation fraction of 1 leaves nothing to train on). */
  exclusiveMaximum?: boolean;
  /** A setting with no default: absent unless given, and what that means, in words ("--l2's value"). */
  absent?: string;
  /**
   * A list with one value per recurrent layer is accepted too (`128,512` on the CLI and as the
   * editor's text, or a JSON array); its length must equal `layers`. One number means every layer.
   */
  perLayer?: true;
}
export interface BooleanSetting<G extends string = string> extends Common<G> {
  type: 'boolean';
  default: boolean;
}
export interface StringSetting<G extends string = string> extends Common<G> {
  type: 'string';
  default: string;
  maxLength: number;
}
export interface ChoiceSetting<C extends string = string, G extends string = string> extends Common<G> {
  type: 'choice';
  default: C;
  choices: readonly C[];
  choiceDescriptions?: readonly string[];
}
export type Setting<G extends string = string> = NumberSetting<G> | BooleanSetting<G> | StringSetting<G> | ChoiceSetting<string, G>;

/** A table of settings: key -> declaration, in the order usage text lists them. */
export type SettingsTable<G extends string = string> = Readonly<Record<string, Setting<G>>>;

// The makers of a table's entries (the group type comes from the entry).
type NumberInput<G extends string> = Omit<NumberSetting<G>, 'type' | 'default' | 'absent'> & { default: number };
export const int = <G extends string>(s: NumberInput<G>): NumberSetting<G> & { default: number } => ({ type: 'integer', placeholder: 'N', ...s });
export const perLayerInt = <G extends string>(s: Omit<NumberInput<G>, 'perLayer'>) => ({ type: 'integer', placeholder: 'N[,N…]', perLayer: true, ...s }) as const satisfies NumberSetting<G>;
export const real = <G extends string>(s: NumberInput<G>): NumberSetting<G> & { default: number } => ({ type: 'number', placeholder: 'X', ...s });
/** A number with no default: absent from the config unless given (`absent` says what absence means). */
export const optionalReal = <G extends string>(s: Omit<NumberSetting<G>, 'type' | 'default' | 'absent'> & { absent: string }): NumberSetting<G> & { absent: string; default: undefined } =>
  ({ type: 'number', placeholder: 'X', default: undefined, ...s });
export const bool = <G extends string>(s: Omit<BooleanSetting<G>, 'type'>): BooleanSetting<G> => ({ type: 'boolean', ...s });
export const text = <G extends string>(s: Omit<StringSetting<G>, 'type'>): StringSetting<G> => ({ type: 'string', placeholder: 'TEXT', ...s });
export const choice = <const C extends string, G extends string>(s: Omit<ChoiceSetting<C, G>, 'type'>): ChoiceSetting<C, G> => ({ type: 'choice', ...s });

/** The value type a declaration describes. */
export type ValueOf<S> = S extends { perLayer: true } ? number | number[]
  : S extends ChoiceSetting<infer C, string> ? C
    : S extends BooleanSetting<string> ? boolean
      : S extends StringSetting<string> ? string
        : S extends { absent: string } ? number | undefined
          : number;

/** The config a table describes: one field per setting, of its declared type. */
export type ConfigOf<T extends SettingsTable> = { -readonly [K in keyof T]: ValueOf<T[K]> };

/** A table's keys, in its order. */
export function keysOf<T extends SettingsTable>(table: T): Array<keyof T & string> {
  return Object.keys(table) as Array<keyof T & string>;
}

/** A table's defaults; a setting with no default (`absent`) is left out. */
export function defaultsOf<T extends SettingsTable>(table: T): ConfigOf<T> {
  return Object.fromEntries(keysOf(table).filter((k) => table[k].default !== undefined).map((k) => [k, table[k].default])) as ConfigOf<T>;
}
