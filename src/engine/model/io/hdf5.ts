/**
 * HDF5 files as plain trees, through h5wasm (the HDF5 C library compiled to WebAssembly: no native
 * build, the same code in Node, VS Code's Node and the CLI).
 *
 * A file is read whole into a tree of groups, attributes and numeric datasets (Keras weight files
 * are megabytes, not gigabytes), so the Keras layout code works on plain objects and never touches
 * the library. Writing goes the other way: a tree becomes a file.
 *
 * h5wasm is loaded on first use only: its WebAssembly module is large, and most runs never open
 * an HDF5 file.
 */
import { UserInputError, unreadableFile } from '../../text/errors';
import { assertReadableFile } from '../../text/file';
import fs = require('node:fs');

/** Attribute values as Keras uses them: strings (names, JSON), string lists, numbers. */
export type H5Attribute = string | number | boolean | Array<string | number | boolean>;

export interface H5Dataset {
  kind: 'dataset';
  shape: number[];
  /** The values in row-major order, as float64 (null for a dataset that is not numeric). */
  values: Float64Array | null;
  attrs: Record<string, H5Attribute>;
}

export interface H5Group {
  kind: 'group';
  attrs: Record<string, H5Attribute>;
  /** Children in the file's order (Keras relies on attributes for order, not on this). */
  children: Map<string, H5Group | H5Dataset>;
}

export type H5Node = H5Group | H5Dataset;

type H5Module = typeof import('h5wasm/node');
let library: Promise<H5Module> | undefined;

async function h5wasm(): Promise<H5Module> {
  library ??= (async () => {
    const lib = await import('h5wasm/node');
    await lib.ready;
    return lib;
  })();
  return library;
}

/** The 8-byte signature every HDF5 file starts with (at offset 0 for the files we read). */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function looksLikeHdf5(head: Uint8Array): boolean {
  return HDF5_SIGNATURE.every((b, i) => head[i] === b);
}

function attributeValue(value: unknown): H5Attribute | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) {
    const flat = value.flat(Infinity) as unknown[];
    const items = flat.map((v) => (typeof v === 'bigint' ? Number(v) : v));
    if (items.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) return items as Array<string | number | boolean>;
  }
  return undefined;
}

function readAttributes(entity: { attrs: Record<string, { json_value: unknown }> }): Record<string, H5Attribute> {
  const out: Record<string, H5Attribute> = {};
  for (const [name, attr] of Object.entries(entity.attrs)) {
    let value: H5Attribute | undefined;
    try {
      value = attributeValue(attr.json_value);
    } catch {
      value = undefined; // An attribute of a type we do not use (references, compounds): skip it.
    }
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * Runs a synchronous HDF5 call with stderr held back: the library prints its diagnostic stack
 * (dozens of HDF5-DIAG lines) before it fails, and the failure itself becomes one message.
 */
function quietly<T>(call: () => T): T {
  // The library writes to file descriptor 2 directly (fs.writeSync), not through process.stderr.
  const writeSync = fs.writeSync;
  // Claims the whole buffer was written, so a writer that loops until everything is written stops.
  const held = ((fd: number, buffer: unknown, ...rest: unknown[]) => {
    if (fd !== 2) return (writeSync as (...a: unknown[]) => number)(fd, buffer, ...rest);
    const length = rest[1];
    return typeof length === 'number' ? length : typeof buffer === 'string' ? Buffer.byteLength(buffer) : (buffer as ArrayBufferView).byteLength;
  }) as typeof fs.writeSync;
  const write = process.stderr.write;
  fs.writeSync = held;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return call();
  } finally {
    fs.writeSync = writeSync;
    process.stderr.write = write;
  }
}

/** Reads a whole HDF5 file. A file that is not HDF5, or is damaged, gets a message naming it. */
export async function readHdf5(path: string): Promise<H5Group> {
  await assertReadableFile(path);
  const { open } = await import('node:fs/promises');
  const head = new Uint8Array(8);
  try {
    const handle = await open(path, 'r');
    try {
      await handle.read(head, 0, 8, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw unreadableFile(path, error);
  }
  if (!looksLikeHdf5(head)) throw new UserInputError(`${path} is not an HDF5 file (it does not start with the HDF5 signature).`);
  const lib = await h5wasm();
  let file: InstanceType<H5Module['File']>;
  try {
    file = quietly(() => new lib.File(path, 'r'));
  } catch (error) {
    throw new UserInputError(`cannot open ${path} as HDF5: ${(error as Error).message}`);
  }
  try {
    return quietly(() => readGroup(lib, file));
  } catch (error) {
    throw new UserInputError(`cannot read ${path}: the HDF5 file is damaged or truncated (${String((error as Error).message ?? error)}).`);
  } finally {
    quietly(() => file.close());
  }
}

function readGroup(lib: H5Module, group: InstanceType<H5Module['Group']>): H5Group {
  const children = new Map<string, H5Node>();
  for (const name of group.keys()) {
    const child = group.get(name);
    if (child instanceof lib.Group) children.set(name, readGroup(lib, child));
    else if (child instanceof lib.Dataset) children.set(name, readDataset(child));
    // Links that lead nowhere and named datatypes carry no weights: skip them.
  }
  return { kind: 'group', attrs: readAttributes(group), children };
}

function readDataset(dataset: InstanceType<H5Module['Dataset']>): H5Dataset {
  const shape = dataset.shape ?? [];
  const raw = dataset.value;
  let values: Float64Array | null = null;
  if (ArrayBuffer.isView(raw) && !(raw instanceof DataView)) {
    const typed = raw as unknown as ArrayLike<number | bigint>;
    values = new Float64Array(typed.length);
    for (let i = 0; i < typed.length; i++) values[i] = Number(typed[i]);
  } else if (typeof raw === 'number') {
    values = Float64Array.of(raw);
  }
  return { kind: 'dataset', shape, values, attrs: readAttributes(dataset) };
}

/** What to write: groups, attributes and float32 (or float64) datasets. */
export interface H5WriteDataset {
  kind: 'dataset';
  shape: number[];
  values: Float32Array | Float64Array;
  attrs?: Record<string, H5Attribute>;
}

export interface H5WriteGroup {
  kind: 'group';
  attrs?: Record<string, H5Attribute>;
  /** Written in this order. */
  children: Array<[string, H5WriteGroup | H5WriteDataset]>;
}

/** Writes a tree as a new HDF5 file (replacing any file at `path`). */
export async function writeHdf5(path: string, root: H5WriteGroup): Promise<void> {
  const lib = await h5wasm();
  let file: InstanceType<H5Module['File']>;
  try {
    file = quietly(() => new lib.File(path, 'w'));
  } catch (error) {
    throw new UserInputError(`cannot create ${path}: ${(error as Error).message}`);
  }
  try {
    quietly(() => {
      writeGroup(file, root);
      file.flush();
    });
  } catch (error) {
    throw new UserInputError(`cannot write ${path}: ${String((error as Error).message ?? error)}`);
  } finally {
    quietly(() => file.close());
  }
}

function writeAttributes(target: InstanceType<H5Module['Group']> | InstanceType<H5Module['Dataset']>, attrs: Record<string, H5Attribute> | undefined): void {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (Array.isArray(value) && value.length === 0) {
      // An empty list (a layer without weights has `weight_names = []`): h5wasm cannot guess its type.
      target.create_attribute(name, new Float32Array(0), [0], '<f');
    } else if (Array.isArray(value) && typeof value[0] === 'number') {
      target.create_attribute(name, Float64Array.from(value as number[]));
    } else {
      target.create_attribute(name, value as string | string[] | number);
    }
  }
}

function writeGroup(group: InstanceType<H5Module['Group']>, node: H5WriteGroup): void {
  writeAttributes(group, node.attrs);
  for (const [name, child] of node.children) {
    if (child.kind === 'group') {
      writeGroup(group.create_group(name), child);
    } else {
      const dataset = group.create_dataset({ name, data: child.values, shape: child.shape, dtype: child.values instanceof Float32Array ? '<f' : '<d' });
      writeAttributes(dataset, child.attrs);
    }
  }
}

/** The node at a '/'-separated path under `group`, or undefined. */
export function nodeAt(group: H5Group, path: string): H5Node | undefined {
  let node: H5Node | undefined = group;
  for (const part of path.split('/').filter((p) => p.length > 0)) {
    if (!node || node.kind !== 'group') return undefined;
    node = node.children.get(part);
  }
  return node;
}
