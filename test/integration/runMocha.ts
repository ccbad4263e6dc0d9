/**
 * Runs the mocha test files (`*.test.js`) next to a suite's entry point, in the order their names
 * give, and prints `N passed, N failed`. VS Code loads a suite's entry (its `extensionTestsPath`)
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

  const files = readdirSync(dir).filter((name) => name.endsWith('.test.js')).sort();
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
