/** Files the build ships beside the bundles (the kernels, the worker, the native products, the PTX). */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Finds a shipped file: next to the running bundle (dist/trainer.js, dist/cli.js,
 * dist/wasm-worker.js), else in a `dist/` folder above it (test bundles under out/).
 */
export function findBundledFile(name: string, from = __dirname): string | undefined {
  const beside = path.join(from, name);
  if (fs.existsSync(beside)) return beside;
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'dist', name);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}
