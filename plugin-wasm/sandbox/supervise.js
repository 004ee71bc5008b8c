// The sandbox's supervision of one run in a worker, apart from where the worker comes from: the
// page's module workers (index.js) and the VS Code extension's blob-URL worker
// (../vscode/src/sandbox.js) both hand theirs to `supervise`. It enforces what the worker cannot
// be trusted to: the wall-clock limit (terminate), the number and size of messages accepted, and
// the output cap again on what arrives. No `import.meta` here: bundlers may inline this module.

/** Messages a run may send beyond one per test before it counts as a flood. */
const MESSAGE_SLACK = 64;
/** Tests one run may report. */
const MAX_TESTS = 1000;

/** Refuses a job both sandboxes (the page's and the VS Code extension's) could not run. */
export function checkJob({ code, tests, timeoutMs, outputCap }) {
  if (typeof code !== 'string' || typeof tests !== 'string') throw new Error('pilotfish sandbox: `code` and `tests` must be strings');
  if (!(timeoutMs > 0) || !(outputCap >= 0)) throw new Error('pilotfish sandbox: `timeoutMs` must be > 0 and `outputCap` >= 0');
}

export function emptyResult() {
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
export function supervise(worker, job, { timeoutMs, outputCap, nonce, waitReady = false }) {
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

export function nonce() {
  return crypto.getRandomValues(new Uint32Array(4)).join('-');
}
