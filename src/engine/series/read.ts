/**
 * Series files: one number per line, or columns separated by commas, semicolons, tabs or spaces
 * (CSV), with an optional header line of column names; blank lines and lines starting with # are
 * skipped. The file is read line by line and reading stops as soon as it holds more points than
 * the lab trains on, so a ten-million-line file costs a bounded read and a clear message.
 */
import { basename } from 'node:path';
import { UserInputError } from '../text/errors';
import { assertReadableFile } from '../text/file';
import { readLinesCapped } from '../text/lines';
import { MAX_SERIES_POINTS } from './settings';

// The lab trains on the whole series at once (full-batch, full backpropagation through time): its
// longest series is declared with the settings (the --mackey-glass limit is the same).
export { MAX_SERIES_POINTS } from './settings';
/** Enough rows for a training part and a validation part of a few steps each. */
export const MIN_SERIES_POINTS = 20;
/** A line of a series file holds a few numbers; a longer one means the file is not a series. */
export const MAX_SERIES_LINE_CHARS = 1024 * 1024;

export interface Series {
  /** Where it came from, for messages ("mackey-glass(2000)" or a file name). */
  name: string;
  /** Row-major values, `columns` per time step. */
  values: Float64Array;
  columns: number;
  columnNames: string[];
}

export interface ReadSeriesOptions {
  /** One column to use, by header name or 1-based number; all columns when absent. */
  column?: string;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/** Splits a line on the file's separator (found on its first line). */
function separatorOf(line: string): RegExp {
  if (line.includes(',')) return /\s*,\s*/;
  if (line.includes(';')) return /\s*;\s*/;
  if (line.includes('\t')) return /\s*\t\s*/;
  return /\s+/;
}

/** Parses series text line by line; `lines` may be a stream, so reading stops at the limit. */
export async function parseSeriesLines(lines: AsyncIterable<string> | Iterable<string>, name: string, options: ReadSeriesOptions = {}): Promise<Series> {
  let separator: RegExp | undefined;
  let names: string[] | undefined;
  let pick: number[] | undefined;
  let width = 0;
  const values: number[] = [];
  let rows = 0;
  let lineNumber = 0;
  for await (const raw of lines) {
    lineNumber++;
    const line = (lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
    if (line === '' || line.startsWith('#')) continue;
    separator ??= separatorOf(line);
    const fields = line.split(separator);
    if (names === undefined) {
      // The first line names the columns when any of its fields is not a number.
      const isHeader = fields.some((f) => !NUMBER.test(f) && !NON_FINITE.test(f));
      names = isHeader ? fields.map((f) => f.replace(/^"(.*)"$/, '$1')) : fields.map((_, i) => `column ${i + 1}`);
      width = fields.length;
      pick = pickColumns(names, options.column, name);
      if (isHeader) continue;
    }
    if (fields.length !== width) {
      throw new UserInputError(`${name}, line ${lineNumber}: ${fields.length} values where the first line has ${width}; every line needs the same columns`);
    }
    for (const c of pick!) {
      const field = fields[c];
      if (NON_FINITE.test(field)) throw new UserInputError(`${name}, line ${lineNumber}: "${field}" is not a finite number; remove or fill in missing values`);
      if (!NUMBER.test(field)) throw new UserInputError(`${name}, line ${lineNumber}: "${field.slice(0, 40)}" is not a number; a series file holds numbers only (one per line, or CSV columns)`);
      const v = Number(field);
      if (!Number.isFinite(v)) throw new UserInputError(`${name}, line ${lineNumber}: ${field} is too large for a float64`);
      values.push(v);
    }
    rows++;
    if (rows > MAX_SERIES_POINTS) {
      throw new UserInputError(`${name} has more than ${MAX_SERIES_POINTS.toLocaleString('en-US')} points; the lab trains on the whole series at once, so use a shorter stretch of it`);
    }
  }
  if (!names || !pick) throw new UserInputError(`${name} holds no numbers (one per line, or CSV columns)`);
  const series: Series = { name, values: Float64Array.from(values), columns: pick.length, columnNames: pick.map((c) => names![c]) };
  assertLearnable(series);
  return series;
}

function pickColumns(names: string[], column: string | undefined, file: string): number[] {
  if (column === undefined) return names.map((_, i) => i);
  const byName = names.indexOf(column);
  if (byName >= 0) return [byName];
  const n = Number(column);
  if (Number.isInteger(n) && n >= 1 && n <= names.length) return [n - 1];
  throw new UserInputError(`${file} has no column "${column}" (columns: ${names.join(', ')}; or give a number 1-${names.length})`);
}

/** Too short or constant series have nothing to learn: say so instead of training on them. */
export function assertLearnable(series: Series): void {
  const D = series.columns;
  const T = series.values.length / D;
  if (T < MIN_SERIES_POINTS) {
    throw new UserInputError(`${series.name} has ${T} point${T === 1 ? '' : 's'}; the lab needs at least ${MIN_SERIES_POINTS} (a training part and a validation part)`);
  }
  for (let d = 0; d < D; d++) {
    const first = series.values[d];
    let constant = true;
    for (let t = 1; t < T && constant; t++) constant = series.values[t * D + d] === first;
    if (constant) throw new UserInputError(`${series.name}: ${series.columnNames[d]} is constant (every value is ${first}); there is nothing to predict`);
  }
}

export async function readSeriesFile(path: string, options: ReadSeriesOptions = {}): Promise<Series> {
  const name = basename(path);
  await assertReadableFile(path, 'series file');
  return parseSeriesLines(readLinesCapped(path, MAX_SERIES_LINE_CHARS, name), name, options);
}
