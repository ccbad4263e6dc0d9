#!/usr/bin/env node
// Builds everything into dist/ (what ships) and out/ (tests):
//   dist/extension.js  extension host (cjs, `vscode` external)
//   dist/trainer.js    the forked trainer process
//   dist/cli.js        the `rnn-lab` command
//   dist/webview/*.js  webview bundles (browser, iife); their CSS is in media/
//   dist/webgpu-worker.js, dist/webgpu-relay.js  the WebGPU backend's device hosts: Dawn, or the extension's GPU webview
//   dist/kernels*.wasm compiled by scripts/build-wasm.sh (clang + lld)
//   dist/products-*.so, .dll  native matrix products, by scripts/build-native.sh (where its compilers are)
//   dist/rnn-lab-kernels.ptx  the GPU kernels' PTX (committed; scripts/build-ptx.sh regenerates it)
//   dist/pytorch/      python/'s model.py, train.py, predict.py and README.md (export --pytorch copies them)
//   out/test/**        unit tests (node --test) and the integration test entry points
// `--production` minifies, drops source maps and skips the tests. `--watch` rebuilds on change.
import { build, context } from 'esbuild';
import { chmodSync, copyFileSync, existsSync, readdirSync, statSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// fileURLToPath, not .pathname: the URL form is percent-encoded (a space becomes %20).
const root = fileURLToPath(new URL('..', import.meta.url));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

function listTests(dir) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const found = [];
  for (const name of readdirSync(abs)) {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) found.push(...listTests(relative(root, p)));
    else if (name.endsWith('.ts')) found.push(relative(root, p));
  }
  return found;
}

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};

// ESM dependencies bundled into CommonJS (h5wasm) read `import.meta.url`: give them the bundle's own URL.
const node = {
  ...common, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'koffi', 'webgpu'],
  define: { 'import.meta.url': 'importMetaUrl' }, inject: [join(root, 'scripts/import-meta-url.js')],
};

// The webviews import the settings table, and through it the backend registry, whose loaders reach
// the backends' Node code by `import()` (src/engine/backends/registry.ts). A webview never loads a
// backend: its bundle leaves every `import()` unresolved instead of failing on `node:fs`.
const dynamicImportsLeftOut = {
  name: 'dynamic-imports-left-out',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined));
  },
};

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { trainer: 'src/trainer/main.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { 'wasm-worker': 'src/engine/backends/wasm/worker.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { 'webgpu-worker': 'src/engine/backends/webgpu/nodeWorker.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { 'webgpu-relay': 'src/engine/backends/webgpu/relayWorker.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  ...['lab', 'samples', 'series', 'gpu'].map((v) => ({
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: { [v]: `webview/${v}/main.ts` },
    outdir: 'dist/webview',
    plugins: [dynamicImportsLeftOut],
  })),
  // Tests are not part of a production (packaging) build.
  !production && { ...node, sourcemap: 'inline', minify: false, external: [...node.external, 'mocha', 'playwright-core', '@vscode/test-electron'],
    entryPoints: [...listTests('test/unit'), ...listTests('test/integration'), ...listTests('test/gpu')],
    outdir: 'out', outbase: '.' },
].filter(Boolean);

/** uPlot's stylesheet, beside the webview bundles (the Lab panel links it). */
function copyChartStyles() {
  mkdirSync(join(root, 'dist/webview'), { recursive: true });
  copyFileSync(join(root, 'node_modules/uplot/dist/uPlot.min.css'), join(root, 'dist/webview/uPlot.min.css'));
}

function buildWasm() {
  for (const script of ['build-wasm.sh', 'build-native.sh']) {
    const r = spawnSync('bash', [join(root, 'scripts', script)], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}

// The GPU kernels ship as PTX beside the bundles; koffi (external above) loads the driver.
function copyPtx() {
  copyFileSync(join(root, 'src/engine/backends/cuda/kernels/kernels.ptx'), join(root, 'dist/rnn-lab-kernels.ptx'));
}

// The PyTorch folder's scripts (python/), which `export --pytorch` copies beside the weights.
function copyPytorchScripts() {
  mkdirSync(join(root, 'dist/pytorch'), { recursive: true });
  for (const name of readdirSync(join(root, 'python')).filter((n) => /\.(py|md)$/.test(n))) copyFileSync(join(root, 'python', name), join(root, 'dist/pytorch', name));
}

if (!watch) {
  rmSync(join(root, 'out'), { recursive: true, force: true });
  mkdirSync(join(root, 'dist'), { recursive: true });
  buildWasm();
  copyPtx();
  copyPytorchScripts();
  await Promise.all(builds.map((b) => build(b)));
  copyChartStyles();
  // The `rnn-lab` bin runs directly from a shell too.
  chmodSync(join(root, 'dist/cli.js'), 0o755);
} else {
  buildWasm();
  copyPtx();
  copyChartStyles();
  for (const b of builds) await (await context(b)).watch();
  console.log('watching...');
}
