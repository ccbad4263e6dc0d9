/** Runs the built CLI (npm run build puts it in dist/) as a user would, for the tests that drive `rnn-lab`. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const cli = join(__dirname, '../../../dist/cli.js');
export const samples = join(__dirname, '../../../samples');

export function rnnLab(args: string[], cwd: string) {
  // No NVIDIA driver, even on a machine with one: these tests are about the CPU engine and messages.
  const env = { ...process.env, RNN_LAB_CUDA_DRIVER: '/nonexistent/libcuda.so.1' };
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 120_000, env, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
