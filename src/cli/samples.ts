/** The sample texts that ship with RNN Lab (samples/ beside dist/), which presets train on. */
import { join } from 'node:path';

export function bundledSample(name: string): string {
  // dist/cli.js and dist/extension.js both sit one folder below the package root.
  return join(__dirname, '..', 'samples', name);
}
