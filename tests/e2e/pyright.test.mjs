// Python type checking in the tab (plugin-wasm/sandbox/pyright-worker.js, browser-basedpyright
// from npm) in headless Chromium: generated Python checked against the project's files, and its
// diagnostics carried by the refinement loop into the next round's feedback.
//
// Run: cargo xtask test (it sets the variables below), or `cargo xtask serve` plus the e2e stack
// and PILOTFISH_DEMO_URL=<its URL> node --test tests/e2e/pyright.test.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const pageUrl = process.env.PILOTFISH_DEMO_URL && new URL('tests/e2e/pages/sandbox.html', process.env.PILOTFISH_DEMO_URL).href;
const proxyUrl = process.env.PILOTFISH_E2E_PROXY;
const control = process.env.PILOTFISH_E2E_CONTROL;
const token = process.env.PILOTFISH_E2E_TOKEN;

let browser;
let page;
const pageErrors = [];

before(async () => {
  assert.ok(pageUrl, 'set PILOTFISH_DEMO_URL (cargo xtask test does this)');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.sandboxReady === true);
  // One checker for the whole file, as a host keeps one per tab.
  await page.evaluate(() => { window.checker = window.createPythonChecker(); });
});

after(async () => {
  await browser?.close();
  assert.deepEqual(pageErrors, [], 'the page threw');
});

// A project file the generated code imports: its types are what the generated code is checked
// against.
const SHAPES = {
  path: 'geometry/shapes.py',
  text: [
    'from dataclasses import dataclass',
    '',
    '',
    '@dataclass',
    'class Point:',
    '    x: float',
    '    y: float',
    '',
    '    def scaled(self, factor: float) -> "Point":',
    '        return Point(self.x * factor, self.y * factor)',
    '',
  ].join('\n'),
};

const BAD = [
  'from geometry.shapes import Point',
  '',
  '',
  'def corner() -> Point:',
  '    return Point(1.0, "2")',
  '',
  '',
  'def height(p: Point) -> float:',
  '    return p.z',
  '',
  '',
  'def grown(p: Point) -> Point:',
  '    return p.scaled("twice")',
  '',
].join('\n');

const CLEAN = [
  'from geometry.shapes import Point',
  '',
  '',
  'def corner() -> Point:',
  '    return Point(1.0, 2.0)',
  '',
  '',
  'def height(p: Point) -> float:',
  '    return p.y',
  '',
  '',
  'def grown(p: Point) -> Point:',
  '    return p.scaled(2.0)',
  '',
].join('\n');

function check(files, target) {
  return page.evaluate(async ({ files, target }) => {
    const started = performance.now();
    const diagnostics = await window.checker.check(files, target);
    return { diagnostics: [...diagnostics], ms: performance.now() - started };
  }, { files, target });
}

test('type errors against the project files are reported with ranges, severity and rule; a clean file has none', async () => {
  const cold = await check([SHAPES, { path: 'generated.py', text: BAD }], 'generated.py');
  const found = cold.diagnostics.map((d) => [d.line, d.column, d.severity, d.rule]);
  assert.deepEqual(found, [
    [5, 23, 'error', 'reportArgumentType'],
    [9, 14, 'error', 'reportAttributeAccessIssue'],
    [13, 21, 'error', 'reportArgumentType'],
  ]);
  const [wrongArgument, unknownAttribute] = cold.diagnostics;
  assert.equal(wrongArgument.path, 'generated.py');
  assert.deepEqual(wrongArgument.range, { start: { line: 4, character: 22 }, end: { line: 4, character: 25 } });
  assert.match(wrongArgument.message, /"Literal\['2'\]".*parameter "y" of type "float"/);
  assert.match(unknownAttribute.message, /Cannot access attribute "z" for class "Point"/);

  const clean = await check([SHAPES, { path: 'generated.py', text: CLEAN }], 'generated.py');
  assert.deepEqual(clean.diagnostics, []);

  // The project file changes under the generated one: the same generated text is checked again
  // against the new version (`y` became a string).
  const changed = { ...SHAPES, text: SHAPES.text.replace('    y: float', '    y: str') };
  const again = await check([changed, { path: 'generated.py', text: CLEAN }], 'generated.py');
  assert.deepEqual(again.diagnostics.map((d) => [d.line, d.rule]), [[5, 'reportArgumentType'], [9, 'reportReturnType']]);
  console.log(`pyright worker: first check (cold start) ${Math.round(cold.ms)} ms, then ${Math.round(clean.ms)} ms and ${Math.round(again.ms)} ms warm`);
});

test('the diagnostics as host diagnostics for the refinement loop', async () => {
  const host = await page.evaluate(async ({ files }) => window.hostDiagnostics(await window.checker.check(files, 'generated.py')), { files: [SHAPES, { path: 'generated.py', text: BAD }] });
  assert.equal(host.length, 3);
  assert.deepEqual({ ...host[1], message: undefined }, { message: undefined, line: 9, column: 14, severity: 'error', source: 'pyright' });
  assert.match(host[1].message, /attribute "z".*\(reportAttributeAccessIssue\)$/s);
});

test('a terminated checker fails what was pending and starts a fresh worker for the next check', async () => {
  const outcome = await page.evaluate(async () => {
    const checker = window.createPythonChecker();
    const warm = await checker.warm();
    const pending = checker.check([{ path: 'late.py', text: 'x: int = 1\n' }], 'late.py');
    checker.terminate();
    const late = await pending.then(() => 'answered', (e) => e.message);
    const again = await checker.check([{ path: 'again.py', text: 'y: str = 2\n' }], 'again.py');
    checker.terminate();
    return { warm: [...warm], late, again: again.map((d) => [d.line, d.rule]) };
  });
  assert.deepEqual(outcome.warm, []);
  assert.equal(outcome.late, 'pilotfish pyright: terminated');
  assert.deepEqual(outcome.again, [[1, 'reportAssignmentType']]);
});

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

// Both answers pass their tests: only the type checker tells the first from the second.
const answer = (describe) => [
  'Here is the implementation.', '', '```python',
  'def mean(values: list[float]) -> float:',
  '    return sum(values) / len(values)',
  '',
  '',
  'def describe(values: list[float]) -> str:',
  `    return ${describe}`,
  '```', '', 'And the tests:', '', '```python tests',
  'def test_mean():',
  '    assert mean([1.0, 2.0, 3.0]) == 2.0',
  '',
  'def test_single():',
  '    assert mean([4.0]) == 4.0',
  '',
  'def test_negative():',
  '    assert mean([-1.0, -3.0]) == -2.0',
  '```', '',
].join('\n');
const TYPE_ERROR = answer('"mean " + mean(values)');
const RIGHT = answer('f"mean {mean(values)}"');

test('refinement: a type error in the first answer reaches the second round, which is accepted', async () => {
  assert.ok(proxyUrl && control && token, 'set PILOTFISH_E2E_PROXY, PILOTFISH_E2E_CONTROL and PILOTFISH_E2E_TOKEN (cargo xtask test does this)');
  await page.waitForFunction(() => window.engineReady === true);
  await script(TYPE_ERROR);
  await page.exposeFunction('nextScript', () => script(RIGHT));
  const result = await page.evaluate(async ({ proxyUrl, token }) => {
    const engine = new window.Engine();
    const project = [{ path: 'stats/__init__.py', text: '"""Statistics helpers."""\n' }];
    const text = '# mean(values) and describe(values)\n';
    engine.indexFiles([...project, { path: 'stats/summary.py', text }]);
    await engine.configureAssistant({ proxyUrl, token, routes: {}, debounce: { minMs: 0, maxMs: 0, initialMs: 0 } });
    const steps = engine.refiner({ spec: 'Write mean(values) and describe(values) -> "mean <value>".', language: 'python' });
    return window.refine({
      engine, language: 'python', steps,
      request: { path: 'stats/summary.py', text, offset: text.length },
      // The generated module is checked with the project's files beside it.
      diagnose: async ({ implementation }) => window.hostDiagnostics(await window.checker.check(
        [...project, { path: 'stats/summary.py', text: implementation }], 'stats/summary.py')),
      onRound: async (round) => { if (round.round === 1) await window.nextScript(); },
    });
  }, { proxyUrl, token });
  const [first, second] = result.rounds;
  assert.equal(result.accepted, true);
  assert.equal(result.rounds.length, 2);
  // The tests passed in the first round: the type error alone sent it back.
  assert.deepEqual(first.run.tests.map((t) => t.passed), [true, true, true]);
  assert.equal(first.accepted, false);
  assert.deepEqual(first.host.map((d) => [d.line, d.severity, d.source]), [[6, 'error', 'pyright']]);
  assert.match(first.host[0].message, /Operator "\+" not supported.*\(reportOperatorIssue\)/s);
  assert.match(first.feedback, /Type checker errors:\n- line 6:12 \[pyright\]: Operator "\+" not supported/);
  assert.match(first.feedback, /reportOperatorIssue/);
  assert.equal(second.accepted, true);
  assert.deepEqual(second.host, []);
  assert.match(second.implementation, /f"mean/);
});
