/** Compiles the stand-in NVIDIA driver (stand-in.cc) into `library`, with the first C++ compiler found. */
import { spawnSync } from 'node:child_process';

export function compileStandIn(source: string, library: string): void {
  const errors: string[] = [];
  for (const cxx of ['g++', 'clang++-16', 'clang++', 'c++']) {
    const r = spawnSync(cxx, ['-std=c++17', '-O2', '-U_FORTIFY_SOURCE', '-fPIC', '-shared', '-Wall', '-Werror', '-Wno-unknown-pragmas', '-o', library, source], { encoding: 'utf8' });
    if (r.status === 0) return;
    errors.push(`${cxx}: ${r.error?.message ?? r.stderr.slice(0, 400)}`);
  }
  throw new Error(`could not compile the stand-in driver (install g++):\n${errors.join('\n')}`);
}
