// Chunking throughput in headless Chromium: Pilotfish's wasm `indexFile` of content the engine
// has not seen (a new Engine per round: parse, chunk, tags, keyword and vector indexing, conversion
// to JS objects) against web-tree-sitter with @vscode/tree-sitter-wasm grammars doing a bare parse
// of the same files. A last column times a second `indexFile` of the same bytes into the same
// engine (a hash per file, and its chunks handed back), what rounds 2 and 3 timed before they used a new engine.
// Prints a Markdown table for BENCHMARKS.md.
//
//   PILOTFISH_BENCH_CORPUS=/path/to/sources node tests/e2e/bench-chunk.mjs
//
// Needs plugin-wasm/pkg (built with the wasm-release profile and wasm-bindgen --target web;
// override with PILOTFISH_PKG_DIR) and `npm install`. The script serves the files it needs itself
// on an ephemeral 127.0.0.1 port.
import { createServer } from 'node:http';
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url));
const corpus = process.env.PILOTFISH_BENCH_CORPUS;
const pkgDir = resolve(process.env.PILOTFISH_PKG_DIR ?? join(root, 'plugin-wasm/pkg'));
const rounds = Number(process.env.PILOTFISH_BENCH_ROUNDS ?? 3);
if (!corpus) {
  console.error('set PILOTFISH_BENCH_CORPUS to a directory of source files');
  process.exit(2);
}

// Extension → [our language name, @vscode/tree-sitter-wasm grammar]. That package has no C
// grammar, so C files are parsed by the C++ grammar on the peer side (a superset).
const LANGUAGES = {
  '.py': ['python', 'python'],
  '.js': ['javascript', 'javascript'], '.mjs': ['javascript', 'javascript'], '.cjs': ['javascript', 'javascript'],
  '.jsx': ['javascript', 'javascript'],
  '.ts': ['typescript', 'typescript'], '.tsx': ['tsx', 'tsx'],
  '.rs': ['rust', 'rust'], '.go': ['go', 'go'], '.java': ['java', 'java'],
  '.c': ['c', 'cpp'], '.h': ['cpp', 'cpp'], '.cc': ['cpp', 'cpp'], '.cpp': ['cpp', 'cpp'], '.hpp': ['cpp', 'cpp'],
  '.cs': ['csharp', 'c-sharp'],
};

async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) yield* walk(path);
    } else if (entry.isFile() && LANGUAGES[extname(entry.name)]) {
      yield path;
    }
  }
}

const groups = new Map(); // our language → { grammar, files: [{ path, text }] }
for await (const path of walk(resolve(corpus))) {
  if ((await stat(path)).size > 4 * 1024 * 1024) continue; // the engine line-windows files over 4 MiB
  const [language, grammar] = LANGUAGES[extname(path)];
  const text = await readFile(path, 'utf8');
  if (!groups.has(language)) groups.set(language, { grammar, files: [] });
  groups.get(language).files.push({ path: path.slice(resolve(corpus).length + 1), text });
}
if (groups.size === 0) {
  console.error(`no source files with known extensions under ${corpus}`);
  process.exit(2);
}

const MIME = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const routes = [
  ['/pkg/', pkgDir],
  ['/wts/', join(root, 'node_modules/web-tree-sitter')],
  ['/grammars/', join(root, 'node_modules/@vscode/tree-sitter-wasm/wasm')],
];
const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bench</title>');
    return;
  }
  const route = routes.find(([prefix]) => url.pathname.startsWith(prefix));
  try {
    if (!route || url.pathname.includes('..')) throw new Error('not found');
    const body = await readFile(join(route[1], url.pathname.slice(route[0].length)));
    res.writeHead(200, { 'content-type': MIME[extname(url.pathname)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(base + '/');
  await page.evaluate(async () => {
    const pilotfish = await import('/pkg/plugin_wasm.js');
    await pilotfish.default();
    const wts = await import('/wts/web-tree-sitter.js');
    await wts.Parser.init({ locateFile: () => '/wts/web-tree-sitter.wasm' });
    window.bench = { pilotfish, wts, grammars: {} };
  });

  const rows = [];
  for (const [language, { grammar, files }] of [...groups].sort()) {
    const result = await page.evaluate(async ({ grammar, files, rounds }) => {
      const { pilotfish, wts, grammars } = window.bench;
      grammars[grammar] ??= await wts.Language.load(`/grammars/tree-sitter-${grammar}.wasm`);
      const parser = new wts.Parser();
      parser.setLanguage(grammars[grammar]);
      const bytes = files.reduce((n, f) => n + new TextEncoder().encode(f.text).length, 0);
      let ours = Infinity;
      let peer = Infinity;
      let chunks = 0;
      let incomplete = 0;
      let again = Infinity;
      // Best of `rounds` for each side, alternating so neither gets a warmer JIT or cache. Every
      // round indexes into a new Engine: an engine skips bytes it already holds (one hash), so
      // rounds into the same engine would time a hash, not a first index.
      for (let round = 0; round < rounds; round++) {
        const engine = new pilotfish.Engine({ positionEncoding: 'utf16' });
        let t0 = performance.now();
        chunks = 0;
        for (const f of files) chunks += engine.indexFile(f.path, f.text).chunks.length;
        ours = Math.min(ours, performance.now() - t0);
        incomplete += engine.stats().files === files.length ? 0 : 1;
        t0 = performance.now();
        for (const f of files) engine.indexFile(f.path, f.text);
        again = Math.min(again, performance.now() - t0);
        engine.free();
        t0 = performance.now();
        for (const f of files) parser.parse(f.text).delete();
        peer = Math.min(peer, performance.now() - t0);
      }
      parser.delete();
      return { bytes, ours, peer, chunks, incomplete, again };
    }, { grammar, files, rounds });
    rows.push({ language, grammar, files: files.length, ...result });
  }

  const mb = (bytes) => bytes / 1e6;
  const rate = (bytes, ms) => (mb(bytes) / (ms / 1000)).toFixed(2);
  console.log(`Chunking throughput, headless Chromium, best of ${rounds} first indexes (MB/s = 10^6 UTF-8 bytes per second)\n`);
  console.log('| language | files | MB | chunks | Pilotfish indexFile (parse+chunk+index) MB/s | web-tree-sitter parse MB/s | ratio | grammar | same bytes again MB/s |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---|---:|');
  for (const r of rows) {
    if (r.incomplete) throw new Error(`${r.language}: a round did not index every file`);
    console.log(`| ${r.language} | ${r.files} | ${mb(r.bytes).toFixed(2)} | ${r.chunks} | ${rate(r.bytes, r.ours)} | ${rate(r.bytes, r.peer)} | ${(r.peer / r.ours).toFixed(2)} | ${r.grammar} | ${rate(r.bytes, r.again)} |`);
  }
} finally {
  await browser.close();
  server.close();
}
