// The browser test sandbox's page-side API (issue 15, item 4):
//
//   import { runTests } from '/plugin-wasm/sandbox/index.js';
//   const result = await runTests({ language: 'typescript', code, tests, timeoutMs: 5000, outputCap: 1 << 20 });
//   // { tests: [{ name, passed, error, stdout, stderr, ms }], error, timedOut, truncated,
//   //   stdout, stderr, timings: { transformMs, startMs, runMs, totalMs } }
//
// JavaScript and TypeScript: esbuild-wasm (npm) strips types and turns `import`/`export` and
// dynamic `import()` into `require`, which the worker answers with its own assert and test
// harness and the implementation's exports, and refuses for everything else. Each run gets a
// fresh module worker (`js-worker.js`) that is terminated when the run ends. Python: Pyodide (npm)
// in `py-worker.js`, one interpreter per run too; since loading one takes seconds, the next is
// loaded in the background as soon as a run ends (and `warmPython()` loads the first early).
//
// The page enforces what the worker cannot be trusted to: the wall-clock limit (terminate), the
// number and size of messages it accepts (a flood terminates the worker), and the output cap
// again on what arrives.

import { checkJob, emptyResult, nonce, supervise } from './supervise.js';

const here = (path) => new URL(path, import.meta.url).href;

/** Where esbuild-wasm is served; change with `configureSandbox` when not at the repo root.
 * (The Python worker finds Pyodide the same way, relative to itself.) */
const urls = {
  esbuild: here('../../node_modules/esbuild-wasm/esm/browser.min.js'),
  esbuildWasm: here('../../node_modules/esbuild-wasm/esbuild.wasm'),
};

export function configureSandbox(options = {}) {
  Object.assign(urls, options);
}

let esbuild = null;

/** esbuild-wasm, initialised once per page (it runs in its own worker). */
async function transformer() {
  esbuild ??= (async () => {
    const mod = await import(urls.esbuild);
    await mod.initialize({ wasmURL: urls.esbuildWasm, worker: true });
    return mod;
  })();
  try {
    return await esbuild;
  } catch (error) {
    esbuild = null;
    throw error;
  }
}

/** TypeScript or JavaScript to plain CommonJS-style JavaScript; a syntax error throws. */
async function toScript(source, loader) {
  const { transform } = await transformer();
  const out = await transform(source, {
    loader,
    format: 'cjs',
    target: 'es2022',
    // `import()` becomes `require()`, which the worker refuses: no module loads from anywhere.
    supported: { 'dynamic-import': false },
    logLevel: 'silent',
  });
  return out.code;
}

function syntaxMessage(error, what) {
  const first = error?.errors?.[0];
  if (first) {
    const where = first.location ? ` (line ${first.location.line}, column ${first.location.column + 1})` : '';
    return `${what} does not parse: ${first.text}${where}`;
  }
  return `${what} does not parse: ${error?.message ?? error}`;
}

const LANGUAGES = {
  javascript: 'js', js: 'js', jsx: 'jsx', mjs: 'js',
  typescript: 'ts', ts: 'ts', tsx: 'tsx',
  python: 'python', py: 'python',
};

async function runScript({ code, tests, loader, timeoutMs, outputCap, module }) {
  const t0 = performance.now();
  let js;
  let testJs;
  try {
    js = await toScript(code, loader);
  } catch (error) {
    return { ...emptyResult(), error: syntaxMessage(error, 'the implementation'), timings: { transformMs: performance.now() - t0 } };
  }
  try {
    testJs = await toScript(tests, loader);
  } catch (error) {
    return { ...emptyResult(), error: syntaxMessage(error, 'the tests'), timings: { transformMs: performance.now() - t0 } };
  }
  const t1 = performance.now();
  const worker = new Worker(here('./js-worker.js'), { type: 'module', name: 'pilotfish-sandbox-js' });
  const result = await supervise(worker, { code: js, tests: testJs, module, outputCap }, { timeoutMs, outputCap, nonce: nonce(), waitReady: true });
  worker.terminate();
  const t2 = performance.now();
  result.timings = { transformMs: t1 - t0, runMs: t2 - t1, totalMs: t2 - t0 };
  return result;
}

/** The next Python worker, loading or loaded: `{ worker, ready }`, or null. */
let python = null;

function pythonWorker() {
  if (python) return python;
  const worker = new Worker(here('./py-worker.js'), { type: 'module', name: 'pilotfish-sandbox-python' });
  const started = performance.now();
  const ready = new Promise((resolve, reject) => {
    worker.onmessage = (event) => {
      if (event.data?.type === 'ready') resolve(performance.now() - started);
      else if (event.data?.type === 'failed') reject(new Error(`Pyodide did not load: ${event.data.error}`));
    };
    worker.onerror = (event) => reject(new Error(`Pyodide did not load: ${event.message || 'worker error'}`));
  });
  // Nobody may be waiting yet: a failed load is reported to the run that takes this worker.
  ready.catch(() => {});
  python = { worker, ready };
  return python;
}

/** Loads Pyodide now (e.g. while the model is still writing); resolves to the load time in ms. */
export function warmPython() {
  return pythonWorker().ready;
}

/**
 * One interpreter per run: a job could monkeypatch `unittest` or the builtins and make the next
 * round's failing tests pass, so each run takes the loaded worker, which is terminated after it,
 * and the next one starts loading as soon as the run is over (the model's next answer takes
 * longer than the load). `warmPython()` starts the first one early.
 */
async function runPython({ code, tests, timeoutMs, outputCap, module }) {
  const t0 = performance.now();
  const slot = pythonWorker();
  python = null;
  let loadMs;
  try {
    loadMs = await slot.ready;
  } catch (error) {
    slot.worker.terminate();
    return { ...emptyResult(), error: String(error.message ?? error) };
  }
  const t1 = performance.now();
  const result = await supervise(slot.worker, { code, tests, module, outputCap }, { timeoutMs, outputCap, nonce: nonce() });
  slot.worker.terminate();
  pythonWorker();
  const t2 = performance.now();
  result.timings = { startMs: t1 - t0, loadMs, runMs: t2 - t1, totalMs: t2 - t0 };
  return result;
}

/**
 * Runs `tests` against `code` in a sandbox worker.
 * @param {{ language: string, code: string, tests: string, timeoutMs?: number, outputCap?: number, module?: string }} job
 */
export async function runTests({ language, code, tests = '', timeoutMs = 5000, outputCap = 1 << 20, module = 'solution' }) {
  const kind = LANGUAGES[String(language).toLowerCase()];
  if (!kind) throw new Error(`pilotfish sandbox: unsupported language "${language}" (javascript, typescript or python)`);
  checkJob({ code, tests, timeoutMs, outputCap });
  const job = { code, tests, timeoutMs, outputCap, module };
  const result = kind === 'python' ? await runPython(job) : await runScript({ ...job, loader: kind });
  delete result.terminated;
  return result;
}
