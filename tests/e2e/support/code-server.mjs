// code-server (VS Code for the Web, installed by `cargo xtask test-vscode` under
// .cache/code-server/) for the extension's end-to-end test: a throwaway user-data and extensions
// folder, the extension installed from its .vsix exactly as a person would, and the server on a
// free loopback port, stopped by `stop()`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

const node = process.env.PILOTFISH_CODE_SERVER_NODE;
const entry = process.env.PILOTFISH_CODE_SERVER;

/** Runs code-server with `args`; resolves with its output when it exits 0. */
function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`code-server ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Prepares `dir` (user data with `settings`, extensions, code-server's own config), installs
 * `vsix` and starts code-server on `folder`. Resolves to `{ url, installOutput, stop }` once it
 * answers HTTP.
 */
export async function startCodeServer({ dir, folder, vsix, settings }) {
  assert.ok(node && entry, 'set PILOTFISH_CODE_SERVER_NODE and PILOTFISH_CODE_SERVER (cargo xtask test-vscode does this)');
  const userData = join(dir, 'user-data');
  const extensions = join(dir, 'extensions');
  const config = join(dir, 'config.yaml');
  await mkdir(join(userData, 'User'), { recursive: true });
  await mkdir(extensions, { recursive: true });
  await writeFile(join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];
  // What the README tells people to run, with the test's own folders.
  const installOutput = await run([...common, '--install-extension', vsix]);

  const port = await freePort();
  const child = spawn(node, [
    entry, ...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', folder,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) assert.fail(`code-server exited ${child.exitCode}:\n${log}`);
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) assert.fail(`code-server did not answer ${url} within 60 s:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    installOutput,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
