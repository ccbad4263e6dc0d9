/**
 * The safetensors container (https://github.com/huggingface/safetensors), float32 and float64 only:
 *
 *   8 bytes   N, the header's length (unsigned 64-bit little-endian)
 *   N bytes   a JSON header: { "__metadata__"?: { string: string },
 *                              name: { dtype: "F32" | "F64", shape: [..], data_offsets: [begin, end] }, ... }
 *             padded with spaces to a multiple of 8 bytes, so that every tensor starts aligned
 *   the rest  the tensors' bytes, little-endian, back to back; offsets count from the header's end
 *
 * Chosen over a format of our own because it is the smallest one that streams (the header says
 * where every tensor is, so each one is written from and read into its own typed array, never a
 * string or a copy of the whole model) and Python's `safetensors` (and so PyTorch) opens it as is.
 *
 * Writing yields the header and then views of the tensors' own memory (on a big-endian machine,
 * byte-swapped copies of at most `chunkBytes`); reading allocates each tensor and reads straight
 * into it. A malformed file raises a SafetensorsFormatError that says what is wrong, without the
 * path: the caller knows what the file was meant to be and names it.
 */
import type { FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';

export type TensorDtype = 'F32' | 'F64';

export interface NamedTensor {
  name: string;
  values: Float32Array | Float64Array;
  /** The tensor's shape as readers see it; absent, one dimension (checkpoints keep flat tensors). */
  shape?: number[];
}

export interface TensorInfo {
  dtype: TensorDtype;
  shape: number[];
  /** Element count (the product of the shape). */
  count: number;
  /** Absolute byte offsets in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  tensors: Map<string, TensorInfo>;
  /** Where the tensor data would end if the file is complete. */
  expectedBytes: number;
}

export class SafetensorsFormatError extends Error {
  constructor(message: string, readonly kind: 'foreign' | 'truncated' | 'invalid') {
    super(message);
    this.name = 'SafetensorsFormatError';
  }
}

/** Headers larger than this are refused rather than read: ours are a few MB at most (vocabulary, histories). */
export const MAX_HEADER_BYTES = 256 * 2 ** 20;
/** At most this many bytes per write or read call (one call must stay under 2 GiB). */
const chunkBytes = 64 * 2 ** 20;
const littleEndian = endianness() === 'LE';
const widths: Record<TensorDtype, number> = { F32: 4, F64: 8 };

function dtypeOf(values: Float32Array | Float64Array): TensorDtype {
  return values instanceof Float64Array ? 'F64' : 'F32';
}

/** The length prefix and the padded JSON header for these tensors, in this order. */
export function encodeHeader(tensors: readonly NamedTensor[], metadata: Record<string, string>): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.values.byteLength;
    header[t.name] = { dtype: dtypeOf(t.values), shape: t.shape ?? [t.values.length], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const out = Buffer.alloc(8 + padded, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  return out;
}

/** The file's bytes in order: the header, then each tensor (views of its memory on little-endian machines). */
export function* encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string>): Generator<Uint8Array> {
  yield encodeHeader(tensors, metadata);
  for (const { values } of tensors) {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    for (let at = 0; at < bytes.length; at += chunkBytes) {
      const part = bytes.subarray(at, Math.min(bytes.length, at + chunkBytes));
      yield littleEndian ? part : swapped(part, values.BYTES_PER_ELEMENT);
    }
  }
}

/** A byte-swapped copy (each `width`-byte word reversed): native big-endian to little-endian and back. */
function swapped(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) for (let k = 0; k < width; k++) out[i + k] = bytes[i + width - 1 - k];
  return out;
}

/** Writes all of `chunks` at the handle's position (a write may take less than it was given). */
export async function writeChunks(handle: FileHandle, chunks: Iterable<Uint8Array>): Promise<void> {
  for (const chunk of chunks) {
    let done = 0;
    while (done < chunk.length) done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten;
  }
}

async function readExactly(handle: FileHandle, into: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, Math.min(chunkBytes, into.length - done), position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Reads and checks the header of a file of `size` bytes; reads no tensor data. */
export async function readHeader(handle: FileHandle, size: number): Promise<SafetensorsHeader> {
  const prefix = Buffer.alloc(9);
  const got = await readExactly(handle, prefix, 0);
  // A header is JSON, so the byte after the length is `{`: anything else is not this container.
  if (got < 9 || prefix[8] !== 0x7b) throw new SafetensorsFormatError('it is not a safetensors file.', 'foreign');
  const length = prefix.readBigUInt64LE(0);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsFormatError(`its header is ${length} bytes, more than the ${MAX_HEADER_BYTES} bytes a checkpoint's header may have.`, 'invalid');
  }
  const headerBytes = Number(length);
  if (8 + headerBytes > size) throw new SafetensorsFormatError(`it is truncated: expected a header of ${headerBytes} bytes, found ${size - 8}.`, 'truncated');
  const text = Buffer.alloc(headerBytes);
  await readExactly(handle, text, 8);
  let raw: unknown;
  try {
    raw = JSON.parse(text.toString('utf8'));
  } catch {
    throw new SafetensorsFormatError('its header is not JSON.', 'foreign');
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SafetensorsFormatError('its header is not a JSON object.', 'foreign');
  const dataStart = 8 + headerBytes;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  let dataBytes = 0;
  for (const [name, entry] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry && typeof entry === 'object' && Object.values(entry).every((v) => typeof v === 'string')) metadata = entry as Record<string, string>;
      else throw new SafetensorsFormatError('its __metadata__ is not a map of strings.', 'invalid');
      continue;
    }
    tensors.set(name, tensorInfo(name, entry, dataStart));
    dataBytes = Math.max(dataBytes, tensors.get(name)!.end - dataStart);
  }
  return { metadata, tensors, expectedBytes: dataStart + dataBytes };
}

function tensorInfo(name: string, entry: unknown, dataStart: number): TensorInfo {
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  const bad = (why: string) => new SafetensorsFormatError(`its tensor "${name}" ${why}.`, 'invalid');
  if (!e || typeof e !== 'object') throw bad('has no description');
  if (e.dtype !== 'F32' && e.dtype !== 'F64') throw bad(`has dtype ${String(e.dtype)}; only F32 and F64 are read`);
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!Array.isArray(e.shape) || !e.shape.every(isCount)) throw bad('has no valid shape');
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !isCount(offsets[0]) || !isCount(offsets[1])) throw bad('has no valid data_offsets');
  const count = (e.shape as number[]).reduce((a, b) => a * b, 1);
  if (offsets[1] - offsets[0] !== count * widths[e.dtype]) throw bad(`has ${offsets[1] - offsets[0]} bytes for ${count} ${e.dtype} values`);
  return { dtype: e.dtype, shape: e.shape as number[], count, begin: dataStart + offsets[0], end: dataStart + offsets[1] };
}

/** Reads one tensor straight into a new typed array of its dtype; `size` is the file's size. */
export async function readTensor(handle: FileHandle, info: TensorInfo, size: number): Promise<Float32Array | Float64Array> {
  const values = info.dtype === 'F64' ? new Float64Array(info.count) : new Float32Array(info.count);
  const bytes = new Uint8Array(values.buffer);
  const got = await readExactly(handle, bytes, info.begin);
  if (got < bytes.length) throw new SafetensorsFormatError(`it is truncated: expected ${info.end} bytes, found ${size}.`, 'truncated');
  if (!littleEndian) bytes.set(swapped(bytes, values.BYTES_PER_ELEMENT));
  return values;
}
