/**
 * Entry point of the screenshot "suite" (`npm run screenshot`): not a test of the extension but the
 * recipe for the README's pictures of the Lab panel, run in the same real VS Code as the tests.
 */
import { runTestFilesIn } from '../runMocha';

export function run(): Promise<void> {
  return runTestFilesIn(__dirname, 300_000);
}
