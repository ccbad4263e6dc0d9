/**
 * Runs the mocha test files (`*.test.js`) next to a suite's entry point, in the order of the number
 * their names start with (`02-` before `10-`; a file without one runs last, by name), and prints
 * `N passed, N failed`. Two files with the same number are refused: their order would be chance. VS Code loads a suite's entry (its `extensionTestsPath`)
 * in the extension host and awaits its `run()`; a rejection makes the test exit code 1.
 *
 * RNN_LAB_TEST_GREP (optional) runs only the tests whose full title matches it.
 */
import Mocha from 'mocha';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export async function runTestFilesIn(dir: string, timeoutMs = 120_000): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: timeoutMs });
  if (process.env.RNN_LAB_TEST_GREP) mocha.grep(process.env.RNN_LAB_TEST_GREP);

  const files = orderedTestFiles(readdirSync(dir), dir);
  if (files.length === 0) throw new Error(`no *.test.js files in ${dir}: run npm run build`);
  for (const name of files) mocha.addFile(join(dir, name));

  const stats = await new Promise<{ passes: number; failures: number; pending: number }>((done) => {
    const runner = mocha.run(() => done({ passes: runner.stats?.passes ?? 0, failures: runner.stats?.failures ?? 0, pending: runner.stats?.pending ?? 0 }));
  });

  if (stats.pending > 0) console.log(`${stats.pending} skipped`);
  console.log(`${stats.passes} passed, ${stats.failures} failed`);
  if (stats.failures > 0) throw new Error(`${stats.failures} integration test(s) failed`);
  if (stats.passes === 0) throw new Error('no integration test ran');
}

/** The number a test file's name starts with (`07-restore.test.js` is 7), or undefined. */
function fileNumber(name: string): number | undefined {
  const match = /^(\d+)-/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** The `*.test.js` names in run order: by their number, then unnumbered ones by name; throws on a number used twice. */
export function orderedTestFiles(names: readonly string[], dir = '.'): string[] {
  const files = names.filter((name) => name.endsWith('.test.js'));
  const byNumber = new Map<number, string>();
  for (const name of files) {
    const n = fileNumber(name);
    if (n === undefined) continue;
    const other = byNumber.get(n);
    if (other) throw new Error(`${dir}: ${other} and ${name} share the number ${n}; give each test file its own number, so the order is the one intended`);
    byNumber.set(n, name);
  }
  return [...files].sort((a, b) => {
    const [na, nb] = [fileNumber(a), fileNumber(b)];
    if (na !== undefined && nb !== undefined) return na - nb;
    if (na !== undefined) return -1;
    if (nb !== undefined) return 1;
    return a.localeCompare(b);
  });
}
