// The Monaco adapter on a large project, in headless Chromium (playwright-core, system Chromium):
// the page is tests/e2e/pages/monaco.html (the README's snippet) with the first N lines of the
// pinned registry packages in .cache/corpus as the project. Measured:
// - typing while the worker indexes the project: the main thread's frame intervals (requestAnimationFrame)
//   and keydown → the typed character on screen, with a key every 50 ms for as long as indexing runs;
// - the bulk index in the worker (attach → `handle.indexed`);
// - a reload: the snapshot's size, the worker's restore time (IndexedDB read + `Engine.restore`),
//   navigation → attached, and the first search after it; then the check that every file is
//   unchanged (`handle.indexed` again).
//
// By hand, with `cargo xtask serve` running (and the e2e stack for completions, else the proxy is
// unreachable and ghost text simply never comes):
//   PILOTFISH_DEMO_URL=http://127.0.0.1:PORT/ [PILOTFISH_E2E_PROXY=... PILOTFISH_E2E_TOKEN=...] \
//     node tests/bench/monaco.mjs --corpus .cache/corpus [--lines 100000]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { chromium } from 'playwright-core';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const url = process.env.PILOTFISH_DEMO_URL;
if (!url || !args.corpus) {
  console.error('usage: PILOTFISH_DEMO_URL=... node tests/bench/monaco.mjs --corpus DIR [--lines 100000]');
  process.exit(2);
}
const wantedLines = Number(args.lines ?? 100_000);

const EXTENSIONS = /\.(py|js|mjs|ts|go|rs|java)$/;
function walk(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) return name === 'node_modules' || name.startsWith('.') ? [] : walk(path);
    return EXTENSIONS.test(name) && stat.size < 200_000 ? [path] : [];
  });
}
// A Python file first: the editor shows it.
const all = walk(args.corpus).map((path) => ({ path: relative(args.corpus, path), text: readFileSync(path, 'utf8') }));
all.sort((a, b) => Number(b.path.endsWith('.py')) - Number(a.path.endsWith('.py')));
const files = [];
let lines = 0;
for (const file of all) {
  if (lines >= wantedLines) break;
  files.push(file);
  lines += file.text.split('\n').length;
}
const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
console.log(`project: ${files.length} files, ${lines} lines, ${(bytes / 1e6).toFixed(1)} MB (first of ${args.corpus}, sorted)`);

const stat = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), max: sorted.at(-1) };
};
const fmt = (s) => `p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, max ${s.max.toFixed(1)} ms (${s.n})`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
});
const page = await browser.newPage();
page.on('pageerror', (error) => {
  if (error.message !== 'Canceled') console.error('page error:', error.message);
});
await page.addInitScript((test) => {
  window.pilotfishTest = test;
  // Frames and keystrokes are recorded from the start; the bench reads the window it needs.
  window.frames_ = [];
  const frame = (t) => { window.frames_.push(t); requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
}, {
  files,
  proxyUrl: process.env.PILOTFISH_E2E_PROXY ?? 'http://127.0.0.1:9',
  token: process.env.PILOTFISH_E2E_TOKEN ?? 'none',
  persistKey: `pilotfish-bench-${Date.now()}`,
});
await page.goto(new URL('tests/e2e/pages/monaco.html', url).href);
await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 120_000 });

// Type while the worker indexes: a key every 50 ms at the end of the first line.
const typing = await page.evaluate(() => {
  const started = performance.now();
  window.indexing = window.pilotfish.indexed.then((report) => ({ report, ms: performance.now() - started, at: performance.now() }));
  const editor = window.editor;
  editor.setPosition({ lineNumber: 1, column: editor.getModel().getLineMaxColumn(1) });
  editor.focus();
  window.keys = [];
  const node = editor.getDomNode();
  node.addEventListener('keydown', () => {
    const key = { down: performance.now(), painted: 0 };
    window.keys.push(key);
    requestAnimationFrame(() => { key.painted = performance.now(); });
  }, { capture: true });
  window.indexDone = false;
  window.indexing.then(() => { window.indexDone = true; });
  return started;
});
let typed = 0;
while (!(await page.evaluate(() => window.indexDone))) {
  await page.keyboard.type(typed % 20 === 19 ? ' ' : 'x');
  typed += 1;
  await new Promise((r) => setTimeout(r, 50));
}
const indexing = await page.evaluate(() => window.indexing);
const during = await page.evaluate(({ from, to }) => {
  const frames = window.frames_.filter((t) => t >= from && t <= to);
  return {
    intervals: frames.slice(1).map((t, i) => t - frames[i]),
    keys: window.keys.filter((k) => k.down <= to && k.painted).map((k) => k.painted - k.down),
  };
}, { from: typing, to: indexing.at });
const frames = stat(during.intervals);
const seconds = (indexing.at - typing) / 1000;
console.log(`index in the worker: ${(indexing.ms / 1000).toFixed(2)} s for ${indexing.report.files} files (${indexing.report.chunks} chunks)`);
console.log(`while indexing: ${(during.intervals.length / seconds).toFixed(1)} frames/s; frame interval ${fmt(frames)}; ` +
  `frames over 20 ms: ${during.intervals.filter((d) => d > 20).length}`);
console.log(`while indexing: keydown → next frame ${fmt(stat(during.keys))}`);

// Reload: the snapshot restores; every file is unchanged.
await page.evaluate(() => window.pilotfish.flush());
await page.reload();
await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 120_000 });
const reload = await page.evaluate(async () => {
  const attached = performance.now();
  const started = performance.now();
  const hits = await window.pilotfish.search('parse the request headers', { limit: 5 });
  const searched = performance.now();
  const report = await window.pilotfish.indexed;
  return {
    restored: window.pilotfish.restored, attached, search: searched - started, hits: hits.length,
    checkedAt: performance.now(), report,
  };
});
console.log(`reload: snapshot ${(reload.restored.bytes / 1e6).toFixed(1)} MB, ${reload.restored.files} files; ` +
  `the worker read and restored it in ${reload.restored.ms.toFixed(0)} ms (IndexedDB read ${reload.restored.readMs.toFixed(0)} ms); navigation → attached ${reload.attached.toFixed(0)} ms ` +
  `(page, Monaco, wasm, restore); first search ${reload.search.toFixed(1)} ms (${reload.hits} hits)`);
console.log(`reload: navigation → every file checked against the snapshot ${(reload.checkedAt / 1000).toFixed(2)} s: ` +
  `${reload.report.unchanged} of ${reload.report.files} unchanged`);
await browser.close();
