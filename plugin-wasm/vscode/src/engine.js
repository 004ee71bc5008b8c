// The engine from the assistant package (../../pkg-assistant/, `cargo xtask build-wasm
// --assistant`), loaded inside VS Code's web worker extension host. The bundle carries the JS glue;
// the `.wasm` ships beside it in dist/ and is read through `workspace.fs`, because the extension's
// files live wherever VS Code serves them from (a remote, a CDN, the local disk) and only the
// workbench knows how to reach them.
import * as vscode from 'vscode';
import init, { Engine } from '../../pkg-assistant/plugin_wasm.js';

/** The module's path inside the extension (build.mjs copies it there). */
export const WASM_PATH = ['dist', 'plugin_wasm_bg.wasm'];

/** Loads the wasm and returns a new `Engine` speaking UTF-16 offsets, as VS Code does;
 * `timings` gets how long reading (`readMs`) and compiling and instantiating (`initMs`) took. */
export async function loadEngine(extensionUri, timings = {}) {
  const started = performance.now();
  const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, ...WASM_PATH));
  timings.readMs = performance.now() - started;
  await init({ module_or_path: bytes });
  timings.initMs = performance.now() - started - timings.readMs;
  return new Engine({ positionEncoding: 'utf16' });
}
