// The test sandbox inside VS Code's web worker extension host: `runTests` for JavaScript and
// TypeScript, the same contract as the page's `plugin-wasm/sandbox/index.js` (the result is
// `{ tests: [{ name, passed, error, stdout, stderr, ms }], error, timedOut, truncated, stdout,
// stderr, timings }`), so `sandbox/refine.js` takes it as its `runTests`.
//
// The worker is `sandbox/js-worker.js` itself (its lockdown, assert and test harness), bundled by
// build.mjs into one classic script whose text this module imports: code-server's extension host
// can start nested workers only as classic ones (it wraps each in a blob worker that calls
// `importScripts`), and the extension's files are not URLs a worker could load anyway. A fresh
// worker per run, terminated when it ends; `sandbox/supervise.js` enforces the time limit, the
// message count and the output cap, as for the page.
//
// The source becomes plain CommonJS-style JS with sucrase, not the page's esbuild-wasm: esbuild's
// wasm (14 MB, 3.7 MB compressed) would more than double the .vsix (2.9 MB) and would have to be
// read through `workspace.fs` like the engine's; sucrase is plain JS (about 205 KB of the bundle,
// 52 KB compressed) and only strips types and rewrites `import`/`export`, which is all the worker
// needs. It leaves the rest of the code as written, so a syntax error the transform does not
// notice is reported by the worker's compile instead. Its output starts with "use strict", so
// the code runs in strict mode, as an ES module would.
//
// Python is not offered here: Pyodide is tens of MB, too much for an extension to carry.
import { transform } from 'sucrase';
import workerScript from 'pilotfish:js-worker';
import { checkJob, emptyResult, nonce, supervise } from '../../sandbox/supervise.js';

/** Sucrase's transforms per language the refiner speaks. */
const TRANSFORMS = {
  javascript: ['imports'],
  typescript: ['typescript', 'imports'],
};

/** The error a run in another language gets. */
export const UNSUPPORTED = 'generate with tests in VS Code for the Web runs JavaScript and TypeScript '
  + '(Python needs Pyodide, tens of MB, which the extension does not carry)';

/** `import`/`export` become `require`/`exports`; dynamic `import()` becomes `require()` too
 * (sucrase does so unless `preserveDynamicImport` is set), which the worker refuses for anything
 * but the implementation: no module loads from anywhere. */
function toScript(source, transforms, what) {
  try {
    return { js: transform(source, { transforms }).code };
  } catch (error) {
    return { error: `${what} does not parse: ${error.message}` };
  }
}

let url = null;

/** The worker script as a blob URL, made once: every run starts a fresh worker from it. */
function workerUrl() {
  url ??= URL.createObjectURL(new Blob([workerScript], { type: 'text/javascript' }));
  return url;
}

/**
 * Runs `tests` against `code` in a fresh locked-down worker.
 * @param {{ language: string, code: string, tests?: string, timeoutMs?: number, outputCap?: number, module?: string }} job
 */
export async function runTests({ language, code, tests = '', timeoutMs = 5000, outputCap = 1 << 20, module = 'solution' }) {
  const transforms = TRANSFORMS[String(language).toLowerCase()];
  if (!transforms) throw new Error(`Pilotfish: ${UNSUPPORTED}; this is ${language}.`);
  checkJob({ code, tests, timeoutMs, outputCap });
  const t0 = performance.now();
  const implementation = toScript(code, transforms, 'the implementation');
  const suite = implementation.error ? {} : toScript(tests, transforms, 'the tests');
  const failed = implementation.error ?? suite.error;
  if (failed) return { ...emptyResult(), error: failed, timings: { transformMs: performance.now() - t0 } };
  const t1 = performance.now();
  const worker = new Worker(workerUrl(), { name: 'pilotfish-sandbox-js' });
  const result = await supervise(worker, { code: implementation.js, tests: suite.js, module, outputCap }, { timeoutMs, outputCap, nonce: nonce(), waitReady: true });
  worker.terminate();
  delete result.terminated;
  const t2 = performance.now();
  result.timings = { transformMs: t1 - t0, runMs: t2 - t1, totalMs: t2 - t0 };
  return result;
}
