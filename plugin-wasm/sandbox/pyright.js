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

import { createWorkerChecker } from './checker.js';

const here = (path) => new URL(path, import.meta.url).href;

/** How long one check may take before the checker gives up on the worker (cold start included). */
const CHECK_LIMIT_MS = 120_000;

export function createPythonChecker({ timeoutMs = CHECK_LIMIT_MS } = {}) {
  return createWorkerChecker({
    name: 'pyright',
    spawn: () => new Worker(here('./pyright-worker.js'), { type: 'module', name: 'pilotfish-pyright' }),
    // Starts the language server with a one-line file, so the first real check is warm.
    warmFile: { path: '__pilotfish_warm__.py', text: 'x: int = 1\n' },
    timeoutMs,
  });
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
