// What the type checkers' page sides share (`pyright.js`, `ts.js`): one worker per checker,
// started on the first check, answering `{ id, type: 'check', files, target }` with
// `{ id, type: 'result', diagnostics, ms }` or `{ id, type: 'error', error }`, each check bounded
// by a time limit. A worker that failed or timed out is dropped with every call on it, and the
// next check starts a fresh one rather than trusting a checker in an unknown state.

/**
 * @param {{ name: string, spawn: () => Worker, warmFile: { path: string, text: string }, timeoutMs: number }} options
 * `name` prefixes every error (`pilotfish pyright: …`); `warmFile` is the one-line file `warm()`
 * checks so that the first real check finds the checker loaded.
 */
export function createWorkerChecker({ name, spawn, warmFile, timeoutMs }) {
  let worker = null;
  let nextId = 1;
  const calls = new Map();
  const failure = (message) => new Error(`pilotfish ${name}: ${message}`);

  const stop = (error) => {
    worker?.terminate();
    worker = null;
    for (const call of calls.values()) {
      clearTimeout(call.timer);
      call.reject(error);
    }
    calls.clear();
  };

  const start = () => {
    worker = spawn();
    worker.addEventListener('message', (event) => {
      const { id, type, diagnostics, error, ms } = event.data ?? {};
      const call = calls.get(id);
      if (!call) return;
      calls.delete(id);
      clearTimeout(call.timer);
      if (type === 'result') call.resolve(Object.assign(diagnostics, { ms }));
      else call.reject(failure(error));
    });
    worker.addEventListener('error', (event) => stop(failure(event.message ?? 'the worker failed')));
  };

  /** Diagnostics of `target` checked with `files` (`[{ path, text }]`, the target among them). */
  const check = (files, target) => {
    if (!worker) start();
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => stop(failure(`no answer in ${timeoutMs} ms`)), timeoutMs);
      calls.set(id, { resolve, reject, timer });
      worker.postMessage({ id, type: 'check', files, target });
    });
  };

  return {
    check,
    warm: () => check([warmFile], warmFile.path),
    terminate: () => stop(failure('terminated')),
  };
}
