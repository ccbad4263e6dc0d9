/**
 * The layers point one way: the protocol, the extension, the trainer and the webviews use the
 * engine, never the reverse, so the engine runs alone (the CLI, the tests) and its payloads have
 * one owner. This walks every source file under src/engine and fails on an import (type-only
 * imports included) that reaches a layer above it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';

const root = join(__dirname, '..', '..', '..');
const engine = join(root, 'src', 'engine');
const above = ['src/protocol', 'src/extension', 'src/trainer', 'webview'];

/** Every module specifier of a source text: `import … from`, `import type … from`, `export … from`, bare `import '…'`, `import('…')`, `require('…')`. */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(m[1]);
  return found;
}

/** The upper layer (as a path from the repository root) a specifier of `file` reaches, or undefined. */
function upperLayer(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = relative(root, resolve(dirname(file), specifier)).split(sep).join('/');
  return above.find((layer) => target === layer || target.startsWith(`${layer}/`));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

test('the scanner sees every form of import, type-only ones included', () => {
  const source = [
    "import type { RunStarted } from '../../protocol/messages';",
    "import {\n  a,\n  type B,\n} from '../../extension/x';",
    "export { c } from '../../trainer/labs';",
    "export type * from '../../../webview/lab/cards';",
    "import '../../protocol/side';",
    "const m = await import('../../protocol/lazy');",
    "const r = require('../../trainer/old');",
  ].join('\n');
  const file = join(engine, 'train', 'fake.ts');
  const layers = importSpecifiers(source).map((s) => upperLayer(file, s));
  assert.deepEqual(layers, ['src/protocol', 'src/extension', 'src/trainer', 'webview', 'src/protocol', 'src/protocol', 'src/trainer']);
  assert.equal(upperLayer(file, '../config/settings'), undefined);
  assert.equal(upperLayer(file, 'node:fs'), undefined);
});

test('no file under src/engine imports the protocol, the extension, the trainer or a webview', () => {
  const files = sourceFiles(engine);
  assert.ok(files.length > 50, `expected the engine's sources under ${engine}, found ${files.length} files`);
  const violations = files.flatMap((file) => importSpecifiers(readFileSync(file, 'utf8'))
    .map((specifier) => ({ specifier, layer: upperLayer(file, specifier) }))
    .filter((i) => i.layer !== undefined)
    .map((i) => `${relative(root, file)} imports '${i.specifier}' (${i.layer})`));
  assert.deepEqual(violations, [], `the engine must not depend on the layers above it:\n${violations.join('\n')}`);
});
