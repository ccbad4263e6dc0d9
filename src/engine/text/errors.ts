/**
 * A problem with what the user gave us (a file, a setting, a checkpoint), as opposed to a bug.
 * The message names the problem and what to do about it; callers show it as is, without a stack.
 *
 * When a setting is to blame, the error says which (`setting`) and may suggest a value. The message
 * then writes `{setting}` where the setting's name goes and `{suggestion}` where the suggested value
 * goes; each surface renders these its own way (the CLI as `--seq` and `--seq 20`, the editor as
 * `rnnLab.seqLength` and `rnnLab.seqLength = 20`: see config/render.ts). `message` itself is
 * rendered with the plain config key, for callers that know no surface.
 */
export interface SettingHint {
  /** A TrainConfig key (a string here, so this module stays free of the settings table). */
  key: string;
  /** A value to try instead, when there is a good one. */
  suggestion?: string | number | boolean;
}

/** `{setting:KEY}` in any engine message: the setting KEY, to be written as each surface names it (config/render.ts). */
export const settingRef = /\{setting:([A-Za-z]+)\}/g;

export class UserInputError extends Error {
  /** The message with `{setting}` and `{suggestion}` placeholders, before any rendering. */
  readonly template: string;

  constructor(message: string, readonly setting?: SettingHint) {
    super(fillSettingPlaceholders(message, setting, (key) => key, (key, value) => `${key} = ${value}`).replace(settingRef, '$1'));
    this.name = 'UserInputError';
    this.template = message;
  }
}

export function isUserInputError(error: unknown): error is UserInputError {
  return error instanceof Error && error.name === 'UserInputError';
}

export function fillSettingPlaceholders(
  template: string,
  setting: SettingHint | undefined,
  name: (key: string) => string,
  suggest: (key: string, value: string | number | boolean) => string,
): string {
  if (!setting) return template;
  return template
    .replaceAll('{setting}', name(setting.key))
    .replaceAll('{suggestion}', setting.suggestion === undefined ? name(setting.key) : suggest(setting.key, setting.suggestion));
}

/**
 * The error for a file that could not be opened, saying why in words and what to do, instead of
 * the system's "ENOENT: no such file or directory, stat '…'". `what` names the kind of file
 * ("the vocabulary", "checkpoint") when the path alone would not say it.
 */
export function unreadableFile(path: string, error: unknown, what = ''): UserInputError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const subject = what ? `${what} ${path}` : path;
  if (code === 'ENOENT') {
    const relative = !path.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(path) ? ` (a relative path starts from ${process.cwd()})` : '';
    return new UserInputError(`${subject} does not exist; check the path${relative}.`);
  }
  if (code === 'EACCES' || code === 'EPERM') return new UserInputError(`cannot read ${subject}: permission denied; check the file's permissions.`);
  if (code === 'EISDIR') return new UserInputError(`${subject} is a folder; give a file.`);
  return new UserInputError(`cannot read ${subject}: ${(error as Error).message}`);
}
