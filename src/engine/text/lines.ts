/**
 * Reads a text file line by line with a cap on the length of a line, so a file that is one endless
 * line (or a huge one) costs a bounded read and a message naming the file and the line, instead of
 * a string too long for the runtime.
 */
import { createReadStream } from 'node:fs';
import { UserInputError } from './errors';

export async function* readLinesCapped(path: string, maxLineChars: number, name = path): AsyncGenerator<string> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 });
  let pending = '';
  let lineNumber = 1;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let start = 0;
      for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
        const line = pending + chunk.slice(start, nl);
        pending = '';
        if (line.length > maxLineChars) throw tooLong(name, lineNumber, maxLineChars);
        yield line.endsWith('\r') ? line.slice(0, -1) : line;
        lineNumber++;
        start = nl + 1;
      }
      pending += chunk.slice(start);
      if (pending.length > maxLineChars) throw tooLong(name, lineNumber, maxLineChars);
    }
    if (pending !== '') yield pending.endsWith('\r') ? pending.slice(0, -1) : pending;
  } finally {
    stream.destroy();
  }
}

function tooLong(name: string, lineNumber: number, max: number): UserInputError {
  return new UserInputError(`${name}, line ${lineNumber}: longer than ${max.toLocaleString('en-US')} characters; is it the right file?`);
}
