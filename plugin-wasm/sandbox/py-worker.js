// The Python sandbox: Pyodide (npm, served from node_modules) in a dedicated module worker. It
// loads the interpreter and `runner.py` (which runs unittest classes, `test_*` functions and
// top-level asserts with capped, per-test output), then locks the worker down (no network, no
// code loading, no postMessage but the sandbox's own) and posts `{ type: 'ready' }`. Each job
// `{ nonce, code, tests, module, outputCap }` is answered like the JavaScript worker's:
// `{ nonce, type: 'test', test }` per test, then `{ nonce, type: 'done', result }`.
//
// One job per worker: the page terminates it after the job (or at the time limit), so nothing a
// job changes in the interpreter can reach the next one; it loads the next worker meanwhile.

import { lockDown } from './lockdown.js';

const indexURL = new URL('../../node_modules/pyodide/', import.meta.url).href;
const quiet = () => {};

let send = null;
let run = null;

try {
  const { loadPyodide } = await import(`${indexURL}pyodide.mjs`);
  // Output that bypasses the job's capture (sys.__stdout__) is dropped, not logged.
  const pyodide = await loadPyodide({ indexURL, stdout: quiet, stderr: quiet });
  const runner = await (await fetch(new URL('./runner.py', import.meta.url))).text();
  pyodide.runPython(runner, { filename: 'pilotfish_runner.py' });
  run = pyodide.globals.get('run_job');
  // Pyodide needs no eval or Function once loaded, so they go too: Python's `js` module reaches
  // globalThis, and `js.eval("import(url)")` would otherwise load code from anywhere.
  send = lockDown();
  send({ type: 'ready' });
} catch (error) {
  postMessage({ type: 'failed', error: String(error?.stack ?? error) });
}

self.addEventListener('message', (event) => {
  const { nonce, code, tests, module, outputCap } = event.data ?? {};
  if (!run || typeof nonce !== 'string') return;
  const report = (json) => send({ nonce, type: 'test', test: JSON.parse(json) });
  let result;
  try {
    result = JSON.parse(run(String(code), String(tests), String(module), Number(outputCap), report));
  } catch (error) {
    result = { tests: [], error: `the sandbox failed: ${error?.message ?? error}`, truncated: false, stdout: '', stderr: '' };
  }
  send({ nonce, type: 'done', result });
});
