// End-to-end tests of the assistant in headless Chromium against the REAL proxy (pilotfish-proxy)
// in front of the in-repo fake upstream (proxy/examples/fake_upstream.rs), as `cargo xtask test`
// starts them: the page loads the assistant package (plugin-wasm/pkg-assistant) and drives its
// Engine as an editor adapter would. The fake's control API scripts what the model "writes" and
// counts what it saw (requests, and clients that went away mid-answer).
//
// Run: cargo xtask test (it sets PILOTFISH_DEMO_URL, PILOTFISH_E2E_PROXY, PILOTFISH_E2E_CONTROL,
// PILOTFISH_E2E_TOKEN).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { mode, script, stats, until } from './support/fake-upstream.mjs';

const pageUrl = process.env.PILOTFISH_DEMO_URL && new URL('tests/e2e/pages/assistant.html', process.env.PILOTFISH_DEMO_URL).href;
const proxyUrl = process.env.PILOTFISH_E2E_PROXY;
const control = process.env.PILOTFISH_E2E_CONTROL;
const token = process.env.PILOTFISH_E2E_TOKEN;

let browser;
let page;
const pageErrors = [];

const FILES = [
  { path: 'src/calc.py', text: 'def add(a, b):\n    return a + b\n\n\ndef scale(values, factor):\n    return [v * factor for v in values]\n' },
  { path: 'src/report.py', text: 'from calc import add\n\n\ndef total(values):\n    return \n\n\nprint(total([1, 2]))\n' },
];
const REPORT = FILES[1].text;
/** The cursor after `return ` in `total`. */
const CURSOR = REPORT.indexOf('return ') + 'return '.length;

/** A fresh Engine in the page with the project indexed and the assistant configured. */
async function setUp(extra = {}) {
  return page.evaluate(async ({ files, proxyUrl, token, extra }) => {
    const engine = new window.Engine();
    engine.indexFiles(files);
    window.engine = engine;
    return engine.configureAssistant({
      proxyUrl, token, debounce: { minMs: 0, maxMs: 0, initialMs: 0 }, ...extra,
    });
  }, { files: FILES, proxyUrl, token, extra });
}

before(async () => {
  assert.ok(pageUrl && proxyUrl && control && token,
    'set PILOTFISH_DEMO_URL, PILOTFISH_E2E_PROXY, PILOTFISH_E2E_CONTROL and PILOTFISH_E2E_TOKEN (cargo xtask test does this)');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(pageUrl);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
});

after(async () => {
  await browser?.close();
});

test('a completion streams in pieces, stops at the end of its line and closes the stream early', async () => {
  await setUp();
  await mode({ mode: 'normal' });
  await script('sum(values)\n    print("never shown")\n', { chunks: 8, eventDelayMs: 20 });
  const before = await stats();
  const result = await page.evaluate(async ({ path, text, offset }) => {
    const pieces = [];
    const suggestion = await window.engine.complete({ path, text, offset }, {
      onText: (piece, soFar) => pieces.push(soFar),
    });
    return { suggestion, pieces };
  }, { path: 'src/report.py', text: REPORT, offset: CURSOR });
  assert.equal(result.suggestion.text, 'sum(values)');
  assert.equal(result.suggestion.source, 'network');
  assert.equal(result.suggestion.mode, 'single');
  assert.equal(result.suggestion.model, 'autocomplete');
  assert.ok(result.pieces.length >= 2, `rendered incrementally: ${JSON.stringify(result.pieces)}`);
  assert.ok(result.pieces[0].length < result.pieces.at(-1).length);
  const after = await until((s) => s.cancellations > before.cancellations, 'the early stop close the stream');
  assert.equal(after.hits, before.hits + 1);
  assert.equal(after.paths.at(-1), 'completions');
  assert.deepEqual(pageErrors, []);
});

test('typing into a shown suggestion reuses it with no request', async () => {
  await setUp();
  await mode({ mode: 'normal' });
  await script('sum(values)\n', { chunks: 3 });
  const first = await page.evaluate(({ path, text, offset }) =>
    window.engine.complete({ path, text, offset }), { path: 'src/report.py', text: REPORT, offset: CURSOR });
  assert.equal(first.text, 'sum(values)');
  const before = await stats();
  const typed = REPORT.slice(0, CURSOR) + 'su' + REPORT.slice(CURSOR);
  const second = await page.evaluate(({ path, text, offset }) =>
    window.engine.complete({ path, text, offset }), { path: 'src/report.py', text: typed, offset: CURSOR + 2 });
  assert.equal(second.source, 'prefix_cache');
  assert.equal(second.text, 'm(values)');
  assert.equal((await stats()).hits, before.hits, 'no request reached the upstream');
  const metrics = await page.evaluate(() => window.engine.metrics());
  assert.equal(metrics.tasks.autocomplete.cache_hits, 1);
  assert.equal(metrics.suggestions_shown, 2);
});

test('a newer completion aborts the one in flight; it resolves to null and the upstream sees the abort', async () => {
  await setUp();
  await mode({ mode: 'normal' });
  // Slow enough that the first request is still streaming when the second starts.
  await script('len(values) + 0\n', { chunks: 12, eventDelayMs: 150 });
  const before = await stats();
  await page.evaluate(({ path, text, offset }) => {
    window.first = window.engine.complete({ path, text, offset });
  }, { path: 'src/report.py', text: REPORT, offset: CURSOR });
  await until((s) => s.hits > before.hits, 'the first request');
  await script('ax(values)\n', { chunks: 2 });
  const typed = REPORT.slice(0, CURSOR) + 'm' + REPORT.slice(CURSOR);
  const [first, second] = await page.evaluate(async ({ path, text, offset }) => {
    const second = await window.engine.complete({ path, text, offset });
    return [await window.first, second];
  }, { path: 'src/report.py', text: typed, offset: CURSOR + 1 });
  assert.equal(first, null, 'the stale answer is never shown');
  assert.equal(second.source, 'network');
  assert.equal(second.text, 'ax(values)', 'the suggestion continues what was typed');
  await until((s) => s.cancellations > before.cancellations, 'the abort');
  const metrics = await page.evaluate(() => window.engine.metrics());
  assert.equal(metrics.tasks.autocomplete.cancelled, 1);
  assert.equal(metrics.request_overhead_ms.count, 2);
});

test("the host's AbortSignal cancels a completion", async () => {
  await setUp();
  await mode({ mode: 'normal' });
  await script('len(values)\n', { chunks: 10, eventDelayMs: 150 });
  const before = await stats();
  await page.evaluate(({ path, text, offset }) => {
    window.controller = new AbortController();
    window.pending = window.engine.complete({ path, text, offset }, { signal: window.controller.signal });
  }, { path: 'src/report.py', text: REPORT, offset: CURSOR });
  // Abort once the request is on the wire (the fake has it), not after a guessed delay.
  await until((s) => s.hits > before.hits, 'the request');
  const result = await page.evaluate(() => {
    window.controller.abort();
    return window.pending;
  });
  assert.equal(result, null);
  await until((s) => s.cancellations > before.cancellations, 'the abort');
});

test('an upstream failure mid-stream reaches the host as an error, not as text', async () => {
  await setUp();
  await script('sum(values) if values else 0\n', { chunks: 6 });
  await mode({ mode: 'drop_after', n: 2, times: 1 });
  const outcome = await page.evaluate(async ({ path, text, offset }) => {
    const pieces = [];
    try {
      const s = await window.engine.complete({ path, text, offset }, { onText: (p) => pieces.push(p) });
      return { resolved: s, pieces };
    } catch (error) {
      return { error: String(error.message), pieces };
    }
  }, { path: 'src/report.py', text: REPORT, offset: CURSOR });
  assert.equal(outcome.resolved, undefined, `resolved with ${JSON.stringify(outcome.resolved)}`);
  assert.match(outcome.error, /^pilotfish: complete: /);
  assert.match(outcome.error, /stream/);
  const metrics = await page.evaluate(() => window.engine.metrics());
  assert.equal(metrics.tasks.autocomplete.failed, 1);
  await mode({ mode: 'normal' });
});

test('a wrong token is a clear error', async () => {
  await page.evaluate(async ({ files, proxyUrl }) => {
    const engine = new window.Engine();
    engine.indexFiles(files);
    window.engine = engine;
    await engine.configureAssistant({ proxyUrl, token: 'not-the-token', debounce: { minMs: 0, maxMs: 0, initialMs: 0 } });
  }, { files: FILES, proxyUrl });
  const error = await page.evaluate(({ path, text, offset }) =>
    window.engine.complete({ path, text, offset }).then(() => 'resolved', (e) => e.message),
  { path: 'src/report.py', text: REPORT, offset: CURSOR });
  assert.match(error, /pilotfish: complete: the proxy refused the client token \(401/);
  assert.ok(!error.includes('not-the-token'), 'the token is never echoed');
});

test('chat streams an answer grounded in the project, with citations the host can link', async () => {
  await setUp();
  await mode({ mode: 'normal' });
  const reply = 'It sums the values with `add` from src/calc.py:1-2.';
  await script(reply, { chunks: 5, eventDelayMs: 10 });
  const before = await stats();
  const result = await page.evaluate(async ({ path, text, offset }) => {
    const pieces = [];
    const answer = await window.engine.chat(
      { path, text, offset, task: 'explain', question: 'What does total do?' },
      { onText: (piece) => pieces.push(piece) },
    );
    return { answer, pieces };
  }, { path: 'src/report.py', text: REPORT, offset: CURSOR });
  assert.equal(result.answer.text, reply);
  assert.equal(result.pieces.join(''), reply);
  assert.ok(result.pieces.length >= 2);
  assert.equal(result.answer.model, 'chat');
  assert.equal(result.answer.task, 'explain');
  assert.ok(result.answer.citations.some((c) => c.path === 'src/calc.py' && c.startLine === 1),
    JSON.stringify(result.answer.citations));
  const after = await stats();
  assert.equal(after.hits, before.hits + 1);
  assert.equal(after.paths.at(-1), 'chat/completions');
});

test('a reload restores the response cache from IndexedDB', async () => {
  const persist = `pilotfish-e2e-${Date.now()}`;
  await setUp({ persist });
  await mode({ mode: 'normal' });
  await script('sorted(values)\n', { chunks: 3 });
  const first = await page.evaluate(async ({ path, text, offset }) => {
    const s = await window.engine.complete({ path, text, offset });
    await window.engine.flushCache();
    return s;
  }, { path: 'src/report.py', text: REPORT, offset: CURSOR });
  assert.equal(first.source, 'network');
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  const restored = await setUp({ persist });
  assert.ok(restored.restoredEntries >= 1, JSON.stringify(restored));
  const before = await stats();
  const again = await page.evaluate(({ path, text, offset }) =>
    window.engine.complete({ path, text, offset }), { path: 'src/report.py', text: REPORT, offset: CURSOR });
  assert.equal(again.source, 'response_cache');
  assert.equal(again.text, first.text);
  assert.equal((await stats()).hits, before.hits, 'served with no request');
});
