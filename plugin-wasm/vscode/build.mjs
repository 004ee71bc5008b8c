// Bundles the extension into one worker file, dist/extension.js (CommonJS: VS Code's web worker
// extension host loads `browser` entries that way), copies the engine's .wasm beside it, and
// writes LICENSE (the repository's MIT OR Apache-2.0, both texts; vsce packs it from here). The
// test sandbox's worker (../sandbox/js-worker.js with its lockdown and assert) is bundled first,
// into one classic script whose text the extension imports as the module `pilotfish:js-worker`
// (see src/sandbox.js: nested workers in the extension host can only be classic ones).
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
/** The sandbox worker as one minified classic (IIFE) script, for `new Worker(blob URL)`. */
async function sandboxWorker() {
  const worker = await esbuild.build({
    entryPoints: [fileURLToPath(new URL('../sandbox/js-worker.js', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
  });
  return worker.outputFiles[0].text;
}

/** Resolves `import script from 'pilotfish:js-worker'` to the worker script's text, and keeps the
 * page's sandbox out of the bundle: refine.js imports `./index.js` only when it is given no
 * `runTests`, and the extension always gives its own (index.js needs `import.meta.url`). */
const sandboxModules = {
  name: 'pilotfish-sandbox',
  setup(build) {
    build.onResolve({ filter: /^pilotfish:js-worker$/ }, (args) => ({ path: args.path, namespace: 'pilotfish-js-worker' }));
    build.onResolve({ filter: /^\.\/index\.js$/ }, (args) => (/[\\/]sandbox[\\/]refine\.js$/.test(args.importer) ? { path: args.path, external: true } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'pilotfish-js-worker' }, async () => ({
      contents: `export default ${JSON.stringify(await sandboxWorker())};`,
      loader: 'js',
    }));
  },
};

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
  plugins: [sandboxModules],
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
