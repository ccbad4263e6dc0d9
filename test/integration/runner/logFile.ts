/** Timestamped log files for one test run, optionally echoed to stdout. */
import { closeSync, openSync, writeSync } from 'node:fs';
import { format } from 'node:util';

/** Known harmless workbench messages on a machine without internet access. */
export const harmlessNoise = [/open-vsx\.org/, /vsda/, /ChatSessionStore/];

/**
 * A log kept in a file, with timestamps. Used for the workbench's log (`codeAutomationLog`, which
 * carries the extension host's console and so the mocha report) and the browser's console. While
 * `relaying`, lines also go to stdout, minus known noise.
 */
export class LogFile {
  relaying = false;
  private readonly fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  write(level: string, args: unknown): void {
    const text = Array.isArray(args) ? format(...args) : String(args);
    try {
      writeSync(this.fd, `${new Date().toISOString().slice(11, 23)} [${level}] ${text}\n`);
    } catch {
      // Closed: the run is over.
    }
    if (this.relaying && !harmlessNoise.some((pattern) => pattern.test(text))) process.stdout.write(`${text}\n`);
  }

  close(): void {
    closeSync(this.fd);
  }
}
