/**
 * The integration suite's entry point (the `extensionTestsPath` of `npm run test:vscode`), shared
 * by both runners. RNN_LAB_TEST_GREP (optional) runs only the tests whose full title matches it.
 */
import { runTestFilesIn } from '../runMocha';

export function run(): Promise<void> {
  return runTestFilesIn(__dirname);
}
