// TypeScript and JavaScript type checking in the tab for hosts without a TypeScript worker
// (plugin-wasm/sandbox/ts-worker.js, the `typescript` compiler from npm) in headless Chromium:
// generated code checked against the project's files, and its diagnostics carried by the
// refinement loop into the next round's feedback.
//
// Run: cargo xtask test (it sets the variables below), or `cargo xtask serve` plus the e2e stack
// and PILOTFISH_DEMO_URL=<its URL> node --test tests/e2e/typescript.test.mjs.
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
  await page.evaluate(() => { window.tsChecker = window.createTypeScriptChecker(); });
});

after(async () => {
  await browser?.close();
  assert.deepEqual(pageErrors, [], 'the page threw');
});

// A project file the generated code imports: its types are what the generated code is checked
// against.
const GEOMETRY = {
  path: 'src/geometry.ts',
  text: [
    'export interface Point {',
    '  x: number;',
    '  y: number;',
    '}',
    '',
    'export function distance(a: Point, b: Point): number {',
    '  return Math.hypot(a.x - b.x, a.y - b.y);',
    '}',
    '',
  ].join('\n'),
};

const BAD = [
  "import { distance, type Point } from './geometry';",
  '',
  'export function fromOrigin(p: Point): number {',
  "  return distance(p, '0,0');",
  '}',
  '',
  'export function height(p: Point): number {',
  '  return p.z;',
  '}',
  '',
  'export function scale(p: Point, factor) {',
  '  return { x: p.x * factor, y: p.y * factor };',
  '}',
  '',
].join('\n');

// Clean, and it needs both libs: `Array.prototype.at` is ES2022, `document` is the DOM.
const CLEAN = [
  "import { distance, type Point } from './geometry';",
  '',
  'export function fromOrigin(p: Point): number {',
  '  return distance(p, { x: 0, y: 0 });',
  '}',
  '',
  'export function last(points: Point[]): Point | undefined {',
  '  return points.at(-1);',
  '}',
  '',
  'export function title(): string {',
  "  return document.querySelector('h1')?.textContent ?? '';",
  '}',
  '',
].join('\n');

// Generated JavaScript is checked too (`checkJs`), against the same TypeScript project file.
const BAD_JS = [
  "import { distance } from './geometry';",
  '',
  'export const d = distance({ x: 1, y: 2 }, 3);',
  '',
].join('\n');

const PLAIN_JS = [
  "import { distance } from './geometry';",
  '',
  'export function add(a, b) {',
  '  return a + b;',
  '}',
  "export const far = (p) => distance(p, 'origin');",
  '',
].join('\n');

function check(files, target) {
  return page.evaluate(async ({ files, target }) => {
    const started = performance.now();
    const diagnostics = await window.tsChecker.check(files, target);
    return { diagnostics: [...diagnostics], ms: performance.now() - started, inWorker: diagnostics.ms };
  }, { files, target });
}

test('type errors against the project files are reported with ranges, severity and code; a clean file has none', async () => {
  const cold = await check([GEOMETRY, { path: 'src/route.ts', text: BAD }], 'src/route.ts');
  assert.deepEqual(cold.diagnostics.map((d) => [d.line, d.column, d.endLine, d.endColumn, d.severity, d.code]), [
    [4, 22, 4, 27, 'error', 2345],
    [8, 12, 8, 13, 'error', 2339],
    [11, 33, 11, 39, 'error', 7006],
  ]);
  const [wrongArgument, unknownProperty, implicitAny] = cold.diagnostics;
  assert.equal(wrongArgument.path, 'src/route.ts');
  assert.equal(wrongArgument.message, `Argument of type 'string' is not assignable to parameter of type 'Point'.`);
  assert.equal(unknownProperty.message, `Property 'z' does not exist on type 'Point'.`);
  // `strict` is on: an untyped parameter is an error.
  assert.equal(implicitAny.message, `Parameter 'factor' implicitly has an 'any' type.`);

  const clean = await check([GEOMETRY, { path: 'src/route.ts', text: CLEAN }], 'src/route.ts');
  assert.deepEqual(clean.diagnostics, []);

  const js = await check([GEOMETRY, { path: 'src/route.js', text: BAD_JS }], 'src/route.js');
  assert.deepEqual(js.diagnostics.map((d) => [d.line, d.column, d.code]), [[3, 43, 2345]]);
  // Plain JavaScript's untyped parameters are how it is written, not an error (`noImplicitAny` is
  // off for a JS target); its wrong calls into typed code still are.
  const plain = await check([GEOMETRY, { path: 'src/plain.js', text: PLAIN_JS }], 'src/plain.js');
  assert.deepEqual(plain.diagnostics.map((d) => [d.line, d.code]), [[6, 2345]]);

  // The project file changes under the generated one: the same generated text is checked again
  // against the new version (`distance` now takes one point).
  const changed = { ...GEOMETRY, text: GEOMETRY.text.replace('a: Point, b: Point', 'a: Point') };
  const again = await check([changed, { path: 'src/route.ts', text: CLEAN }], 'src/route.ts');
  assert.deepEqual(again.diagnostics.map((d) => [d.line, d.code]), [[4, 2554]]);
  console.log(`typescript worker: first check (cold start) ${Math.round(cold.ms)} ms, then ${Math.round(clean.ms)}, ${Math.round(js.ms)} and ${Math.round(again.ms)} ms warm (in the worker: ${Math.round(clean.inWorker)}, ${Math.round(js.inWorker)}, ${Math.round(again.inWorker)} ms)`);
});

test('the diagnostics as host diagnostics for the refinement loop', async () => {
  const host = await page.evaluate(async ({ files }) => window.tsHostDiagnostics(await window.tsChecker.check(files, 'src/route.ts')), { files: [GEOMETRY, { path: 'src/route.ts', text: BAD }] });
  assert.equal(host.length, 3);
  assert.deepEqual(host[1], { message: `Property 'z' does not exist on type 'Point'. (TS2339)`, line: 8, column: 12, severity: 'error', source: 'typescript' });
});

test('a terminated checker fails what was pending and starts a fresh worker for the next check', async () => {
  const outcome = await page.evaluate(async () => {
    const checker = window.createTypeScriptChecker();
    const warm = await checker.warm();
    const pending = checker.check([{ path: 'late.ts', text: 'export const x: number = 1;\n' }], 'late.ts');
    checker.terminate();
    const late = await pending.then(() => 'answered', (e) => e.message);
    const again = await checker.check([{ path: 'again.ts', text: "export const y: string = 2;\n" }], 'again.ts');
    const missing = await checker.check([{ path: 'a.ts', text: '' }], 'b.ts').then(() => 'answered', (e) => e.message);
    checker.terminate();
    return { warm: [...warm], late, again: again.map((d) => [d.line, d.code]), missing };
  });
  assert.deepEqual(outcome.warm, []);
  assert.equal(outcome.late, 'pilotfish typescript: terminated');
  assert.deepEqual(outcome.again, [[1, 2322]]);
  assert.equal(outcome.missing, 'pilotfish typescript: typescript worker: b.ts is not among the files');
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

// Both answers pass their tests (`toFixed('2')` coerces at run time): only the type checker
// tells the first from the second.
const answer = (digits) => [
  'Here is the implementation.', '', '```ts',
  'export function total(prices: number[]): number {',
  '  return prices.reduce((sum, price) => sum + price, 0);',
  '}',
  '',
  'export function label(prices: number[]): string {',
  `  return \`total \${total(prices).toFixed(${digits})}\`;`,
  '}',
  '```', '', 'And the tests:', '', '```ts tests',
  "test('sum', () => assert.strictEqual(total([1, 2, 3]), 6));",
  "test('empty', () => assert.strictEqual(total([]), 0));",
  "test('label', () => assert.strictEqual(label([1.5, 2]), 'total 3.50'));",
  '```', '',
].join('\n');
const TYPE_ERROR = answer("'2'");
const RIGHT = answer('2');

test('refinement: a type error in the first answer reaches the second round, which is accepted', async () => {
  assert.ok(proxyUrl && control && token, 'set PILOTFISH_E2E_PROXY, PILOTFISH_E2E_CONTROL and PILOTFISH_E2E_TOKEN (cargo xtask test does this)');
  await page.waitForFunction(() => window.engineReady === true);
  await script(TYPE_ERROR);
  await page.exposeFunction('nextScript', () => script(RIGHT));
  const result = await page.evaluate(async ({ proxyUrl, token }) => {
    const engine = new window.Engine();
    const project = [{ path: 'src/index.ts', text: "export * from './cart';\n" }];
    const text = '// total(prices) and label(prices)\n';
    engine.indexFiles([...project, { path: 'src/cart.ts', text }]);
    await engine.configureAssistant({ proxyUrl, token, routes: {}, debounce: { minMs: 0, maxMs: 0, initialMs: 0 } });
    const steps = engine.refiner({ spec: 'Write total(prices) and label(prices) -> "total <sum with 2 decimals>".', language: 'typescript' });
    return window.refine({
      engine, language: 'typescript', steps,
      request: { path: 'src/cart.ts', text, offset: text.length },
      // The generated module is checked with the project's files beside it.
      diagnose: async ({ implementation }) => window.tsHostDiagnostics(await window.tsChecker.check(
        [...project, { path: 'src/cart.ts', text: implementation }], 'src/cart.ts')),
      onRound: async (round) => { if (round.round === 1) await window.nextScript(); },
    });
  }, { proxyUrl, token });
  const [first, second] = result.rounds;
  assert.equal(result.accepted, true);
  assert.equal(result.rounds.length, 2);
  // The tests passed in the first round: the type error alone sent it back.
  assert.deepEqual(first.run.tests.map((t) => t.passed), [true, true, true]);
  assert.equal(first.accepted, false);
  assert.deepEqual(first.host.map((d) => [d.line, d.column, d.severity, d.source]), [[6, 41, 'error', 'typescript']]);
  assert.equal(first.host[0].message, `Argument of type 'string' is not assignable to parameter of type 'number'. (TS2345)`);
  assert.match(first.feedback, /Type checker errors:\n- line 6:41 \[typescript\]: Argument of type 'string' is not assignable/);
  assert.equal(second.accepted, true);
  assert.deepEqual(second.host, []);
  assert.match(second.implementation, /toFixed\(2\)/);
});
