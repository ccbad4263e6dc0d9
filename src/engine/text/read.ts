/**
 * Reads a text file as a stream of decoded chunks, never as one big string, so memory stays
 * bounded by the chunk size (the caller keeps only what it encodes).
 *  - refuses binary files (NUL bytes, or mostly control bytes, in the first 64 KB);
 *  - strips a UTF-8 byte-order mark;
 *  - decodes UTF-8, replacing invalid bytes with U+FFFD instead of failing;
 *  - turns CRLF line ends into LF (a CR at the end of one chunk waits for the next chunk).
 * Chunks always end on a code-point boundary (TextDecoder streams never split a character).
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { UserInputError, unreadableFile } from './errors';

export const BINARY_PROBE_BYTES = 64 * 1024;
const CHUNK_BYTES = 1024 * 1024;
/**
 * Largest file trained on. The encoded text takes one byte per character in memory, and a char
 * model learns nothing from the second gigabyte that it cannot learn from a slice of the first.
 */
export const MAX_TEXT_BYTES = 1024 * 1024 * 1024;

export interface ReadReport {
  bytes: number;
  /** CRLF pairs turned into LF. */
  crlfNormalised: number;
  /** U+FFFD characters in the decoded text (invalid UTF-8 bytes, or a replacement char in the file). */
  replacementChars: number;
}

/** Why these bytes do not look like text, or undefined when they do. */
export function binaryReason(bytes: Uint8Array): string | undefined {
  let control = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0) return 'it contains NUL bytes (if it is UTF-16 text, save it as UTF-8)';
    // Tab, LF, VT, FF, CR and ESC occur in real text; other C0 bytes and DEL do not.
    if ((b < 32 && !(b >= 9 && b <= 13) && b !== 27) || b === 127) control++;
  }
  if (bytes.length > 0 && control / bytes.length > 0.1) return `${Math.round((100 * control) / bytes.length)}% of its first bytes are control codes`;
  return undefined;
}

/** Turns CRLF into LF across chunk boundaries; counts what it changed. */
export class LineEndNormaliser {
  crlfCount = 0;
  private pendingCR = false;

  push(text: string): string {
    if (this.pendingCR) {
      text = '\r' + text;
      this.pendingCR = false;
    }
    if (text.endsWith('\r')) {
      this.pendingCR = true;
      text = text.slice(0, -1);
    }
    if (!text.includes('\r\n')) return text;
    const parts = text.split('\r\n');
    this.crlfCount += parts.length - 1;
    return parts.join('\n');
  }

  flush(): string {
    const rest = this.pendingCR ? '\r' : '';
    this.pendingCR = false;
    return rest;
  }
}

function countReplacements(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) n++;
  return n;
}

/** Checks the start of a file and refuses binaries before anything else is read. */
export async function assertTextFile(path: string): Promise<number> {
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new UserInputError(`${path} is a folder; give a text file.`);
    // A device (/dev/zero), pipe or socket may never end or block: only regular files are read.
    if (!info.isFile()) throw new UserInputError(`${path} is not a regular file (a device, pipe or socket); give a text file.`);
    size = info.size;
    if (size > MAX_TEXT_BYTES) {
      throw new UserInputError(`${path} is ${(size / 2 ** 30).toFixed(1)} GiB; RNN Lab trains on files of up to ${MAX_TEXT_BYTES / 2 ** 30} GiB. Train on a part of it (a selection, or a file cut with head -c).`);
    }
  } catch (error) {
    if (error instanceof UserInputError) throw error;
    throw unreadableFile(path, error);
  }
  const handle = await open(path, 'r');
  try {
    const probe = new Uint8Array(Math.min(size, BINARY_PROBE_BYTES));
    await handle.read(probe, 0, probe.length, 0);
    const reason = binaryReason(probe);
    if (reason) throw new UserInputError(`${path} looks like a binary file, not text: ${reason}. Train on a plain-text file.`);
  } finally {
    await handle.close();
  }
  return size;
}

/** Streams the decoded, normalised text of a file to `onChunk`. */
export async function readTextChunks(path: string, onChunk: (text: string) => void): Promise<ReadReport> {
  const bytes = await assertTextFile(path);
  // ignoreBOM false (the default): the decoder drops a leading UTF-8 BOM itself.
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const lines = new LineEndNormaliser();
  let replacementChars = 0;
  const emit = (text: string) => {
    if (text.length === 0) return;
    replacementChars += countReplacements(text);
    onChunk(text);
  };
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  for await (const chunk of stream as AsyncIterable<Buffer>) emit(lines.push(decoder.decode(chunk, { stream: true })));
  emit(lines.push(decoder.decode()));
  emit(lines.flush());
  return { bytes, crlfNormalised: lines.crlfCount, replacementChars };
}

/** Normalises an in-memory string the same way a file is (BOM, CRLF). */
export function normaliseText(text: string): { text: string; crlfNormalised: number } {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = new LineEndNormaliser();
  const out = lines.push(text) + lines.flush();
  return { text: out, crlfNormalised: lines.crlfCount };
}
