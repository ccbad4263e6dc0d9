/**
 * The checks every file read from a user's path goes through before a byte is read: it exists, it
 * is a regular file (not a folder, a device such as /dev/zero, a pipe or a socket, which could
 * block or never end), and it is no larger than the reader can hold. Folders made for output are
 * made here too, with one bounded call and a message that names them.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { realpathSync } from 'node:fs';
import { UserInputError, unreadableFile } from './errors';

/** Largest file of any kind read (a text, a checkpoint, Keras weights): 1 GiB. */
export const MAX_INPUT_BYTES = 1024 * 1024 * 1024;

function sizeText(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${bytes} bytes`;
}

/**
 * Refuses anything but a regular file of at most `maxBytes`; returns its size. `what` names the
 * kind of file ("checkpoint", "--prime-file") for the message.
 */
export async function assertReadableFile(path: string, what = '', maxBytes = MAX_INPUT_BYTES): Promise<number> {
  const subject = what ? `${what} ${path}` : path;
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw unreadableFile(path, error, what);
  }
  if (info.isDirectory()) throw new UserInputError(`${subject} is a folder; give a file.`);
  if (!info.isFile()) throw new UserInputError(`${subject} is not a regular file (a device, pipe or socket); give a file.`);
  if (info.size > maxBytes) throw new UserInputError(`${subject} is ${sizeText(info.size)}; RNN Lab reads files of up to ${sizeText(maxBytes)} here.`);
  return info.size;
}

/** Makes a folder (and its parents) or says which one could not be made and why. */
export async function makeFolder(path: string, what = 'the folder'): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message;
    throw new UserInputError(`cannot create ${what} ${path}: ${why}.`);
  }
}

/** Makes the folder an output file goes into. */
export async function makeFolderFor(file: string): Promise<void> {
  await makeFolder(dirname(resolve(file)), `the folder of ${file},`);
}

/** The path with links resolved (the path itself when it does not exist yet), to compare files. */
export function realPathOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      return resolve(realpathSync(dirname(resolve(path))), resolve(path).slice(dirname(resolve(path)).length + 1));
    } catch {
      return resolve(path);
    }
  }
}

/** Refuses to write `output` when it is one of the `inputs` (the same file once links are resolved). */
export function assertNotAnInput(output: string, outputFlag: string, inputs: Array<[flag: string, path: string | undefined]>): void {
  const out = realPathOf(output);
  for (const [flag, path] of inputs) {
    if (path !== undefined && realPathOf(path) === out) {
      throw new UserInputError(`${outputFlag} ${output} is the ${flag} file: writing it would overwrite the input; give another ${outputFlag} path.`);
    }
  }
}
