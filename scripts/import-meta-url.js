// Injected into the CommonJS bundles (see build.mjs): `import.meta.url` of the bundle file itself.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
