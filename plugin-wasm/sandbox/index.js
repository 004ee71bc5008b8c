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

const here = (path) => new URL(path, import.meta.url).href;

/** Where esbuild-wasm is served; change with `configureSandbox` when not at the repo root.
 * (The Python worker finds Pyodide the same way, relative to itself.) */
const urls = {
  esbuild: here('../../node_modules/esbuild-wasm/esm/browser.min.js'),
  esbuildWasm: here('../../node_modules/esbuild-wasm/esbuild.wasm'),
};

/** Messages a run may send beyond one per test before it counts as a flood. */
const MESSAGE_SLACK = 64;
/** Tests one run may report. */
const MAX_TESTS = 1000;

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

function emptyResult() {
  return { tests: [], error: null, timedOut: false, truncated: false, stdout: '', stderr: '' };
}

/** Cuts strings in a result from a worker so the page keeps at most `cap` characters of output. */
function capResult(result, cap) {
  let left = cap;
  const take = (s) => {
    const text = typeof s === 'string' ? s : '';
    const kept = text.slice(0, Math.max(0, left));
    left -= kept.length;
    if (kept.length < text.length) result.truncated = true;
    return kept;
  };
  result.stdout = take(result.stdout);
  result.stderr = take(result.stderr);
  for (const t of result.tests) {
    t.stdout = take(t.stdout);
    t.stderr = take(t.stderr);
    if (typeof t.error === 'string' && t.error.length > 4000) t.error = `${t.error.slice(0, 4000)} …(cut)`;
  }
  return result;
}

/** A test record from a worker, checked for shape so a hostile message cannot smuggle objects. */
function testRecord(t) {
  return {
    name: String(t?.name ?? '?').slice(0, 500),
    passed: t?.passed === true,
    error: t?.error == null ? null : String(t.error),
    stdout: String(t?.stdout ?? ''),
    stderr: String(t?.stderr ?? ''),
    ms: Number.isFinite(t?.ms) ? t.ms : 0,
  };
}

/** How long a fresh JavaScript worker may take to load its modules before the run is given up. */
const START_LIMIT_MS = 30_000;

/**
 * Posts `job` to `worker` and settles with its result, or with what stopped it: the time limit,
 * a flood of messages, a crash. With `waitReady` the clock starts when the worker says it is
 * ready (its modules loaded and locked down), so a slow start on a busy machine is not charged
 * to the job's code; the worker then has START_LIMIT_MS to get there.
 */
function supervise(worker, job, { timeoutMs, outputCap, nonce, waitReady = false }) {
  return new Promise((resolve) => {
    const result = emptyResult();
    let messages = 0;
    let settled = false;
    let timer;
    const end = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (why) {
        worker.terminate();
        Object.assign(result, why, { terminated: true });
      }
      resolve(capResult(result, outputCap));
    };
    const startClock = () => {
      clearTimeout(timer);
      timer = setTimeout(() => end({
        timedOut: true,
        error: `stopped after ${timeoutMs} ms (the sandbox's time limit)${result.tests.length ? `; ${result.tests.length} test(s) had finished` : ''}`,
      }), timeoutMs);
    };
    if (waitReady) {
      timer = setTimeout(() => end({ error: `the sandbox worker did not start within ${START_LIMIT_MS} ms` }), START_LIMIT_MS);
    } else {
      startClock();
    }
    let ready = !waitReady;
    worker.onmessage = (event) => {
      messages += 1;
      const data = event.data;
      if (messages > MAX_TESTS + MESSAGE_SLACK) {
        end({ error: `the sandbox sent too many messages (${messages}); stopped` });
        return;
      }
      if (!ready) {
        // The first message of a fresh worker, sent by the sandbox before any job code ran.
        if (data?.type !== 'ready') return;
        ready = true;
        startClock();
        return;
      }
      if (!data || data.nonce !== nonce) return; // not the sandbox's own protocol: ignored
      if (data.type === 'test') {
        if (result.tests.length < MAX_TESTS) result.tests.push(testRecord(data.test));
      } else if (data.type === 'done') {
        const r = data.result ?? {};
        // The final list is the worker's, checked; it equals the streamed one when all is well.
        result.tests = Array.isArray(r.tests) ? r.tests.slice(0, MAX_TESTS).map(testRecord) : result.tests;
        result.error = r.error == null ? null : String(r.error);
        result.truncated = r.truncated === true;
        result.stdout = String(r.stdout ?? '');
        result.stderr = String(r.stderr ?? '');
        end(null);
      }
    };
    worker.onerror = (event) => {
      event.preventDefault?.();
      end({ error: `the sandbox worker failed: ${event.message || 'unknown error'}` });
    };
    worker.onmessageerror = () => end({ error: 'the sandbox sent a message that could not be read' });
    worker.postMessage({ ...job, nonce });
  });
}

function nonce() {
  return crypto.getRandomValues(new Uint32Array(4)).join('-');
}

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
  if (typeof code !== 'string' || typeof tests !== 'string') throw new Error('pilotfish sandbox: `code` and `tests` must be strings');
  if (!(timeoutMs > 0) || !(outputCap >= 0)) throw new Error('pilotfish sandbox: `timeoutMs` must be > 0 and `outputCap` >= 0');
  const job = { code, tests, timeoutMs, outputCap, module };
  const result = kind === 'python' ? await runPython(job) : await runScript({ ...job, loader: kind });
  delete result.terminated;
  return result;
}
