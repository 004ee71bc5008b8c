// The VS Code web extension (plugin-wasm/vscode/) for real: its .vsix installed into code-server
// (VS Code for the Web) with `--install-extension`, a small Python project opened, the proxy URL
// in the user's settings.json and the token set through the extension's own command (so it lands
// in SecretStorage), then typing in a Python file in Chromium shows ghost text that the fake
// upstream wrote (through the REAL proxy), Tab accepts it, and the status bar says what happened;
// typing on aborts the stale request upstream; search opens a hit; explain streams its answer;
// "generate with tests" runs each round's tests in the extension's own sandbox worker, writes the
// rounds to the output and inserts the accepted code at the cursor (a round whose tests reach for
// the network fails them there, with nothing inserted when no round passes; TypeScript with ES
// module imports runs too); a security finding of an open file is in the Problems panel until
// the file closes; a reload restores the index snapshot from the extension's storage and
// re-indexes only a changed file.
// Screenshots of each step go to target/e2e-vscode/screenshots/ (ignored by git).
//
// Prints the extension's activation time (from its own log line) and page load → first ghost text
// for BENCHMARKS.md.
//
// Run: cargo xtask test-vscode (it installs code-server, packages the .vsix, starts the proxy and
// the fake upstream, and sets the variables below).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { script, stats, until } from './support/fake-upstream.mjs';
import { startCodeServer } from './support/code-server.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const proxyUrl = process.env.PILOTFISH_E2E_PROXY;
const token = process.env.PILOTFISH_E2E_TOKEN;
const vsix = process.env.PILOTFISH_VSIX;
const shots = join(root, 'target/e2e-vscode/screenshots');

const REPORT = 'from calc import add\n\n\ndef total(values):\n    return \n\n\nprint(total([1, 2]))\n';
const CALC = 'def add(a, b):\n    return a + b\n\n\ndef scale(values, factor):\n    return [v * factor for v in values]\n';
/** Where "generate with tests" writes: the cursor goes on the empty line 2. */
const ADD = '// add(a, b): the sum of a and b\n';
const CLAMP = '// clamp(value, low, high)\n';
const PROJECT = {
  'src/report.py': REPORT,
  'src/calc.py': CALC,
  'src/geometry.py': 'def polygon_area(points):\n    """Shoelace formula."""\n    return 0.0\n',
  // A command line run through the shell: the engine's rule py-subprocess-shell (CWE-78).
  'src/shell.py': 'import subprocess\n\n\ndef run(command):\n    return subprocess.run(command, shell=True)\n',
  'src/add.js': ADD,
  'src/clamp.ts': CLAMP,
  'README.md': '# tiny\n',
};

let dir;
let folder;
let server;
let browser;
let page;
const consoleLines = [];

/** The status bar item of the extension, by its text (it always starts with "Pilotfish"). */
const statusItem = () => page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: /^\s*Pilotfish/ }).first();

async function statusText() {
  return (await statusItem().innerText()).trim();
}

/** Waits (deadline 30 s) until the status bar text matches `pattern`; fails with what it says. */
async function waitForStatus(pattern) {
  try {
    const handle = await page.waitForFunction((source) => {
      const items = [...document.querySelectorAll('#workbench\\.parts\\.statusbar .statusbar-item')];
      const text = items.map((n) => n.innerText.trim()).find((t) => t.startsWith('Pilotfish'));
      return text !== undefined && new RegExp(source).test(text) && text;
    }, pattern.source, { timeout: 30_000 });
    return handle.jsonValue();
  } catch {
    await page.screenshot({ path: join(shots, 'failed-status.png') });
    assert.fail(`the status bar never matched ${pattern}: it says ${JSON.stringify(await statusText().catch(() => null))}`);
  }
}

/** The ghost text the editor renders now (VS Code renders spaces as U+00A0). */
const ghost = () => page.evaluate(() =>
  [...document.querySelectorAll('.ghost-text-decoration, .ghost-text-decoration-preview')].map((n) => n.textContent).join('').replaceAll('\u00a0', ' '));

async function waitForGhost(text) {
  try {
    await page.waitForFunction((text) =>
      [...document.querySelectorAll('.ghost-text-decoration, .ghost-text-decoration-preview')].map((n) => n.textContent).join('').replaceAll('\u00a0', ' ') === text,
    text, { timeout: 20_000 });
  } catch {
    await page.screenshot({ path: join(shots, 'failed-ghost.png') });
    assert.fail(`the ghost text never became ${JSON.stringify(text)}: it is ${JSON.stringify(await ghost())}; status ${JSON.stringify(await statusText())}; upstream ${JSON.stringify(await stats())}; console ${JSON.stringify(consoleLines.filter((l) => /pilotfish/i.test(l)))}`);
  }
}

/** Waits until the output panel's shown text matches `pattern`. Its view lines are joined with
 * nothing between them: the panel wraps long lines, and a wrapped line is several view lines.
 * They are taken in the order they are drawn (their `top`): the editor reuses line elements, so
 * the DOM's order is not the text's. */
async function waitForOutput(pattern, timeout = 20_000) {
  try {
    await page.waitForFunction((source) => new RegExp(source).test([...document.querySelectorAll('.panel .view-line')]
      .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
      .map((line) => line.textContent.replaceAll('\u00a0', ' ')).join('')), pattern.source, { timeout });
  } catch {
    await page.screenshot({ path: join(shots, 'failed-output.png') });
    const shown = await page.evaluate(() => [...document.querySelectorAll('.panel .view-line')].map((l) => l.textContent));
    assert.fail(`the output never showed ${pattern}: ${JSON.stringify(shown)}`);
  }
}

/** Waits until a notification toast says `text` (the command's own last word on what it did). */
async function waitForToast(text, timeout = 60_000) {
  try {
    await page.locator('.notifications-toasts .notification-toast', { hasText: text }).first().waitFor({ timeout });
  } catch {
    await page.screenshot({ path: join(shots, 'failed-toast.png') });
    const shown = await page.evaluate(() => [...document.querySelectorAll('.notifications-toasts .notification-toast')].map((t) => t.textContent));
    assert.fail(`no notification said ${JSON.stringify(text)}: ${JSON.stringify(shown)}`);
  }
}

/** Runs a command from the command palette by its title. */
async function runCommand(title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

before(async () => {
  assert.ok(proxyUrl && token && vsix && process.env.PILOTFISH_E2E_CONTROL,
    'set PILOTFISH_E2E_PROXY, PILOTFISH_E2E_CONTROL, PILOTFISH_E2E_TOKEN and PILOTFISH_VSIX (cargo xtask test-vscode does this)');
  await mkdir(shots, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'pilotfish-vscode-'));
  folder = join(dir, 'project');
  for (const [path, text] of Object.entries(PROJECT)) {
    await mkdir(join(folder, path, '..'), { recursive: true });
    await writeFile(join(folder, path), text);
  }
  server = await startCodeServer({
    dir, folder, vsix,
    settings: {
      'pilotfish.proxyUrl': proxyUrl,
      'security.workspace.trust.enabled': false,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'chat.disableAIFeatures': true,
      'extensions.ignoreRecommendations': true,
      'telemetry.telemetryLevel': 'off',
      'editor.inlineSuggest.enabled': true,
      // VS Code's own word suggestions would cover the ghost text.
      'editor.quickSuggestions': { other: false, comments: false, strings: false },
      'editor.suggestOnTriggerCharacters': false,
    },
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', (message) => consoleLines.push(message.text()));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("the README's install section is what this test does", async () => {
  const readme = await readFile(join(root, 'plugin-wasm/README.md'), 'utf8');
  const section = readme.split('## Install the VS Code web extension')[1]?.split('\n## ')[0];
  assert.ok(section, 'plugin-wasm/README.md has the section');
  const shell = section.split('```sh\n')[1].split('```')[0].split('\n').filter((l) => l.trim());
  assert.match(shell[0], /^cargo xtask vsix\b/);
  assert.equal(shell[1], 'code-server --install-extension target/vscode/pilotfish.vsix');
  assert.ok(vsix.endsWith('target/vscode/pilotfish.vsix'), `the test installs ${vsix}`);
  const settings = JSON.parse(section.split('```json\n')[1].split('```')[0]);
  const manifest = JSON.parse(await readFile(join(root, 'plugin-wasm/vscode/package.json'), 'utf8'));
  for (const key of Object.keys(settings)) {
    assert.ok(key in manifest.contributes.configuration.properties, `${key} is a setting of the extension`);
  }
  assert.deepEqual(Object.keys(settings), ['pilotfish.proxyUrl']);
  assert.ok(manifest.contributes.commands.some((c) => c.command === 'pilotfish.setToken' && section.includes(c.title)));
});

test('the .vsix installs into code-server with --install-extension, with the license', async () => {
  assert.match(server.installOutput, /Extension 'pilotfish\.vsix' was successfully installed\./);
  const [installed] = (await readdir(join(dir, 'extensions'))).filter((name) => name.startsWith('pilotfish.pilotfish-'));
  assert.ok(installed, 'the extension is in the extensions folder');
  // vsce packs plugin-wasm/vscode/LICENSE (build.mjs writes it) as LICENSE.txt.
  const license = await readFile(join(dir, 'extensions', installed, 'LICENSE.txt'), 'utf8');
  const manifest = JSON.parse(await readFile(join(root, 'plugin-wasm/vscode/package.json'), 'utf8'));
  assert.equal(manifest.license, 'MIT OR Apache-2.0');
  for (const text of [await readFile(join(root, 'LICENSE-MIT'), 'utf8'), await readFile(join(root, 'LICENSE-APACHE'), 'utf8')]) {
    assert.ok(license.includes(text), 'the packaged LICENSE carries both of the repository\'s license texts');
  }
});

test('VS Code for the Web: set the token, type in Python, see the ghost text, Tab accepts it', async () => {
  const loadStarted = Date.now();
  await page.goto(`${server.url}?folder=${encodeURIComponent(folder)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });

  // Activation: the proxy URL comes from settings.json, the token is not set yet.
  await waitForStatus(/^Pilotfish: not connected$/);
  await page.screenshot({ path: join(shots, '1-activated.png') });

  // The token through the command and its password box: it goes to SecretStorage.
  await runCommand('Pilotfish: Set Proxy Token');
  const box = page.locator('.quick-input-widget input[type="password"]');
  await box.waitFor({ state: 'visible' });
  await box.fill(token);
  await page.keyboard.press('Enter');
  // Four Python files, one JavaScript and one TypeScript file; README.md is outside
  // `pilotfish.include`.
  await waitForStatus(/^Pilotfish: 6 files$/);
  await page.screenshot({ path: join(shots, '2-connected.png') });
  const activated = consoleLines.find((line) => /pilotfish: activated in \d+ ms/.test(line));
  assert.ok(activated, `the extension logged its activation: ${JSON.stringify(consoleLines.filter((l) => /pilotfish/i.test(l)))}`);

  // Open src/report.py and put the cursor after `return ` (line 5, column 12).
  await page.keyboard.press('Control+P');
  const quickOpen = page.locator('.quick-input-widget input');
  await quickOpen.waitFor({ state: 'visible' });
  await quickOpen.fill('report.py');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'report.py' }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.monaco-editor .view-line', { hasText: 'def total(values):' }).waitFor();
  await page.keyboard.press('Control+G');
  await quickOpen.waitFor({ state: 'visible' });
  await quickOpen.fill(':5:12');
  await page.keyboard.press('Enter');

  // VS Code creates an editor's inline-completions controller lazily, when the page is first
  // idle after the editor opens; a key typed before that asks no provider. Wait for that idle
  // callback (queued after the editor's own, so it runs after it).
  await page.evaluate(() => new Promise((resolve) => requestIdleCallback(() => requestIdleCallback(resolve))));
  await script('um(values)\n');
  const before = await stats();
  await page.keyboard.type('s');
  await waitForGhost('um(values)');
  const firstGhostMs = Date.now() - loadStarted;
  assert.equal((await stats()).hits, before.hits + 1, 'one request reached the upstream through the proxy');
  const latency = await waitForStatus(/^Pilotfish: \d+ ms$/);
  await page.screenshot({ path: join(shots, '3-ghost-text.png') });

  await page.keyboard.press('Tab');
  await page.locator('.monaco-editor .view-line', { hasText: 'return sum(values)' }).waitFor();
  await waitForGhost('');
  // Saved to disk, the accepted text is in the file on the server.
  await page.keyboard.press('Control+S');
  const deadline = Date.now() + 10_000;
  let saved = '';
  while (!(saved = await readFile(join(folder, 'src/report.py'), 'utf8')).includes('return sum(values)\n')) {
    if (Date.now() > deadline) assert.fail(`the file was never saved with the suggestion: ${JSON.stringify(saved)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(saved, REPORT.replace('    return \n', '    return sum(values)\n'));
  await page.screenshot({ path: join(shots, '4-accepted.png') });
  // The acceptance reached the engine (the item's command), as its metrics say.
  await runCommand('Pilotfish: Show Metrics');
  await waitForOutput(/Suggestions shown: [1-9]\d*, accepted: 1;/);
  console.log(`vscode extension: ${activated.match(/activated in [^)]*\)/)[0]}; page load → first ghost text ${firstGhostMs} ms; status after the completion: ${latency}`);
});

test('typing on aborts the stale request: the upstream sees the cancellation, the new text gets its own ghost text', async () => {
  // Slow and with no line end, so the first answer is still streaming when the next key comes.
  await script('ax(values)', { chunks: 20, eventDelayMs: 200 });
  const before = await stats();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('m');
  await until((s) => s.hits > before.hits, 'the first request');
  await script('n(values) * 2\n');
  await page.keyboard.type('i');
  await until((s) => s.cancellations > before.cancellations, 'the stale request cancelled');
  await waitForGhost('n(values) * 2');
  await page.keyboard.press('Escape');
  await waitForGhost('');
});

test('search: the quick pick lists a known function and opens its file', async () => {
  await runCommand('Pilotfish: Search the Workspace');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill('polygon area shoelace');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'polygon_area' }).first().waitFor();
  await page.screenshot({ path: join(shots, '5-search.png') });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: 'geometry.py' }).waitFor();
});

test('explain: the answer streams into the Pilotfish output', async () => {
  await script('It returns the area of the polygon with the shoelace formula.\n');
  const before = await stats();
  await runCommand('Pilotfish: Explain Selection');
  await waitForOutput(/It returns the area of the polygon with the shoelace formula\./);
  assert.equal((await stats()).hits, before.hits + 1, 'one chat request reached the upstream');
  await page.screenshot({ path: join(shots, '6-explain.png') });
});

/** Opens a workspace file by name through Quick Open and waits for its tab. */
async function openFile(name) {
  await page.keyboard.press('Control+P');
  const quickOpen = page.locator('.quick-input-widget input');
  await quickOpen.waitFor({ state: 'visible' });
  await quickOpen.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor();
  // Closed, so the next key goes to the editor, not to the box as it closes.
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** Puts the cursor at `line`:`column` of the active editor with "Go to Line". */
async function goTo(line, column) {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
  // The status bar's cursor position says the editor got there.
  await page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: new RegExp(`^\\s*Ln ${line}, Col ${column}\\s*$`) }).waitFor();
}

/** Runs "Pilotfish: Generate with Tests" in the active editor, a `language` file, with `spec`. */
async function generateWithTests(spec, language = 'javascript') {
  await runCommand('Pilotfish: Generate with Tests');
  // The command palette's box becomes the command's input box: wait for the command's prompt.
  await page.locator('.quick-input-widget', { hasText: `What to write, in ${language}` }).waitFor();
  await page.locator('.quick-input-widget input').fill(spec);
  await page.keyboard.press('Enter');
}

/** A model answer in the format the engine splits: the implementation, then its tests. */
const answer = (implementation, tests) => ['```js', implementation, '```', '', '```js tests', ...tests, '```'].join('\n');
const ADD_TESTS = [
  "test('small', () => assert.strictEqual(add(1, 2), 3));",
  "test('zero', () => assert.strictEqual(add(0, 0), 0));",
  "test('negative', () => assert.strictEqual(add(-1, -2), -3));",
];
const RIGHT_ADD = 'function add(a, b) {\n  return a + b;\n}';
const chats = (s) => s.paths.filter((p) => p === 'chat/completions').length;

/** Saves the active editor (Ctrl+S: the palette's "File: Save" can rank "Compare Active File with
 * Saved" first) and checks that `path` on the server becomes `expected` (within 10 s: the write
 * is not atomic, the file can be seen empty on the way). */
async function assertSaved(path, expected) {
  await page.keyboard.press('Control+S');
  const deadline = Date.now() + 10_000;
  let saved;
  while ((saved = await readFile(join(folder, path), 'utf8')) !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(saved, expected, `${path} as saved`);
}

test('generate with tests: each round in the output, the accepted code inserted at the cursor', async () => {
  // The model is wrong first (a - b), right after the feedback; the same three tests each time
  // (the Monaco adapter's test has the same answers).
  await script(answer('function add(a, b) {\n  return a - b;\n}', ADD_TESTS), { then: [answer(RIGHT_ADD, ADD_TESTS)] });
  const before = await stats();
  await openFile('add.js');
  await goTo(2, 1);
  await generateWithTests('Write add(a, b): it returns the sum of a and b.');
  await waitForToast('the code passed its tests in round 2 and was inserted at line 2');
  // The rounds as the sandbox ran them: round 1 fails two tests (a - b), round 2 passes all three.
  // Line by line: the output panel of code-server's web worker extension host has been seen to
  // drop a line that was appended right after others (the model's text, not just its drawing),
  // so the command's final word is checked in its notification and the file.
  await waitForOutput(/✗ small: AssertionError: Expected values to be strictly equal: -1 !== 3/);
  await waitForOutput(/Round 2: 3\/3 tests pass, accepted/);
  assert.equal(chats(await stats()), chats(before) + 2, 'one chat request per round reached the upstream');
  await page.locator('#workbench\\.parts\\.editor .view-line', { hasText: 'return a + b;' }).waitFor();
  await page.screenshot({ path: join(shots, '7-generate.png') });
  // Saved, the file on the server holds the accepted implementation where the cursor was.
  await assertSaved('src/add.js', `${ADD}${RIGHT_ADD}\n`);
});

test('generate with tests: a test that reaches for the network fails in the sandbox; no passing round inserts nothing', async () => {
  // The same answer every round: right code, and a test that calls the proxy with fetch. In the
  // sandbox the call throws the lockdown's own error before any request is made (an open network
  // would give a response or a "Failed to fetch" TypeError instead).
  const phoneHome = `test('phones home', async () => { await fetch(${JSON.stringify(`${proxyUrl}/v1/models`)}); });`;
  await script(answer(RIGHT_ADD, [...ADD_TESTS, phoneHome]));
  const before = await stats();
  await generateWithTests('Write add(a, b) again.');
  await waitForToast('no generated code passed its tests; nothing was inserted');
  // Each of the three rounds says so; one line is enough to see it.
  await waitForOutput(/✗ phones home: SandboxBlocked: fetch is disabled in the sandbox/);
  assert.equal(chats(await stats()), chats(before) + 3, 'three rounds, three chat requests');
  await page.screenshot({ path: join(shots, '8-generate-contained.png') });
  // Nothing inserted: the editor has no unsaved change and one add function.
  assert.equal(await page.locator('.tabs-container .tab.active', { hasText: 'add.js' }).count(), 1, 'the generate ran in src/add.js');
  assert.equal(await page.locator('.tabs-container .tab.active.dirty').count(), 0, 'src/add.js was not changed');
  assert.equal(await page.locator('#workbench\\.parts\\.editor .view-line', { hasText: 'function add' }).count(), 1);
  assert.equal(await readFile(join(folder, 'src/add.js'), 'utf8'), `${ADD}${RIGHT_ADD}\n`);
});

test('generate with tests in TypeScript: types and ES modules are turned into what the sandbox runs', async () => {
  // Typed code with `export`, tests that `import` it and node's assert: sucrase rewrites both
  // before the worker runs them, so all three pass in the first round.
  const clamp = 'export function clamp(value: number, low: number, high: number): number {\n  return Math.min(high, Math.max(low, value));\n}';
  await script(['```ts', clamp, '```', '', '```ts tests',
    "import { clamp } from './solution';", "import assert from 'node:assert/strict';",
    "test('inside', () => assert.equal(clamp(5, 0, 10), 5));",
    "test('below', () => assert.equal(clamp(-1, 0, 10), 0));",
    "test('above', () => assert.equal(clamp(11, 0, 10), 10));", '```'].join('\n'));
  const before = await stats();
  await openFile('clamp.ts');
  await goTo(2, 1);
  await generateWithTests('Write clamp(value, low, high): value kept between low and high.', 'typescript');
  await waitForToast('the code passed its tests in round 1 and was inserted at line 2');
  assert.equal(chats(await stats()), chats(before) + 1, 'one round, one chat request');
  await assertSaved('src/clamp.ts', `${CLAMP}${clamp}\n`);
});

/** The Problems panel's rows, as text. */
const problemRows = () => page.evaluate(() =>
  [...document.querySelectorAll('.markers-panel .monaco-list-row')].map((row) => row.textContent));

test('Problems: an open file\'s security finding is listed, and goes when the file closes', async () => {
  await openFile('shell.py');
  await page.keyboard.press('Control+Shift+M');
  const finding = /with `shell=True` runs a command line built at run time \(CWE-78\)\..*Pilotfish.*py-subprocess-shell.*\[Ln 5, Col \d+\]/;
  try {
    await page.waitForFunction((source) => [...document.querySelectorAll('.markers-panel .monaco-list-row')]
      .some((row) => new RegExp(source).test(row.textContent)), finding.source, { timeout: 20_000 });
  } catch {
    await page.screenshot({ path: join(shots, 'failed-problems.png') });
    assert.fail(`the Problems panel never listed the finding: ${JSON.stringify(await problemRows())}`);
  }
  await page.screenshot({ path: join(shots, '9-problems.png') });
  // Closing the file's only tab clears its diagnostics.
  await page.keyboard.press('Control+W');
  await page.locator('.tabs-container .tab', { hasText: 'shell.py' }).waitFor({ state: 'detached' });
  try {
    await page.waitForFunction(() => ![...document.querySelectorAll('.markers-panel .monaco-list-row')]
      .some((row) => row.textContent.includes('py-subprocess-shell')), null, { timeout: 20_000 });
  } catch {
    assert.fail(`the finding stayed after the file closed: ${JSON.stringify(await problemRows())}`);
  }
});

/** The index snapshot the extension keeps in its workspace storage on the server's disk. */
async function snapshotFile(under = join(dir, 'user-data')) {
  for (const entry of await readdir(under, { withFileTypes: true })) {
    const path = join(under, entry.name);
    if (entry.isDirectory()) {
      const found = await snapshotFile(path);
      if (found) return found;
    } else if (entry.name === 'index-snapshot.bin' && under.endsWith('pilotfish.pilotfish')) {
      return path;
    }
  }
  return null;
}

test('a reload restores the index from the extension\'s storage and re-indexes only the changed file', async () => {
  // A save writes the index snapshot at once (code-server may have auto-saved the edited
  // report.py already): wait for a snapshot newer than every file of the project.
  await runCommand('File: Save All');
  const newest = async () => Math.max(...await Promise.all(Object.keys(PROJECT).map(async (p) => (await stat(join(folder, p))).mtimeMs)));
  const deadline = Date.now() + 20_000;
  let file;
  while (!(file = await snapshotFile()) || (await stat(file)).mtimeMs <= await newest()) {
    if (Date.now() > deadline) {
      await page.screenshot({ path: join(shots, 'failed-snapshot.png') });
      assert.fail(`no snapshot written after saving: ${file}; ${JSON.stringify(consoleLines.filter((l) => /pilotfish/i.test(l)))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // One file changes on disk while the window is away.
  await writeFile(join(folder, 'src/calc.py'), `${CALC}\n\ndef double(value):\n    return value * 2\n`);
  const seen = consoleLines.length;
  await page.reload();
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await waitForStatus(/^Pilotfish: 6 files$/);
  // The extension host's lines arrive as "%c[Extension Host] %cpilotfish: … color: …".
  const logged = () => consoleLines.slice(seen).map((line) => line.match(/pilotfish: .*/)?.[0]).filter(Boolean);
  const until = Date.now() + 20_000;
  while (!logged().some((line) => line.startsWith('pilotfish: indexed'))) {
    if (Date.now() > until) assert.fail(`the reloaded extension never finished indexing: ${JSON.stringify(logged())}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const lines = logged();
  assert.ok(lines.some((line) => /restored 6 files from the index snapshot/.test(line)), JSON.stringify(lines));
  assert.ok(lines.some((line) => /^pilotfish: indexed 6 files \(1 new or changed, 0 removed, \d+ chunks\)/.test(line)), JSON.stringify(lines));
  await page.screenshot({ path: join(shots, '10-reloaded.png') });
});
