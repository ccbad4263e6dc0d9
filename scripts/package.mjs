#!/usr/bin/env node
// `npm run package`: a production build, then one .vsix per platform. Each carries the bundles,
// the WebAssembly kernels and the GPU kernels' PTX; the targeted ones also carry koffi's
// JavaScript and the one prebuilt koffi binary that platform loads, under dist/node_modules/ where
// the bundles' `require('koffi')` finds it (the CUDA driver on Linux and Windows, the native
// matrix products everywhere), and that platform's native products library only (built by
// scripts/build-native.sh where its compiler is installed; macOS's products are Accelerate's,
// which every Mac has). A last, untargeted .vsix (no FFI: the CPU engine with WebAssembly products
// only) serves every other platform.
//   node scripts/package.mjs [--target linux-x64,win32-x64,...]
// koffi's binaries for other platforms than this one are fetched from the npm registry with
// `npm pack` (at packaging time only) into .package-cache/.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/**
 * VS Code targets with koffi (whose platform package has the same name, npm `@koromix/koffi-<target>`)
 * and each one's native products library in dist/ (none: Accelerate, from the system): the file
 * src/engine/backends/wasm/native.ts's nativeProductsLibrary looks for on that platform.
 */
const TARGETS = {
  'linux-x64': 'products-linux-x64.so',
  'linux-arm64': 'products-linux-arm64.so',
  'win32-x64': 'products-win32-x64.dll',
  'darwin-x64': undefined,
  'darwin-arm64': undefined,
};
const LIBRARIES = Object.values(TARGETS).filter(Boolean);
const koffiVersion = JSON.parse(readFileSync(join(root, 'node_modules/koffi/package.json'), 'utf8')).version;
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const arg = process.argv.indexOf('--target');
const wanted = arg > 0 ? process.argv[arg + 1].split(',') : [...Object.keys(TARGETS), 'universal'];
for (const t of wanted) if (t !== 'universal' && !(t in TARGETS)) throw new Error(`unknown target ${t} (${Object.keys(TARGETS).join(', ')}, universal)`);

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status})`);
}

/** The folder holding @koromix/koffi-<pkg>: node_modules for this platform, else unpacked from the registry. */
function koffiPlatformPackage(pkg) {
  const installed = join(root, 'node_modules/@koromix', `koffi-${pkg}`);
  if (existsSync(installed)) return installed;
  const cache = join(root, '.package-cache', `koffi-${pkg}-${koffiVersion}`);
  if (!existsSync(join(cache, 'package/package.json'))) {
    mkdirSync(cache, { recursive: true });
    const packed = spawnSync('npm', ['pack', '--silent', `@koromix/koffi-${pkg}@${koffiVersion}`], { cwd: cache, encoding: 'utf8' });
    if (packed.status !== 0) throw new Error(`npm pack @koromix/koffi-${pkg}@${koffiVersion} failed: ${packed.stderr}`);
    run('tar', ['xzf', packed.stdout.trim().split('\n').pop()], { cwd: cache });
  }
  return join(cache, 'package');
}

/** koffi's run-time JavaScript (no sources, docs or headers) and one platform's binary, into dist/node_modules. */
function stageKoffi(pkg) {
  const dest = join(root, 'dist/node_modules');
  rmSync(dest, { recursive: true, force: true });
  const koffi = join(root, 'node_modules/koffi');
  for (const file of ['package.json', 'index.cjs', 'LICENSE.txt', 'src/koffi/index.cjs', 'src/koffi/src/static.cjs', 'src/koffi/src/trampolines.cjs']) {
    if (existsSync(join(koffi, file))) cpSync(join(koffi, file), join(dest, 'koffi', file));
  }
  const platform = koffiPlatformPackage(pkg);
  // The musl build serves Alpine, a VS Code target of its own (which gets the untargeted .vsix).
  cpSync(platform, join(dest, '@koromix', `koffi-${pkg}`), { recursive: true, filter: (src) => !/[\\/]musl_/.test(src) });
}

run('node', ['scripts/build.mjs', '--production']);
for (const target of wanted) {
  const library = TARGETS[target];
  if (library && !existsSync(join(root, 'dist', library))) {
    console.warn(`package: note: dist/${library} was not built here (scripts/build-native.sh says why), so the ${target} .vsix runs every product in WebAssembly`);
  }
}
/** The native products libraries, set aside from dist/ while a .vsix is made, and put back after. */
const aside = join(root, '.package-cache/products');
function setLibrariesAside() {
  mkdirSync(aside, { recursive: true });
  for (const library of LIBRARIES) if (existsSync(join(root, 'dist', library))) renameSync(join(root, 'dist', library), join(aside, library));
}
/** Only `target`'s library in dist/. */
function stageNativeProducts(target) {
  for (const library of LIBRARIES) {
    const inDist = join(root, 'dist', library), spare = join(aside, library);
    if (library === TARGETS[target] && existsSync(spare)) cpSync(spare, inDist);
    else rmSync(inDist, { force: true });
  }
}
function putLibrariesBack() {
  for (const library of LIBRARIES) if (existsSync(join(aside, library))) renameSync(join(aside, library), join(root, 'dist', library));
}
const made = [];
setLibrariesAside();
try {
  for (const target of wanted) {
    const out = `${manifest.name}-${target}-${manifest.version}.vsix`;
    stageNativeProducts(target);
    if (target === 'universal') {
      rmSync(join(root, 'dist/node_modules'), { recursive: true, force: true });
      run('npx', ['vsce', 'package', '--no-dependencies', '--no-rewrite-relative-links', '-o', out]);
    } else {
      stageKoffi(target);
      run('npx', ['vsce', 'package', '--no-dependencies', '--no-rewrite-relative-links', '--target', target, '-o', out]);
    }
    made.push(`${out} (${(statSync(join(root, out)).size / 1024 / 1024).toFixed(1)} MiB)`);
  }
} finally {
  rmSync(join(root, 'dist/node_modules'), { recursive: true, force: true });
  stageNativeProducts('universal');
  putLibrariesBack();
}
console.log(`packaged:\n  ${made.join('\n  ')}`);
