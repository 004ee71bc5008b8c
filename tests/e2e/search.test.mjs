// End-to-end tests of the chunk viewer (web-demo/chunks.html: the engine's chunker and search on
// their own, with the default package pkg/) in headless Debian Chromium via playwright-core.
// Expected chunks are read from the native snapshots in plugin-wasm/tests/expected/, so the page is
// held to what the engine produces natively. The server must publish the static table
// (/embed/active.json, written by `cargo xtask test`, which fails when it cannot, and by
// `cargo xtask demo`): the page must say it embeds with the table and a natural-language query
// must find the right function by its vector. Without a table the test fails and says what to
// run; it never passes on the hashed embedder instead. The fallback itself is its own test: the
// manifest is answered 404 in the browser and the page must use the hashed embedder and say so.
// (The assistant demo at web-demo/index.html: demo.test.mjs.)
// Run: PILOTFISH_DEMO_URL=http://127.0.0.1:PORT/ node --test tests/e2e/search.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pageUrl = process.env.PILOTFISH_DEMO_URL && new URL('chunks.html', process.env.PILOTFISH_DEMO_URL).href;

const fixture = async (name) => ({
  name,
  text: await readFile(`${root}plugin-wasm/tests/fixtures/${name}`, 'utf8'),
  expected: JSON.parse(await readFile(`${root}plugin-wasm/tests/expected/${name}.json`, 'utf8')),
});

const summary = (chunks) =>
  chunks.map((c) => ({
    kind: c.kind,
    name: c.qualifiedName ?? c.name ?? '',
    lines: c.startLine === c.endLine ? `line ${c.startLine}` : `lines ${c.startLine}–${c.endLine}`,
  }));

let browser;
let page;
const pageErrors = [];

/** A fresh tab on the chunk viewer, once its engine is ready. */
async function openViewer() {
  await page?.close();
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(pageUrl);
  await page.waitForSelector('[data-testid="status"][data-state="ready"]');
}

before(async () => {
  assert.ok(pageUrl, 'set PILOTFISH_DEMO_URL to the static server URL (cargo xtask test does this)');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  await openViewer();
});

after(async () => {
  await browser?.close();
});

async function shownChunks() {
  return page.$$eval('[data-testid="chunk"]', (items) =>
    items.map((li) => ({
      kind: li.querySelector('[data-testid="chunk-kind"]').textContent,
      name: li.querySelector('[data-testid="chunk-name"]').textContent,
      lines: li.querySelector('[data-testid="chunk-lines"]').textContent,
    })),
  );
}

test('a dropped file is listed chunk by chunk, as the engine chunks it natively', async () => {
  const { name, text, expected } = await fixture('shapes.py');
  await page.evaluate(({ name, text }) => {
    const data = new DataTransfer();
    data.items.add(new File([text], name, { type: 'text/x-python' }));
    document
      .querySelector('[data-testid="drop-zone"]')
      .dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, { name, text });
  await page.waitForSelector(`[data-testid="chunk-list"][data-path="${name}"]`);

  assert.ok(expected.chunks.length > 0);
  assert.deepEqual(await shownChunks(), summary(expected.chunks));
  assert.equal(await page.textContent('[data-testid="stats-files"]'), '1');
  assert.equal(await page.textContent('[data-testid="stats-chunks"]'), String(expected.chunks.length));
  assert.match(await page.textContent('[data-testid="file-heading"]'), /shapes\.py \(python\)/);

  // The expandable text holds the chunk's source, non-ASCII intact.
  const firstText = await page.textContent('[data-testid="chunk"] [data-testid="chunk-text"]');
  assert.equal(firstText, expected.chunks[0].text);
  assert.deepEqual(pageErrors, []);
});

test('a file chosen with the file input is indexed too', async () => {
  const { name, text, expected } = await fixture('stack.rs');
  await page.setInputFiles('[data-testid="file-input"]', {
    name,
    mimeType: 'text/x-rust',
    buffer: Buffer.from(text, 'utf8'),
  });
  await page.waitForSelector(`[data-testid="chunk-list"][data-path="${name}"]`);
  assert.deepEqual(await shownChunks(), summary(expected.chunks));
  assert.equal(await page.textContent('[data-testid="stats-files"]'), '2');
});

test('pasted text is chunked with the language of the path typed', async () => {
  const { text, expected } = await fixture('cart.js');
  await page.fill('[data-testid="path-input"]', 'src/cart.js');
  await page.fill('[data-testid="source-text"]', text);
  await page.click('[data-testid="chunk-button"]');
  await page.waitForSelector('[data-testid="chunk-list"][data-path="src/cart.js"]');
  assert.deepEqual(await shownChunks(), summary(expected.chunks));
});

test('an unknown language is reported as a diagnostic, not an error', async () => {
  await page.fill('[data-testid="path-input"]', 'notes.unknownext');
  await page.fill('[data-testid="source-text"]', 'just some words\nacross two lines — ✓\n');
  await page.click('[data-testid="chunk-button"]');
  await page.waitForSelector('[data-testid="chunk-list"][data-path="notes.unknownext"]');
  assert.equal(await page.getAttribute('[data-testid="diagnostic"]', 'data-kind'), 'unknownLanguage');
  assert.equal(await page.getAttribute('[data-testid="status"]', 'data-state'), 'ready');
  assert.ok((await shownChunks()).length >= 1);
});

test('selecting a chunk highlights its UTF-16 range in Monaco', async () => {
  await page.waitForSelector('[data-testid="editor"][data-ready="true"]');
  const { name, text, expected } = await fixture('shapes.py');
  await page.evaluate(({ name, text }) => window.pilotfishDemo.indexText(name, text), { name, text });
  await page.waitForSelector(`[data-testid="chunk-list"][data-path="${name}"]`);
  // The last chunk sits after emoji and CJK text, so UTF-8 offsets would land elsewhere.
  const last = expected.chunks.length - 1;
  await page.click(`[data-testid="chunk"][data-index="${last}"] [data-testid="chunk-kind"]`);
  await page.waitForSelector(`[data-testid="editor"][data-selected-start="${expected.chunks[last].start}"]`);
  const selected = await page.getAttribute('[data-testid="editor"]', 'data-selected-text');
  assert.ok(selected.length > 0);
  assert.ok(expected.chunks[last].text.endsWith(selected), `highlighted ${JSON.stringify(selected)}`);
  assert.deepEqual(pageErrors, []);
});

const FILES = {
  'src/config.py': 'import json\n\n\ndef load_settings(path):\n    """Read the JSON settings file at path."""\n    with open(path) as handle:\n        return json.load(handle)\n',
  'src/geometry.py': 'import math\n\n\ndef circle_area(radius):\n    return math.pi * radius ** 2\n',
  'src/net.js': 'export async function downloadPage(url) {\n  const response = await fetch(url);\n  return response.text();\n}\n',
};

async function search(query, mode) {
  const before = Number((await page.getAttribute('[data-testid="hit-list"]', 'data-searches')) ?? 0);
  await page.fill('[data-testid="search-input"]', query);
  await page.selectOption('[data-testid="search-mode"]', mode);
  await page.click('[data-testid="search-button"]');
  await page.waitForSelector(`[data-testid="hit-list"][data-searches="${before + 1}"]`);
  return page.$$eval('[data-testid="hit"]', (items) => items.map((li) => li.dataset.name));
}

/** Indexes FILES in the page. */
async function indexFiles() {
  for (const [path, text] of Object.entries(FILES)) {
    await page.evaluate(({ path, text }) => window.pilotfishDemo.indexText(path, text), { path, text });
  }
}

test('the page embeds with the published static table and finds a function by meaning', async () => {
  // A tab of its own: the files the chunk tests added would compete for the hits.
  await openViewer();
  const published = await page.evaluate(async () => (await fetch('/embed/active.json')).ok);
  assert.ok(published, 'the server publishes no static table (/embed/active.json): run `cargo xtask test` '
    + '(it distils and publishes .cache/embed/active.json, and fails when it cannot), or `cargo xtask demo` once '
    + 'before testing against `cargo xtask serve`');
  const notice = await page.$eval('[data-testid="embedder-notice"]', (el) => (el.hidden ? '' : el.textContent));
  assert.equal(await page.getAttribute('[data-testid="embedder"]', 'data-kind'), 'static', `notice: ${notice}`);
  assert.equal(notice, '');
  assert.match(await page.textContent('[data-testid="embedder"]'), /static token table \(384 dims/);

  await indexFiles();
  // No query word occurs in the target: only the learned vectors can connect them.
  let hits = await search('compute the surface of a round shape', 'vector');
  assert.equal(hits[0], 'circle_area', `hits: ${hits}`);
  hits = await search('load settings', 'hybrid');
  assert.equal(hits[0], 'load_settings', `hits: ${hits}`);
  assert.match(await page.textContent('[data-testid="status"]'), /static embedder/);
  assert.deepEqual(pageErrors, []);
});

test('without a published table the page falls back to the hashed embedder and says so', async () => {
  await page?.close();
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // As a server without a table answers: the manifest is not found.
  await page.route('**/embed/active.json', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto(pageUrl);
  await page.waitForSelector('[data-testid="status"][data-state="ready"]');
  assert.equal(await page.getAttribute('[data-testid="embedder"]', 'data-kind'), 'hashed');
  assert.match(await page.$eval('[data-testid="embedder-notice"]', (el) => (el.hidden ? '' : el.textContent)),
    /hashed embedder/);

  await indexFiles();
  const hits = await search('load settings', 'hybrid');
  assert.equal(hits[0], 'load_settings', `hits: ${hits}`);
  assert.match(await page.textContent('[data-testid="status"]'), /hashed embedder/);
  assert.deepEqual(pageErrors, []);
});
