// Analysis in the tab, timed in headless Chromium with the release wasm (pkg-assistant, the
// wasm-release profile): `Engine.analyze` (syntax diagnostics, security rules and the secret scan
// in one call) on 100 KB of real code, and the Python type checker's warm check of a 218-line
// file (tests/bench/typecheck_200.py) in its worker against `pyright` (PyPI) on the same file,
// with the diagnostics compared. Benchmark only; `cargo xtask bench analysis` runs it, or:
//
//   PILOTFISH_DEMO_URL=<cargo xtask serve's URL> node tests/bench/analysis.mjs [--pyright PATH]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const base = process.env.PILOTFISH_DEMO_URL;
if (!base) throw new Error('set PILOTFISH_DEMO_URL (cargo xtask serve prints it)');
const flag = process.argv.indexOf('--pyright');
const pyright = flag > 0 ? process.argv[flag + 1] : path.join(root, '.cache/bench/venv/bin/pyright');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

/** About `bytes` of real code from `dir` (files with `ext`, in name order), cut at a line end. */
function code(dir, ext, bytes) {
  const files = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(ext)) files.push(p);
    }
  };
  walk(dir);
  let text = '';
  for (let i = 0; text.length < bytes; i++) text += `${readFileSync(files[i % files.length], 'utf8')}\n`;
  return text.slice(0, text.lastIndexOf('\n', bytes) + 1);
}

const samples = [
  // requests 2.32.3 (the demo's sample project) with the secrets fixture appended, so the
  // secret rules have something to find.
  ['python', 'big.py', code(path.join(root, '.cache/sample/requests'), '.py', 100 * 1024 - 2048)
    + readFileSync(path.join(root, 'analysis/tests/fixtures/settings.py'), 'utf8')],
  ['javascript', 'big.js', code(path.join(root, 'node_modules/minisearch/dist/es'), '.js', 100 * 1024)],
];
// The same Python under a name with no language: only the secret scan runs.
samples.push(['python, secret scan only', 'big.txt', `notes\n${samples[0][2]}`]);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
});
const page = await browser.newPage();
await page.goto(new URL('tests/e2e/pages/sandbox.html', base).href);
await page.waitForFunction(() => window.engineReady === true, null, { timeout: 120_000 });

console.log(`Chromium ${browser.version()}, load average at start ${load()}`);
// Two cases per sample: a file seen for the first time (a new engine and path per call, so the
// engine parses all of it and queries every statement), and a keystroke in a file it has
// analysed (the same path, one character typed: the engine re-parses incrementally from the tree
// it kept, re-queries the statement whose lines changed, runs the diagnostics, and re-scans for
// secrets the lines around the change).
await page.evaluate(() => {
  // `count` texts, each `text` with a space typed at the end of a line, the lines spread evenly.
  window.spreadEdits = (text, count) => Array.from({ length: count }, (_, i) => {
    const at = text.indexOf('\n', Math.floor((text.length * (i + 0.5)) / count));
    return `${text.slice(0, at)} ${text.slice(at)}`;
  });
});
console.log('\n| analyze (syntax + security rules + secret scan) | bytes | first call ms | new file: median ms | p95 ms | keystroke: median ms | p95 ms | worst ms | syntax / findings / secrets |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const [language, file, text] of samples) {
  const r = await page.evaluate(({ file, text }) => {
    const engine = new window.Engine();
    const dot = file.lastIndexOf('.');
    const named = (i) => `${file.slice(0, dot)}-${i}${file.slice(dot)}`;
    let t = performance.now();
    const first = engine.analyze(file, text);
    const firstMs = performance.now() - t;
    // A new engine per call as well: the engine remembers findings by statement text, whatever
    // the path, so the same text under a new name would be answered from that memory.
    const fresh = [];
    for (let i = 0; i < 30; i++) {
      const another = new window.Engine();
      t = performance.now();
      another.analyze(named(i), text);
      fresh.push(performance.now() - t);
      another.free();
    }
    // Keystrokes all over the file: a trailing space typed at the end of a line, then taken
    // away (valid in every language), at 30 lines spread evenly through it. One place alone
    // measures that place: the first version of this bench typed in the middle line only, which
    // turned out to be the slowest of 199 line ends for tree-sitter's Python re-parse.
    const edits = window.spreadEdits(text, 30);
    engine.analyze(file, text);
    const keystroke = [];
    for (const typed of edits) {
      for (const now of [typed, text]) {
        t = performance.now();
        engine.analyze(file, now);
        keystroke.push(performance.now() - t);
      }
    }
    return { firstMs, fresh, keystroke, counts: [first.syntax.length, first.findings.length, first.secrets.length] };
  }, { file, text });
  console.log(`| ${language} | ${text.length} | ${r.firstMs.toFixed(1)} | ${median(r.fresh).toFixed(2)} | ${p95(r.fresh).toFixed(2)} | ${median(r.keystroke).toFixed(2)} | ${p95(r.keystroke).toFixed(2)} | ${Math.max(...r.keystroke).toFixed(2)} | ${r.counts.join(' / ')} |`);
}

// The editor's path (Monaco's engine worker after a pause in typing, the VS Code extension on a
// change): `indexFile` then `analyze` of the same document. Opened: a new engine per call, so
// the file is chunked, embedded and analysed from nothing; edited: the same engine, a space
// typed at the end of a line and taken away again at 15 lines spread through the file, each
// text re-indexed (only the changed chunks embedded) and re-analysed.
console.log('\n| indexFile + analyze, the editor\'s path | bytes | opened: median ms | p95 ms | edited: median ms | p95 ms |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [language, file, text] of samples.slice(0, 2)) {
  const r = await page.evaluate(({ file, text }) => {
    const opened = [];
    for (let i = 0; i < 15; i++) {
      const engine = new window.Engine();
      const t = performance.now();
      engine.indexFile(file, text);
      engine.analyze(file, text);
      opened.push(performance.now() - t);
      engine.free();
    }
    const engine = new window.Engine();
    engine.indexFile(file, text);
    engine.analyze(file, text);
    const edited = [];
    for (const typed of window.spreadEdits(text, 15)) {
      for (const now of [typed, text]) {
        const t = performance.now();
        engine.indexFile(file, now);
        engine.analyze(file, now);
        edited.push(performance.now() - t);
      }
    }
    engine.free();
    return { opened, edited };
  }, { file, text });
  console.log(`| ${language} | ${text.length} | ${median(r.opened).toFixed(1)} | ${p95(r.opened).toFixed(1)} | ${median(r.edited).toFixed(1)} | ${p95(r.edited).toFixed(1)} |`);
}

// The type checker: cold start, then warm checks of the file, each with a changed last line so
// pyright analyses it again rather than answering from its cache.
const typed = readFileSync(path.join(root, 'tests/bench/typecheck_200.py'), 'utf8');
const tab = await page.evaluate(async (text) => {
  const checker = window.createPythonChecker();
  let t = performance.now();
  const first = await checker.check([{ path: 'typecheck_200.py', text }], 'typecheck_200.py');
  const coldMs = performance.now() - t;
  const warm = [];
  for (let i = 0; i < 10; i++) {
    t = performance.now();
    await checker.check([{ path: 'typecheck_200.py', text: `${text}# run ${i}\n` }], 'typecheck_200.py');
    warm.push(performance.now() - t);
  }
  checker.terminate();
  return { coldMs, warm, diagnostics: [...first] };
}, typed);
await browser.close();

const key = (d) => `${d.line}:${d.column} ${d.rule}`;
const ours = tab.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning').map(key);
const native = [];
let nativeVersion = 'not run';
if (existsSync(pyright)) {
  const cwd = path.join(root, 'tests/bench');
  const runs = [];
  let out = null;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    try {
      out = execFileSync(pyright, ['--outputjson', 'typecheck_200.py'], { cwd, encoding: 'utf8' });
    } catch (error) {
      out = error.stdout; // pyright exits 1 when it finds errors
    }
    runs.push(performance.now() - t);
  }
  const json = JSON.parse(out);
  nativeVersion = `pyright ${json.version}`;
  for (const d of json.generalDiagnostics) {
    native.push(`${d.range.start.line + 1}:${d.range.start.character + 1} ${d.rule}`);
  }
  console.log(`\n${nativeVersion} (PyPI, node ${process.version}): ${typed.split('\n').length - 1} lines, process wall median ${median(runs).toFixed(0)} ms of ${runs.map((x) => x.toFixed(0)).join(', ')}; pyright's own timeInSec ${json.summary.timeInSec}`);
}
console.log(`browser-basedpyright in its worker: cold start + first check ${tab.coldMs.toFixed(0)} ms; warm check median ${median(tab.warm).toFixed(0)} ms, p95 ${p95(tab.warm).toFixed(0)} ms (${tab.warm.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`diagnostics, tab: ${ours.join('; ')}`);
console.log(`diagnostics, ${nativeVersion}: ${native.join('; ')}`);
console.log(`same diagnostics: ${JSON.stringify([...ours].sort()) === JSON.stringify([...native].sort())}`);
console.log(`load average at end ${load()}`);
