/**
 * The integration suite's entry point: VS Code loads this file in the extension host (it is the
 * `extensionTestsPath`) and awaits `run()`; a rejection makes the test exit code 1. Same shape as
 * under @vscode/test-electron, so both runners share it.
 *
 * RNN_LAB_TEST_GREP (optional) runs only the tests whose full title matches it.
 */
import Mocha from 'mocha';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 120_000 });
  if (process.env.RNN_LAB_TEST_GREP) mocha.grep(process.env.RNN_LAB_TEST_GREP);

  // Sorted, so the files run in the order their names give.
  const files = readdirSync(__dirname).filter((name) => name.endsWith('.test.js')).sort();
  if (files.length === 0) throw new Error(`no *.test.js files next to ${__filename}: run npm run build`);
  for (const name of files) mocha.addFile(join(__dirname, name));

  const stats = await new Promise<{ passes: number; failures: number; pending: number }>((done) => {
    const runner = mocha.run(() => done({ passes: runner.stats?.passes ?? 0, failures: runner.stats?.failures ?? 0, pending: runner.stats?.pending ?? 0 }));
  });

  if (stats.pending > 0) console.log(`${stats.pending} skipped`);
  console.log(`${stats.passes} passed, ${stats.failures} failed`);
  if (stats.failures > 0) throw new Error(`${stats.failures} integration test(s) failed`);
  if (stats.passes === 0) throw new Error('no integration test ran');
}
