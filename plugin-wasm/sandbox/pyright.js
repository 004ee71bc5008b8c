// The page's side of Python type checking (issue 15, item 1): a checker that owns one
// `pyright-worker.js` and answers `check(files, target)` with the target's diagnostics, and
// `hostDiagnostics`, which turns them into what the refinement loop's `record` takes as `host`.
//
//   import { createPythonChecker, hostDiagnostics } from '/plugin-wasm/sandbox/pyright.js';
//   const checker = createPythonChecker();
//   const diagnostics = await checker.check([{ path: 'app.py', text }, ...projectFiles], 'app.py');
//   // [{ path, range, line, column, endLine, endColumn, severity, rule, message }]
//
// The worker starts the language server on the first check (seconds: the bundle is 17 MB), so a
// host creates the checker early and may call `warm()` while the model is still writing.

const here = (path) => new URL(path, import.meta.url).href;

/** How long one check may take before the checker gives up on the worker (cold start included). */
const CHECK_LIMIT_MS = 120_000;

export function createPythonChecker({ timeoutMs = CHECK_LIMIT_MS } = {}) {
  let worker = null;
  let nextId = 1;
  const calls = new Map();

  const spawn = () => {
    worker = new Worker(here('./pyright-worker.js'), { type: 'module', name: 'pilotfish-pyright' });
    worker.addEventListener('message', (event) => {
      const { id, type, diagnostics, error, ms } = event.data ?? {};
      const call = calls.get(id);
      if (!call) return;
      calls.delete(id);
      clearTimeout(call.timer);
      if (type === 'result') call.resolve(Object.assign(diagnostics, { ms }));
      else call.reject(new Error(`pilotfish pyright: ${error}`));
    });
    worker.addEventListener('error', (event) => stop(new Error(`pilotfish pyright: ${event.message ?? 'the worker failed'}`)));
  };

  // A worker that failed or timed out is dropped with every call on it; the next check starts a
  // fresh one rather than trusting a language server in an unknown state.
  const stop = (error) => {
    worker?.terminate();
    worker = null;
    for (const call of calls.values()) {
      clearTimeout(call.timer);
      call.reject(error);
    }
    calls.clear();
  };

  /** Diagnostics of `target` checked with `files` (`[{ path, text }]`, the target among them). */
  const check = (files, target) => {
    if (!worker) spawn();
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => stop(new Error(`pilotfish pyright: no answer in ${timeoutMs} ms`)), timeoutMs);
      calls.set(id, { resolve, reject, timer });
      worker.postMessage({ id, type: 'check', files, target });
    });
  };

  return {
    check,
    /** Starts the language server with a one-line file, so the first real check is warm. */
    warm: () => check([{ path: '__pilotfish_warm__.py', text: 'x: int = 1\n' }], '__pilotfish_warm__.py'),
    terminate: () => stop(new Error('pilotfish pyright: terminated')),
  };
}

/** Diagnostics as the engine's `HostDiagnostic`s (`Refiner.record`'s `host`): the rule goes into
 * the message, so the model reads which check failed. */
export function hostDiagnostics(diagnostics) {
  return diagnostics.map((d) => ({
    message: d.rule ? `${d.message} (${d.rule})` : d.message,
    line: d.line,
    column: d.column,
    severity: d.severity,
    source: 'pyright',
  }));
}
