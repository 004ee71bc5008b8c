// Embedders in the tab, measured in ONE headless Chromium page (playwright-core, system Chromium):
// chunks/s of the hashed embedder, the static token table and the MiniLM transformer (pkg-model)
// on the same real chunks — the pinned registry packages in .cache/corpus, chunked by our own
// engine in the page — plus bulk `indexFiles` with the table (chunk + embed + index, with a
// progress callback). Then the native build embeds the very same texts through the same facade
// entry point (plugin-wasm/examples/embed_native.rs), and one table prints both side by side.
//
// Run through `cargo xtask bench embed`, which builds the packages and the native binary and
// serves them. By hand:
//   PILOTFISH_DEMO_URL=http://127.0.0.1:PORT/ node tests/bench/embed.mjs --corpus .cache/corpus \
//     --table minilm-static.pfst [--count 10000] [--minilm 200] [--native target/release/examples/embed_native]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const url = process.env.PILOTFISH_DEMO_URL;
if (!url || !args.corpus || !args.table) {
  console.error('usage: PILOTFISH_DEMO_URL=... node tests/bench/embed.mjs --corpus DIR --table FILE [--count N] [--minilm N] [--native BIN]');
  process.exit(2);
}
const count = Number(args.count ?? 10000);
const minilmCount = Number(args.minilm ?? 200);

// Source files of the corpus in a fixed (sorted) order, so every run embeds the same chunks.
const EXTENSIONS = /\.(py|js|mjs|ts|go|rs|java)$/;
function walk(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) return name === 'node_modules' || name.startsWith('.') ? [] : walk(path);
    return EXTENSIONS.test(name) && stat.size < 200_000 ? [path] : [];
  });
}
const files = walk(args.corpus).map((path) => ({ path: relative(args.corpus, path), text: readFileSync(path, 'utf8') }));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
});
const page = await browser.newPage();
page.on('console', (message) => console.error(`[page] ${message.text()}`));
// Any page of the server's origin will do: the modules are imported from it below.
await page.goto(new URL('embed/active.json', url).href);

const browserResults = await page.evaluate(async ({ files, count, table, minilmCount }) => {
  const rate = (n, ms) => ({ chunks: n, seconds: ms / 1000 });
  const { default: init, Engine } = await import('/pkg/plugin_wasm.js');
  await init();
  // 1. Chunk with our engine (hashed embedder) until `count` chunks: the same texts for everyone.
  const chunker = new Engine();
  const texts = [];
  let used = 0;
  for (const file of files) {
    if (texts.length >= count) break;
    const indexed = chunker.indexFile(file.path, file.text);
    used += 1;
    // What the engine embeds for a chunk (engine::project::embedding_input).
    for (const c of indexed.chunks) texts.push(`${c.path} ${c.qualifiedName ?? ''}\n${c.text}`);
  }
  texts.length = Math.min(texts.length, count);
  const embedAll = (engine, items) => {
    const start = performance.now();
    for (let i = 0; i < items.length; i += 256) engine.embed(items.slice(i, i + 256));
    return rate(items.length, performance.now() - start);
  };
  const results = { texts, files: used, rows: {} };
  results.rows.hashed = embedAll(new Engine(), texts);

  const bytes = new Uint8Array(await (await fetch(`/embed/${table}`)).arrayBuffer());
  const loadStart = performance.now();
  const withTable = new Engine();
  withTable.loadStaticTable(bytes);
  results.tableLoadSeconds = (performance.now() - loadStart) / 1000;
  results.tableBytes = bytes.length;
  results.rows.static = embedAll(withTable, texts);

  // 2. Bulk indexing with the table: chunk + embed + BM25 + vectors, with a progress callback.
  const bulk = new Engine();
  bulk.loadStaticTable(bytes);
  let calls = 0;
  const bulkStart = performance.now();
  const report = bulk.indexFiles(files.slice(0, used), () => { calls += 1; });
  results.bulk = { ...report, seconds: (performance.now() - bulkStart) / 1000, progressCalls: calls };

  // 3. MiniLM in wasm (the optional pkg-model package), on the first `minilmCount` texts.
  try {
    const model = await import('/pkg-model/plugin_wasm.js');
    await model.default();
    const fetchBytes = async (name) => new Uint8Array(await (await fetch(`/model/${name}`)).arrayBuffer());
    const [weights, config, tokenizer] = await Promise.all(
      ['model.safetensors', 'config.json', 'tokenizer.json'].map(fetchBytes),
    );
    const start = performance.now();
    const engine = new model.Engine();
    engine.loadMiniLm(weights, config, tokenizer);
    results.minilmLoadSeconds = (performance.now() - start) / 1000;
    results.rows.minilm = embedAll(engine, texts.slice(0, minilmCount));
  } catch (error) {
    results.minilmError = String(error?.message ?? error);
  }
  return results;
}, { files, count, table: args.table, minilmCount });
await browser.close();

// The native side: the same texts through the same facade entry point.
const native = {};
if (args.native) {
  const dir = join(root, 'target/bench-embed');
  mkdirSync(dir, { recursive: true });
  const textsPath = join(dir, 'texts.json');
  writeFileSync(textsPath, JSON.stringify(browserResults.texts));
  const nativeArgs = [textsPath, join(root, '.cache/embed', args.table)];
  if (browserResults.rows.minilm) nativeArgs.push(join(root, '.cache/models/all-MiniLM-L6-v2'), String(minilmCount));
  const out = execFileSync(args.native, nativeArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  for (const line of out.trim().split('\n')) {
    const row = JSON.parse(line);
    native[row.embedder] = row;
  }
}

const perSecond = (row) => (row ? Math.round(row.chunks / row.seconds).toLocaleString('en-US') : 'n/a');
const seconds = (row) => (row ? row.seconds.toFixed(2) : 'n/a');
console.log(`\nchunks: ${browserResults.texts.length} from ${browserResults.files} files of ${args.corpus}; table ${args.table} (${(browserResults.tableBytes / 1e6).toFixed(1)} MB, loaded in ${browserResults.tableLoadSeconds.toFixed(2)} s)\n`);
console.log('| embedder | chunks | Chromium s | Chromium chunks/s | native s | native chunks/s | Chromium / native |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const name of ['hashed', 'static', 'minilm']) {
  const b = browserResults.rows[name];
  const n = native[name];
  const ratio = b && n ? `${(n.seconds / b.seconds).toFixed(2)}×` : 'n/a';
  console.log(`| ${name} | ${b?.chunks ?? 'n/a'} | ${seconds(b)} | ${perSecond(b)} | ${seconds(n)} | ${perSecond(n)} | ${ratio} |`);
}
const bulk = browserResults.bulk;
console.log(`\nindexFiles with the table in Chromium: ${bulk.files} files, ${bulk.chunks} chunks in ${bulk.seconds.toFixed(2)} s (${Math.round(bulk.chunks / bulk.seconds)} chunks/s, chunking + embedding + BM25 + vectors; ${bulk.progressCalls} progress callbacks)`);
if (browserResults.minilmLoadSeconds !== undefined) console.log(`MiniLM load in Chromium: ${browserResults.minilmLoadSeconds.toFixed(2)} s`);
if (browserResults.minilmError) console.log(`MiniLM in Chromium failed: ${browserResults.minilmError}`);
