// End-to-end test of the demo's semantic search (web-demo/) in headless Chromium: files are added,
// then searched with the embedder the page loaded. When the server publishes a static table
// (/embed/active.json, written by `cargo xtask demo` / `cargo xtask test`), the page must say it
// embeds with the table and a natural-language query must find the right function by its vector;
// when it does not, the page must fall back to the hashed embedder and say so.
// Run: PILOTFISH_DEMO_URL=http://127.0.0.1:PORT/ node --test tests/e2e/search.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const demoUrl = process.env.PILOTFISH_DEMO_URL;

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

test('the page shows which embedder is active and searches with it', async () => {
  const published = await page.evaluate(async () => (await fetch('/embed/active.json')).ok);
  const kind = await page.getAttribute('[data-testid="embedder"]', 'data-kind');
  const notice = await page.$eval('[data-testid="embedder-notice"]', (el) => (el.hidden ? '' : el.textContent));
  if (published) {
    assert.equal(kind, 'static', `notice: ${notice}`);
    assert.equal(notice, '');
    assert.match(await page.textContent('[data-testid="embedder"]'), /static token table \(384 dims/);
  } else {
    assert.equal(kind, 'hashed');
    assert.match(notice, /hashed embedder/);
  }

  for (const [path, text] of Object.entries(FILES)) {
    await page.evaluate(({ path, text }) => window.pilotfishDemo.indexText(path, text), { path, text });
  }
  if (published) {
    // No query word occurs in the target: only the learned vectors can connect them.
    const hits = await search('compute the surface of a round shape', 'vector');
    assert.equal(hits[0], 'circle_area', `hits: ${hits}`);
  }
  const hits = await search('load settings', 'hybrid');
  assert.equal(hits[0], 'load_settings', `hits: ${hits}`);
  assert.match(await page.textContent('[data-testid="status"]'), new RegExp(`${kind} embedder`));
  assert.deepEqual(pageErrors, []);
});
