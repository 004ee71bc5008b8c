// Bundles the extension into one worker file, dist/extension.js (CommonJS: VS Code's web worker
// extension host loads `browser` entries that way), copies the engine's .wasm beside it, and
// writes LICENSE (the repository's MIT OR Apache-2.0, both texts; vsce packs it from here).
// esbuild-wasm, the root package.json's, so no native binary is needed. `cargo xtask vsix` runs
// this after `build-wasm --assistant`; run by hand: `node plugin-wasm/vscode/build.mjs`.
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild-wasm';

const here = fileURLToPath(new URL('.', import.meta.url));
const dist = `${here}dist`;
const wasm = fileURLToPath(new URL('../pkg-assistant/plugin_wasm_bg.wasm', import.meta.url));

await stat(wasm).catch(() => {
  throw new Error(`${wasm} is missing: run \`cargo xtask build-wasm --assistant\` first`);
});
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
const result = await esbuild.build({
  entryPoints: [`${here}src/extension.js`],
  outfile: `${dist}/extension.js`,
  bundle: true,
  format: 'cjs',
  platform: 'browser',
  target: 'es2022',
  external: ['vscode'],
  minify: true,
  sourcemap: false,
  metafile: true,
  // The wasm-bindgen glue falls back to `import.meta.url` only when it is given no module; the
  // extension always hands it the bytes it read through workspace.fs.
  logOverride: { 'empty-import-meta': 'silent' },
});
await copyFile(wasm, `${dist}/plugin_wasm_bg.wasm`);
const licenseText = (name) => readFile(fileURLToPath(new URL(`../../${name}`, import.meta.url)), 'utf8');
await writeFile(`${here}LICENSE`, [
  'Pilotfish is licensed under either of the MIT license or the Apache License, Version 2.0,',
  'at your option (SPDX: MIT OR Apache-2.0). Both texts follow.',
  '', '-'.repeat(78), '', await licenseText('LICENSE-MIT'), '-'.repeat(78), '', await licenseText('LICENSE-APACHE'),
].join('\n'));
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`plugin-wasm/vscode/dist: extension.js ${bytes} bytes, plugin_wasm_bg.wasm ${(await stat(wasm)).size} bytes`);
