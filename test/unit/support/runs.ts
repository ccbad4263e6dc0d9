/** Where a run's checkpoints are, for tests that trained one run of a file into a checkpoint folder. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointStem } from '../../../src/engine/model/io/checkpoint';

/** The run folders of a file, oldest first. */
export function runFoldersOf(checkpointDir: string, sourceName: string): string[] {
  const parent = join(checkpointDir, 'runs', checkpointStem(sourceName));
  return readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(parent, e.name)).sort();
}

/** The final checkpoint of the file's newest run (run ids sort by start time). */
export function lastOfNewestRun(checkpointDir: string, sourceName: string): string {
  const runs = runFoldersOf(checkpointDir, sourceName);
  if (runs.length === 0) throw new Error(`no run of ${sourceName} in ${checkpointDir}`);
  return join(runs[runs.length - 1], 'last.rnnlab');
}
