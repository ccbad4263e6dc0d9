#!/usr/bin/env node
// Writes package.json's contributes.configuration from the settings table
// (src/engine/config/settings.ts). `npm run test:unit` fails while the two differ.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = await build({
  entryPoints: ['src/engine/config/contributes.ts'], absWorkingDir: root, bundle: true, write: false,
  platform: 'node', format: 'esm', logLevel: 'warning',
});
const module = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
const path = `${root}package.json`;
const manifest = JSON.parse(readFileSync(path, 'utf8'));
manifest.contributes.configuration = module.contributedConfiguration();
writeFileSync(path, JSON.stringify(manifest, null, 2) + '\n');
console.log(`package.json: ${Object.keys(manifest.contributes.configuration.properties).length} settings`);
