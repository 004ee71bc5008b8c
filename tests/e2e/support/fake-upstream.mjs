// The fake upstream's control API (proxy/examples/fake_upstream.rs), as the browser tests use it:
// script what the model writes next, make it misbehave, and read what it saw. `cargo xtask test`
// passes its address as PILOTFISH_E2E_CONTROL.
import assert from 'node:assert/strict';

const control = process.env.PILOTFISH_E2E_CONTROL;

async function post(path, body) {
  const res = await fetch(`${control}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 204, `${path}: ${await res.text()}`);
}

/** The next answers are `text`, streamed in `chunks` pieces with `eventDelayMs` before each;
 * with `then`, the answers after the next one, in order (the last one stays). */
export function script(text, { chunks = 3, eventDelayMs = 0, then = [] } = {}) {
  return post('/script', { text, chunks, event_delay_ms: eventDelayMs, then });
}

/** `{ mode: "normal" | "stall" | "drop_after" | "stall_after" | "status", n, code, times }`. */
export function mode(body) {
  return post('/mode', body);
}

/** `{ hits, cancellations, paths }` so far. */
export async function stats() {
  return (await fetch(`${control}/stats`)).json();
}

/** Waits (10 s at most) for the fake to report `predicate` true: it notices a dropped client
 * asynchronously. */
export async function until(predicate, what) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = await stats();
    if (predicate(s)) return s;
    if (Date.now() > deadline) assert.fail(`the fake upstream never saw ${what}: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
