// End-to-end test of the demo page (web-demo/) in headless Debian Chromium via playwright-core.
// The page URL comes from PILOTFISH_DEMO_URL (`cargo xtask test` starts the static server: web-demo
// at /, plugin-wasm/pkg at /pkg/, monaco-editor/min at /monaco/). Expected chunks are read from the
// native snapshots in plugin-wasm/tests/expected/, so the page is held to what the engine produces
// natively. Run: PILOTFISH_DEMO_URL=http://127.0.0.1:PORT/ node --test tests/e2e/
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url));
const demoUrl = process.env.PILOTFISH_DEMO_URL;

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

before(async () => {
  assert.ok(demoUrl, 'set PILOTFISH_DEMO_URL to the demo page URL (cargo xtask test does this)');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(demoUrl);
  await page.waitForSelector('[data-testid="status"][data-state="ready"]');
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
