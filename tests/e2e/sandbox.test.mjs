// The browser test sandbox (plugin-wasm/sandbox/) in headless Chromium: generated code and its
// tests run in a dedicated worker (JavaScript and TypeScript through esbuild-wasm, Python through
// Pyodide), with no network, a wall-clock limit the page enforces by terminating the worker, an
// output cap, and no way to flood the page with messages. A local HTTP server counts every
// request that reaches it: code in the sandbox must never reach it.
//
// Run: cargo xtask test (it sets PILOTFISH_DEMO_URL), or `cargo xtask serve` and
// PILOTFISH_DEMO_URL=<its URL> node --test tests/e2e/sandbox.test.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import legacyAssert from 'node:assert';
import http from 'node:http';
import { chromium } from 'playwright-core';

const pageUrl = process.env.PILOTFISH_DEMO_URL && new URL('tests/e2e/pages/sandbox.html', process.env.PILOTFISH_DEMO_URL).href;

let browser;
let page;
let server;
let target;
const hits = [];
const pageErrors = [];

before(async () => {
  assert.ok(pageUrl, 'set PILOTFISH_DEMO_URL (cargo xtask test does this)');
  // The would-be exfiltration target: answers everything, with CORS open, so a request that
  // got out would succeed and could not hide behind a CORS error.
  server = http.createServer((req, res) => {
    hits.push(req.url);
    res.writeHead(200, { 'access-control-allow-origin': '*', 'content-type': 'text/javascript' });
    res.end('/* reached */');
  });
  server.on('upgrade', (req, socket) => { hits.push(`upgrade ${req.url}`); socket.destroy(); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  target = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  page = await openPage();
});

after(async () => {
  await browser?.close();
  server?.close();
  assert.deepEqual(pageErrors, [], 'the page threw');
});

async function openPage() {
  const p = await browser.newPage();
  p.on('pageerror', (error) => pageErrors.push(error.message));
  await p.goto(pageUrl);
  await p.waitForFunction(() => window.sandboxReady === true);
  return p;
}

function run(job, on = page) {
  return on.evaluate((job) => window.runTests(job), job);
}

/** The page fetches `/control` from the counting server; once it arrives, any earlier request
 * from the sandbox would have arrived too, so `hits` is complete. */
async function hitsAfterControl() {
  const marker = `/control-${hits.length}-${Date.now()}`;
  await page.evaluate((url) => fetch(url).then((r) => r.text()), `${target}${marker}`);
  assert.equal(hits.at(-1), marker);
  return hits.filter((h) => !h.startsWith('/control-'));
}

function byName(result) {
  return Object.fromEntries(result.tests.map((t) => [t.name, t]));
}

const JS_ADD = 'export function add(a, b) {\n  return a + b;\n}\n';

test('JavaScript: a passing suite is reported test by test, with its output', async () => {
  const result = await run({
    language: 'javascript',
    code: JS_ADD,
    tests: [
      "import assert from 'node:assert';",
      "import { add } from './solution.js';",
      "test('small', () => { console.log('adding', 1, 2); assert.strictEqual(add(1, 2), 3); });",
      "test('zero', () => assert.strictEqual(add(0, 0), 0));",
      "describe('async', () => { test('later', async () => { await new Promise((r) => setTimeout(r, 1)); assert.deepStrictEqual([add(1, 1)], [2]); }); });",
    ].join('\n'),
  });
  assert.equal(result.error, null);
  assert.deepEqual(result.tests.map((t) => [t.name, t.passed]), [['small', true], ['zero', true], ['async > later', true]]);
  assert.equal(byName(result).small.stdout, 'adding 1 2\n');
  assert.equal(byName(result).zero.stdout, '');
  assert.ok(result.tests.every((t) => t.ms >= 0 && t.error === null));
  assert.equal(result.timedOut, false);
});

test('JavaScript: a failing suite names the failing test and the assertion', async () => {
  const result = await run({
    language: 'javascript',
    code: 'function add(a, b) {\n  return a - b;\n}\n',
    tests: [
      "test('zero', () => assert.strictEqual(add(0, 0), 0));",
      "test('small', () => { console.error('about to fail'); assert.strictEqual(add(1, 2), 3); });",
      "test('throws', () => assert.throws(() => add(), /never/));",
    ].join('\n'),
  });
  assert.equal(result.error, null);
  const tests = byName(result);
  assert.equal(tests.zero.passed, true);
  assert.equal(tests.small.passed, false);
  assert.match(tests.small.error, /^AssertionError: Expected values to be strictly equal:\n\n-1 !== 3/);
  assert.equal(tests.small.stderr, 'about to fail\n');
  assert.equal(tests.throws.passed, false);
  assert.match(tests.throws.error, /Missing expected exception/);
});

test('TypeScript: types are stripped; passing and failing tests; a syntax error is reported', async () => {
  const code = [
    'export interface Box<T> { value: T }',
    'export function first<T>(xs: readonly T[]): T | undefined {',
    '  return xs[0];',
    '}',
    'export const unbox = <T,>(b: Box<T>): T => b.value;',
  ].join('\n');
  const result = await run({
    language: 'typescript',
    code,
    tests: [
      "import { first, unbox, type Box } from './solution';",
      "const box: Box<number> = { value: 4 };",
      "test('first', () => assert.strictEqual(first<number>([1, 2]), 1));",
      "test('empty', () => assert.strictEqual(first([]), undefined));",
      "test('unbox', () => assert.deepStrictEqual(unbox<Box<number>>({ value: box }), { value: 5 }));",
    ].join('\n'),
  });
  assert.equal(result.error, null);
  assert.deepEqual(result.tests.map((t) => [t.name, t.passed]), [['first', true], ['empty', true], ['unbox', false]]);
  assert.match(byName(result).unbox.error, /strictly deep-equal/);

  const broken = await run({ language: 'ts', code: 'export function f(x: number {\n  return x;\n}\n', tests: "test('f', () => {});" });
  assert.deepEqual(broken.tests, []);
  assert.match(broken.error, /^the implementation does not parse: .* \(line 1, column \d+\)$/);
});

test('Python: unittest classes, test functions and top-level asserts, passing and failing', async () => {
  const code = 'def add(a, b):\n    return a + b\n\n\ndef div(a, b):\n    return a / b\n';
  const passing = await run({
    language: 'python',
    code,
    tests: [
      'import unittest',
      'from solution import add',
      '',
      'class AddTest(unittest.TestCase):',
      '    def test_small(self):',
      '        print("adding")',
      '        self.assertEqual(add(1, 2), 3)',
      '',
      '    def test_zero_division(self):',
      '        with self.assertRaises(ZeroDivisionError):',
      '            div(1, 0)',
      '',
      'def test_plain():',
      '    assert add(-1, 1) == 0',
      '',
      'if __name__ == "__main__":',
      '    unittest.main()',
    ].join('\n'),
    timeoutMs: 60_000,
  });
  assert.equal(passing.error, null);
  assert.deepEqual(passing.tests.map((t) => [t.name, t.passed]),
    [['AddTest.test_small', true], ['AddTest.test_zero_division', true], ['test_plain', true]]);
  assert.equal(byName(passing)['AddTest.test_small'].stdout, 'adding\n');

  const failing = await run({
    language: 'python',
    code: code.replace('a + b', 'a - b'),
    tests: [
      'import unittest',
      '',
      'class AddTest(unittest.TestCase):',
      '    def test_small(self):',
      '        self.assertEqual(add(1, 2), 3)',
      '',
      'def test_plain():',
      '    assert add(2, 2) == 4, "two and two"',
      '',
      'def test_zero():',
      '    assert add(0, 0) == 0',
    ].join('\n'),
  });
  assert.equal(failing.error, null);
  const tests = byName(failing);
  assert.equal(tests['AddTest.test_small'].passed, false);
  assert.equal(tests['AddTest.test_small'].error, 'AssertionError: -1 != 3 (tests.py line 5: self.assertEqual(add(1, 2), 3))');
  assert.equal(tests.test_plain.error, 'AssertionError: two and two (tests.py line 8: assert add(2, 2) == 4, "two and two")');
  assert.equal(tests.test_zero.passed, true);

  const asserts = await run({ language: 'python', code, tests: 'assert add(1, 1) == 2\nassert div(4, 2) == 2\n' });
  assert.deepEqual(asserts.tests.map((t) => [t.name, t.passed]), [['tests (top level)', true]]);
  const broken = await run({ language: 'python', code: 'def f(:\n    pass\n', tests: 'assert True' });
  assert.match(broken.error, /^the implementation does not parse: .*\(line 1\)$/);
});

test('Python: what one run changes in the interpreter does not reach the next run', async () => {
  const sabotage = await run({
    language: 'python',
    code: 'import unittest, builtins\nunittest.TestCase.assertEqual = lambda *a, **k: None\nbuiltins.len = lambda x: 3\n',
    tests: 'def test_patched():\n    assert len([]) == 3\n',
    timeoutMs: 60_000,
  });
  assert.deepEqual(sabotage.tests.map((t) => [t.name, t.passed]), [['test_patched', true]]);
  const next = await run({
    language: 'python',
    code: '',
    tests: 'import unittest\n\nclass T(unittest.TestCase):\n    def test_equal(self):\n        self.assertEqual(1, 2)\n\ndef test_len():\n    assert len([]) == 0\n',
    timeoutMs: 60_000,
  });
  assert.deepEqual(next.tests.map((t) => [t.name, t.passed]), [['T.test_equal', false], ['test_len', true]]);
  assert.match(next.tests[0].error, /^AssertionError: 1 != 2/);
});

test('network access is blocked and reported, and nothing reaches the server', async () => {
  const url = `${target}/leak`;
  const attempts = {
    fetch: `await fetch('${url}')`,
    xhr: `const x = new XMLHttpRequest(); x.open('GET', '${url}'); x.send();`,
    websocket: `new WebSocket('${url.replace('http', 'ws')}')`,
    eventsource: `new EventSource('${url}')`,
    importScripts: `importScripts('${url}')`,
    worker: `new Worker('${url}')`,
    dynamicImport: `await import('${url}')`,
    evalImport: `await eval("import('${url}')")`,
    functionImport: `await (async () => {}).constructor("return import('${url}')")()`,
    stringTimer: `setTimeout("fetch('${url}')", 0)`,
    broadcast: `new BroadcastChannel('x').postMessage('${url}')`,
    requireHttp: `require('http')`,
    cacheAdd: `await (await caches.open('x')).add('${url}')`,
    fontFace: `await new FontFace('f', "url('${url}')").load()`,
    fontSet: `await fonts.load("12px f")`,
  };
  const tests = Object.entries(attempts).map(([name, body]) => `test('${name}', async () => { ${body}; });`).join('\n');
  const result = await run({ language: 'javascript', code: '', tests });
  assert.equal(result.error, null);
  assert.deepEqual(result.tests.map((t) => t.name), Object.keys(attempts));
  for (const t of result.tests) {
    assert.equal(t.passed, false, `${t.name} was not blocked`);
    assert.match(t.error, /disabled in the sandbox|not available in the sandbox/, t.name);
  }

  const python = await run({
    language: 'python',
    code: '',
    tests: [
      'import js',
      `def test_fetch():\n    js.fetch("${url}")`,
      `def test_xhr():\n    js.XMLHttpRequest.new()`,
      `def test_urllib():\n    import urllib.request\n    urllib.request.urlopen("${url}")`,
      `def test_open_url():\n    from pyodide.http import open_url\n    open_url("${url}")`,
      `def test_socket():\n    import socket\n    socket.create_connection(("127.0.0.1", ${server.address().port}))`,
      `def test_post():\n    js.postMessage("x")`,
      `def test_eval_import():\n    js.eval("import('${url}')")`,
      `def test_function_import():\n    js.Function.new("return import('${url}')")()`,
    ].join('\n'),
  });
  assert.equal(python.error, null);
  assert.equal(python.tests.length, 8);
  for (const t of python.tests) assert.equal(t.passed, false, `${t.name} was not blocked`);
  assert.match(byName(python).test_fetch.error, /disabled in the sandbox/);
  assert.match(byName(python).test_post.error, /postMessage is disabled in the sandbox/);

  assert.deepEqual(await hitsAfterControl(), [], 'a request from the sandbox reached the server');
});

test('an endless loop is stopped at the time limit and reported; the next run works', async () => {
  const started = Date.now();
  const result = await run({
    language: 'javascript',
    code: 'export function spin() { for (;;) {} }',
    tests: "test('quick', () => assert.ok(true));\ntest('spin', () => spin());",
    timeoutMs: 1000,
  });
  const elapsed = Date.now() - started;
  assert.equal(result.timedOut, true);
  assert.match(result.error, /^stopped after 1000 ms \(the sandbox's time limit\); 1 test\(s\) had finished$/);
  assert.deepEqual(result.tests.map((t) => [t.name, t.passed]), [['quick', true]]);
  assert.ok(elapsed >= 1000 && elapsed < 6000, `took ${elapsed} ms`);
  const again = await run({ language: 'javascript', code: JS_ADD, tests: "test('a', () => assert.equal(add(1, 1), 2));" });
  assert.equal(again.tests[0].passed, true);

  const python = await run({ language: 'python', code: 'def spin():\n    while True:\n        pass\n', tests: 'def test_spin():\n    spin()\n', timeoutMs: 1500 });
  assert.equal(python.timedOut, true);
  assert.match(python.error, /^stopped after 1500 ms/);
  const fresh = await run({ language: 'python', code: 'x = 1', tests: 'def test_x():\n    assert x == 1\n', timeoutMs: 60_000 });
  assert.deepEqual(fresh.tests.map((t) => [t.name, t.passed]), [['test_x', true]]);
});

test('100 MB of output is capped and reported', async () => {
  const cap = 64 * 1024;
  const result = await run({
    language: 'javascript',
    code: '',
    tests: "test('loud', () => { const mb = 'x'.repeat(1 << 20); for (let i = 0; i < 100; i++) console.log(mb); });\ntest('after', () => console.log('still here'));",
    outputCap: cap,
  });
  assert.equal(result.truncated, true);
  const loud = byName(result).loud;
  assert.equal(loud.passed, false);
  assert.match(loud.error, /output cap of 65536 characters reached/);
  assert.equal(loud.stdout.length, cap);
  const total = result.tests.reduce((n, t) => n + t.stdout.length + t.stderr.length, 0) + result.stdout.length + result.stderr.length;
  assert.ok(total <= cap, `kept ${total} characters`);

  const python = await run({
    language: 'python',
    code: '',
    tests: 'def test_loud():\n    mb = "x" * (1 << 20)\n    for _ in range(100):\n        try:\n            print(mb)\n        except Exception:\n            pass\n',
    outputCap: cap,
  });
  assert.equal(python.truncated, true);
  assert.equal(python.tests[0].passed, false);
  assert.match(python.tests[0].error, /output cap of 65536 characters reached/);
  assert.equal(python.tests[0].stdout.length, cap);
});

test('a postMessage flood is contained: nothing reaches the page', async () => {
  const before = await page.evaluate(() => window.pageMessages);
  const result = await run({
    language: 'javascript',
    code: '',
    tests: [
      "test('flood', () => { while (true) postMessage('x'.repeat(1000)); });",
      "test('descriptor', () => { const post = Object.getOwnPropertyDescriptor(self, 'postMessage').value; for (;;) post.call(self, { nonce: 'guess', type: 'done' }); });",
      "test('bound', () => { const post = globalThis.postMessage.bind(self); for (;;) post('x'); });",
    ].join('\n'),
    timeoutMs: 2000,
  });
  assert.equal(result.timedOut, false);
  assert.deepEqual(result.tests.map((t) => [t.name, t.passed]), [['flood', false], ['descriptor', false], ['bound', false]]);
  for (const t of result.tests) assert.match(t.error, /postMessage is disabled in the sandbox/);
  // A flood that swallows the errors is just an endless loop: stopped at the limit.
  const swallowed = await run({
    language: 'javascript', code: '', timeoutMs: 1000,
    tests: "test('swallowed', () => { for (;;) { try { postMessage('x'); } catch {} } });",
  });
  assert.equal(swallowed.timedOut, true);
  assert.equal(await page.evaluate(() => window.pageMessages), before);
});

// The refinement loop (plugin-wasm/sandbox/refine.js) against the real proxy and the fake
// upstream that `cargo xtask test` starts. The loop's decisions are passed in as steps shaped
// like assist::generate::Refinement's; here a small stand-in with the same contract.
const proxyUrl = process.env.PILOTFISH_E2E_PROXY;
const control = process.env.PILOTFISH_E2E_CONTROL;
const token = process.env.PILOTFISH_E2E_TOKEN;

async function script(text) {
  // Other test files share the fake: whatever fault mode one left behind ends here.
  const normal = await fetch(`${control}/mode`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'normal' }),
  });
  assert.equal(normal.status, 204);
  const res = await fetch(`${control}/script`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, chunks: 3 }),
  });
  assert.equal(res.status, 204);
}

const answer = (body) => [
  'Here is the implementation.', '', '```js', body, '```', '', 'And the tests:', '', '```js tests',
  "test('small', () => assert.strictEqual(add(1, 2), 3));",
  "test('zero', () => assert.strictEqual(add(0, 0), 0));",
  "test('negative', () => assert.strictEqual(add(-1, -2), -3));",
  '```', '',
].join('\n');
const WRONG = answer('function add(a, b) {\n  return a - b;\n}');
const RIGHT = answer('function add(a, b) {\n  return a + b;\n}');

/** Runs the loop in the page; `routes` is the assistant's routing table. */
function refineInPage(routes) {
  return page.evaluate(async ({ proxyUrl, token, routes }) => {
    const engine = new window.Engine();
    const text = '// add(a, b) returns the sum\n';
    engine.indexFiles([{ path: 'src/add.js', text }]);
    await engine.configureAssistant({ proxyUrl, token, routes, debounce: { minMs: 0, maxMs: 0, initialMs: 0 } });
    // The loop's decisions are the engine's (assist::generate through Engine.refiner).
    const steps = engine.refiner({ spec: 'Write add(a, b): it returns the sum of a and b.', language: 'javascript' });
    const seen = [];
    const result = await window.refine({
      engine, language: 'javascript', steps,
      request: { path: 'src/add.js', text, offset: text.length },
      onRound: async (round) => {
        seen.push(round.round);
        // The fake holds one script: the test changes it between rounds.
        if (round.round === 1) await window.nextScript(round.round);
      },
    });
    return { ...result, seen };
  }, { proxyUrl, token, routes });
}

test('refinement: a wrong answer, then the right one after the feedback (real proxy, fake upstream)', async () => {
  assert.ok(proxyUrl && control && token, 'set PILOTFISH_E2E_PROXY, PILOTFISH_E2E_CONTROL and PILOTFISH_E2E_TOKEN (cargo xtask test does this)');
  await page.waitForFunction(() => window.engineReady === true);
  await script(WRONG);
  await page.exposeFunction('nextScript', () => script(RIGHT));
  const result = await refineInPage({});
  assert.equal(result.accepted, true);
  assert.deepEqual(result.seen, [1, 2]);
  const [first, second] = result.rounds;
  assert.equal(first.accepted, false);
  assert.deepEqual(first.run.tests.map((t) => [t.name, t.passed]), [['small', false], ['zero', true], ['negative', false]]);
  // The engine's feedback names the failing test and carries its error.
  assert.match(first.feedback, /small/);
  assert.match(first.feedback, /-1 !== 3/);
  assert.match(first.implementation, /a - b/);
  assert.equal(second.accepted, true);
  assert.match(second.implementation, /a \+ b/);
  assert.deepEqual(second.run.tests.map((t) => t.passed), [true, true, true]);
  for (const r of result.rounds) {
    assert.equal(r.attempt, 0);
    assert.ok(r.usage && r.usage.prompt_tokens > 0, 'each round reports its usage');
  }
  // The second request carried the first answer and the feedback: it is the longer prompt.
  assert.ok(second.promptTokens > first.promptTokens, `${first.promptTokens} then ${second.promptTokens}`);
});

test('refinement: three wrong answers, the last round escalated up the ladder', async () => {
  assert.ok(proxyUrl && control && token, 'set PILOTFISH_E2E_PROXY, PILOTFISH_E2E_CONTROL and PILOTFISH_E2E_TOKEN (cargo xtask test does this)');
  await page.waitForFunction(() => window.engineReady === true);
  await script(WRONG);
  // nextScript (exposed by the previous test, or now) keeps the wrong answer this time.
  await page.evaluate(() => { window.nextScript = async () => {}; });
  const result = await refineInPage({ generate: ['generate', 'chat'] });
  assert.equal(result.accepted, false);
  assert.deepEqual(result.rounds.map((r) => [r.round, r.attempt, r.model, r.accepted]), [
    [1, 0, 'generate', false], [2, 0, 'generate', false], [3, 1, 'chat', false],
  ]);
});

test("the sandbox's assert passes and fails exactly where node:assert does", async () => {
  // Plain ESM, so it runs here too: node's own assert is the reference.
  const { assert: ours } = await import('../../plugin-wasm/sandbox/assert.js');
  const cases = [
    ['ok', [1]], ['ok', [0]], ['equal', [1, '1']], ['equal', [1, 2]], ['equal', [NaN, NaN]],
    ['strictEqual', [1, '1']], ['strictEqual', [NaN, NaN]], ['strictEqual', [0, -0]],
    ['notStrictEqual', [1, 2]], ['notStrictEqual', [1, 1]], ['notEqual', [1, '1']],
    ['deepEqual', [[1], ['1']]], ['deepStrictEqual', [[1], ['1']]], ['deepStrictEqual', [{ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }]],
    ['deepStrictEqual', [{ a: 1 }, { a: 1, b: undefined }]], ['deepStrictEqual', [new Map([[1, 2]]), new Map([[1, 2]])]],
    ['deepStrictEqual', [new Set([1]), new Set([2])]], ['deepStrictEqual', [new Date(1), new Date(1)]],
    ['deepStrictEqual', [[1, 2], { 0: 1, 1: 2 }]], ['notDeepStrictEqual', [[1], [1]]],
    ['throws', [() => { throw new TypeError('bad'); }, TypeError]], ['throws', [() => { throw new TypeError('bad'); }, RangeError]],
    ['throws', [() => { throw new Error('bad input'); }, /input/]], ['throws', [() => {}]],
    ['throws', [() => { throw new Error('x'); }, { message: 'x' }]], ['doesNotThrow', [() => { throw new Error('x'); }]],
    ['match', ['abc', /b/]], ['match', ['abc', /z/]], ['doesNotMatch', ['abc', /z/]],
  ];
  for (const [fn, args] of cases) {
    const outcome = (a) => { try { a[fn](...args); return 'pass'; } catch (e) { return `${e.name}/${e.code}`; } };
    assert.equal(outcome(ours), outcome(legacyAssert), `assert.${fn}(${args.map(String).join(', ')})`);
  }
  for (const [fn, args] of [['rejects', [Promise.reject(new Error('x'))]], ['rejects', [async () => 1]], ['doesNotReject', [async () => { throw new Error('x'); }]]]) {
    const outcome = async (a) => { try { await a[fn](...args); return 'pass'; } catch (e) { return `${e.name}/${e.code}`; } };
    assert.equal(await outcome(ours), await outcome(legacyAssert), `assert.${fn}`);
  }
});

test('benchmark: cold start and a 10-test run, JavaScript and Python', async () => {
  const fresh = await openPage();
  const tenJs = Array.from({ length: 10 }, (_, i) => `test('t${i}', () => assert.strictEqual(add(${i}, 1), ${i + 1}));`).join('\n');
  let t = Date.now();
  const cold = await run({ language: 'typescript', code: 'export const add = (a: number, b: number): number => a + b;', tests: "test('one', () => assert.ok(add(1, 1) === 2));" }, fresh);
  const jsCold = Date.now() - t;
  assert.equal(cold.tests[0].passed, true);
  const jsRuns = [];
  for (let i = 0; i < 5; i++) {
    t = Date.now();
    const r = await run({ language: 'javascript', code: JS_ADD, tests: tenJs }, fresh);
    jsRuns.push(Date.now() - t);
    assert.equal(r.tests.filter((x) => x.passed).length, 10);
  }
  t = Date.now();
  const pyLoad = await fresh.evaluate(() => window.warmPython());
  const pyCold = Date.now() - t;
  const tenPy = Array.from({ length: 10 }, (_, i) => `def test_${i}():\n    assert add(${i}, 1) == ${i + 1}\n`).join('\n');
  const pyRuns = [];
  for (let i = 0; i < 5; i++) {
    // As between refinement rounds (the model is writing): the next interpreter has loaded.
    await fresh.evaluate(() => window.warmPython());
    t = Date.now();
    const r = await run({ language: 'python', code: 'def add(a, b):\n    return a + b\n', tests: tenPy }, fresh);
    pyRuns.push(Date.now() - t);
    assert.equal(r.tests.filter((x) => x.passed).length, 10);
  }
  await fresh.close();
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`sandbox bench: JS/TS cold start (esbuild-wasm init + transform + worker + 1 test): ${jsCold} ms`);
  console.log(`sandbox bench: JS 10-test run, warm (transform + fresh worker + run): median ${median(jsRuns)} ms of ${jsRuns.join(', ')}`);
  console.log(`sandbox bench: Python cold start (Pyodide load in the worker): ${pyCold} ms (worker says ${Math.round(pyLoad)} ms)`);
  console.log(`sandbox bench: Python 10-test run, interpreter loaded in advance: median ${median(pyRuns)} ms of ${pyRuns.join(', ')}`);
});
