// The JavaScript sandbox: a dedicated module worker that runs one job (the implementation and
// its tests, already turned into plain CommonJS-style JS by the page's esbuild transform) and is
// then terminated by the page. It has no DOM (it is a worker), and `lockDown` closes the network,
// code loading and postMessage before the job's code runs; the page enforces the wall-clock
// limit by terminating it. Output goes through a console that counts characters against the
// job's cap.
//
// Protocol: the worker posts `{ type: 'ready' }` once loaded and locked down; the page posts
// `{ nonce, code, tests, module, outputCap }` once; the worker posts `{ nonce, type: 'test',
// test }` as each test finishes and `{ nonce, type: 'done', result }`.

import { assert, strict, show } from './assert.js';
import { lockDown } from './lockdown.js';

// Captured before lockDown: the only way left to compile code is the sandbox's own.
const compile = Function;
const now = () => performance.now();
const send = lockDown();

class OutputCapReached extends Error {
  constructor(cap) {
    super(`output cap of ${cap} characters reached; the rest of the output was dropped`);
    this.name = 'OutputCapReached';
  }
}

/** One place output is collected: the module's top level or one test. */
function sink() {
  return { stdout: [], stderr: [] };
}

function job({ nonce, code, tests, module, outputCap }) {
  const result = { tests: [], error: null, timedOut: false, truncated: false, stdout: '', stderr: '' };
  const top = sink();
  let current = top;
  let used = 0;
  const write = (stream, args) => {
    const text = `${args.map((a) => (typeof a === 'string' ? a : show(a))).join(' ')}\n`;
    if (used + text.length > outputCap) {
      current[stream].push(text.slice(0, Math.max(0, outputCap - used)));
      used = outputCap;
      result.truncated = true;
      throw new OutputCapReached(outputCap);
    }
    used += text.length;
    current[stream].push(text);
  };
  const console = {};
  for (const m of ['log', 'info', 'debug', 'trace', 'dir', 'table']) console[m] = (...a) => write('stdout', a);
  for (const m of ['error', 'warn', 'assert']) console[m] = (...a) => write('stderr', a);
  globalThis.console = console;

  // The test harness: `test(name, fn)` (also `it`), `describe(name, fn)` prefixes names.
  const registered = [];
  const prefix = [];
  const test = (name, fn) => {
    if (typeof name === 'function') [name, fn] = [name.name || `test ${registered.length + 1}`, name];
    registered.push({ name: [...prefix, String(name)].join(' > '), fn });
  };
  test.skip = () => {};
  test.only = test;
  const describe = (name, fn) => {
    prefix.push(String(name));
    try { fn(); } finally { prefix.pop(); }
  };
  const exportsOf = { exports: {} };
  const require = (spec) => {
    const name = String(spec);
    if (['assert', 'node:assert'].includes(name)) return assert;
    if (['assert/strict', 'node:assert/strict'].includes(name)) return strict;
    if (['node:test', 'test'].includes(name)) return { test, it: test, describe, default: test };
    const bare = name.replace(/^(\.\.?\/)+/, '').replace(/\.(m|c)?[jt]sx?$/, '');
    if (bare === module || name.startsWith('./') || name.startsWith('../')) return exportsOf.exports;
    throw new Error(`module "${name}" is not available in the sandbox (no network, no npm, no file system)`);
  };
  Object.assign(globalThis, { test, it: test, describe, assert, require });

  // Line numbers would point into esbuild's output, not the model's code: the message is what
  // the model can act on.
  const errorText = (error) => (error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${show(error)}`);
  const flush = (into, from) => {
    into.stdout = from.stdout.join('');
    into.stderr = from.stderr.join('');
  };

  // The implementation, then the tests, in one scope: the tests see the implementation's
  // top-level names, and `require('./solution')` gives its exports. The harness is global, not a
  // parameter, so a test file's own `const assert = require('node:assert')` is not redeclaring.
  let suite;
  try {
    suite = compile('require', 'module', 'exports', `${code}\n;${tests}`);
  } catch (error) {
    result.error = `the code does not compile: ${errorText(error)}`;
    return finish();
  }

  async function run() {
    const started = now();
    try {
      await suite(require, exportsOf, exportsOf.exports);
    } catch (error) {
      // Top-level code failed: an implementation that throws on load, or top-level asserts.
      const record = { name: 'tests (top level)', passed: false, error: errorText(error), stdout: '', stderr: '', ms: now() - started };
      flush(record, top);
      top.stdout = [];
      top.stderr = [];
      result.tests.push(record);
      send({ nonce, type: 'test', test: record });
    }
    if (registered.length === 0 && result.tests.length === 0 && /assert/.test(tests)) {
      // Plain top-level asserts that all held: one passing test.
      const record = { name: 'tests (top level)', passed: true, error: null, stdout: '', stderr: '', ms: now() - started };
      result.tests.push(record);
      send({ nonce, type: 'test', test: record });
    }
    for (const { name, fn } of registered) {
      current = sink();
      const t0 = now();
      const record = { name, passed: true, error: null, stdout: '', stderr: '', ms: 0 };
      try {
        await fn();
      } catch (error) {
        record.passed = false;
        record.error = errorText(error);
      }
      record.ms = now() - t0;
      flush(record, current);
      result.tests.push(record);
      send({ nonce, type: 'test', test: record });
    }
    current = top;
    finish();
  }

  function finish() {
    result.stdout = top.stdout.join('');
    result.stderr = top.stderr.join('');
    send({ nonce, type: 'done', result });
  }

  run().catch((error) => {
    result.error = `the sandbox failed: ${errorText(error)}`;
    finish();
  });
}

let started = false;
self.addEventListener('message', (event) => {
  // One job per worker: a second message (the page never sends one) is ignored.
  if (started) return;
  started = true;
  job(event.data);
});
// Loaded and locked down: the page starts the job's clock now. The job, posted at spawn, is
// dispatched after this module has finished evaluating.
send({ type: 'ready' });
