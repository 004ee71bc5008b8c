// The page's side of TypeScript/JavaScript type checking for hosts without a TypeScript worker of
// their own (issue 15, item 1): a checker that owns one `ts-worker.js` and answers
// `check(files, target)` with the target's diagnostics, and `hostDiagnostics`, which turns them
// into what the refinement loop's `record` takes as `host`. Same API as `pyright.js`.
//
//   import { createTypeScriptChecker, hostDiagnostics } from '/plugin-wasm/sandbox/ts.js';
//   const checker = createTypeScriptChecker();
//   const diagnostics = await checker.check([{ path: 'src/app.ts', text }, ...projectFiles], 'src/app.ts');
//   // [{ path, line, column, endLine, endColumn, severity, code, message }]
//
// The first check loads the compiler (9 MB) and parses the lib files, so a host creates the
// checker early and may call `warm()` while the model is still writing.

const here = (path) => new URL(path, import.meta.url).href;

/** How long one check may take before the checker gives up on the worker (cold start included). */
const CHECK_LIMIT_MS = 60_000;

export function createTypeScriptChecker({ timeoutMs = CHECK_LIMIT_MS } = {}) {
  let worker = null;
  let nextId = 1;
  const calls = new Map();

  const spawn = () => {
    // A classic worker: the compiler is a script that defines a global (`importScripts`).
    worker = new Worker(here('./ts-worker.js'), { name: 'pilotfish-typescript' });
    worker.addEventListener('message', (event) => {
      const { id, type, diagnostics, error, ms } = event.data ?? {};
      const call = calls.get(id);
      if (!call) return;
      calls.delete(id);
      clearTimeout(call.timer);
      if (type === 'result') call.resolve(Object.assign(diagnostics, { ms }));
      else call.reject(new Error(`pilotfish typescript: ${error}`));
    });
    worker.addEventListener('error', (event) => stop(new Error(`pilotfish typescript: ${event.message ?? 'the worker failed'}`)));
  };

  // A worker that failed or timed out is dropped with every call on it; the next check starts a
  // fresh one.
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
      const timer = setTimeout(() => stop(new Error(`pilotfish typescript: no answer in ${timeoutMs} ms`)), timeoutMs);
      calls.set(id, { resolve, reject, timer });
      worker.postMessage({ id, type: 'check', files, target });
    });
  };

  return {
    check,
    /** Loads the compiler and the libs with a one-line file, so the first real check is warm. */
    warm: () => check([{ path: '__pilotfish_warm__.ts', text: 'export const x: number = 1;\n' }], '__pilotfish_warm__.ts'),
    terminate: () => stop(new Error('pilotfish typescript: terminated')),
  };
}

/** Diagnostics as the engine's `HostDiagnostic`s (`Refiner.record`'s `host`): the code goes into
 * the message (`TS2345`), so the model reads which check failed. */
export function hostDiagnostics(diagnostics) {
  return diagnostics.map((d) => ({
    message: `${d.message} (TS${d.code})`,
    line: d.line,
    column: d.column,
    severity: d.severity,
    source: 'typescript',
  }));
}
