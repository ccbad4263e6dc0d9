/**
 * How each surface names a setting: the CLI by its flag (`--seq`, `--seq 20`), the editor by its
 * setting (`rnnLab.seqLength`, `rnnLab.seqLength = 20`). Used to render a UserInputError that
 * names a setting.
 */
import { fillSettingPlaceholders, isUserInputError, settingRef } from '../text/errors';
import { settingOf, settingsSection, trainSettings, type SettingKey } from './settings';

export type Surface = 'cli' | 'editor';

function isSettingKey(key: string): key is SettingKey {
  return Object.prototype.hasOwnProperty.call(trainSettings, key);
}

export function settingName(key: string, surface: Surface): string {
  if (!isSettingKey(key)) return key;
  return surface === 'cli' ? `--${settingOf(key).flag}` : `${settingsSection}.${key}`;
}

export function settingWithValue(key: string, value: string | number | boolean, surface: Surface): string {
  if (surface === 'editor') return `${settingName(key, surface)} = ${typeof value === 'string' ? JSON.stringify(value) : value}`;
  if (isSettingKey(key) && settingOf(key).type === 'boolean') return value ? `--${settingOf(key).flag}` : `--no-${settingOf(key).flag}`;
  return `${settingName(key, surface)} ${typeof value === 'string' && /\s|^$/.test(value) ? JSON.stringify(value) : value}`;
}

/**
 * Any engine message (a log line, a run's end) may name settings as `{setting:learningRate}`;
 * this writes each as the surface names it (`--lr`, `rnnLab.learningRate`).
 */
export function renderSettingRefs(text: string, surface: Surface): string {
  return text.replace(settingRef, (_whole, key: string) => settingName(key, surface));
}

/** The error's message as this surface should show it. */
export function renderErrorMessage(error: unknown, surface: Surface): string {
  if (isUserInputError(error)) {
    const filled = fillSettingPlaceholders(error.template, error.setting, (k) => settingName(k, surface), (k, v) => settingWithValue(k, v, surface));
    return renderSettingRefs(filled, surface);
  }
  return error instanceof Error ? error.message : String(error);
}
