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

import { createWorkerChecker } from './checker.js';

const here = (path) => new URL(path, import.meta.url).href;

/** How long one check may take before the checker gives up on the worker (cold start included). */
const CHECK_LIMIT_MS = 60_000;

export function createTypeScriptChecker({ timeoutMs = CHECK_LIMIT_MS } = {}) {
  return createWorkerChecker({
    name: 'typescript',
    // A classic worker: the compiler is a script that defines a global (`importScripts`).
    spawn: () => new Worker(here('./ts-worker.js'), { name: 'pilotfish-typescript' }),
    // Loads the compiler and the libs with a one-line file, so the first real check is warm.
    warmFile: { path: '__pilotfish_warm__.ts', text: 'export const x: number = 1;\n' },
    timeoutMs,
  });
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
