#!/usr/bin/env node
// Writes what is derived from the settings table (src/engine/config/settings.ts) and the presets:
// package.json's contributes.configuration, and README.md's settings and presets tables.
// `npm run test:unit` fails while either differs.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = await build({
  stdin: {
    contents: "export { contributedConfiguration } from './src/engine/config/contributes';\n" +
      "export { presetsMarkdown, replaceBetweenMarkers, settingsMarkdown } from './src/engine/config/docs';\n",
    resolveDir: root, loader: 'ts',
  },
  absWorkingDir: root, bundle: true, write: false, platform: 'node', format: 'esm', logLevel: 'warning',
});
const derived = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);

const manifestPath = `${root}package.json`;
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
manifest.contributes.configuration = derived.contributedConfiguration();
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');

const readmePath = `${root}README.md`;
let readme = readFileSync(readmePath, 'utf8');
readme = derived.replaceBetweenMarkers(readme, 'settings', derived.settingsMarkdown());
readme = derived.replaceBetweenMarkers(readme, 'presets', derived.presetsMarkdown());
writeFileSync(readmePath, readme);
console.log(`package.json: ${manifest.contributes.configuration.reduce((n, c) => n + Object.keys(c.properties).length, 0)} settings; README.md: settings and presets tables`);
