// The Pilotfish engine in a Web Worker, for the Monaco adapter (index.js): indexing, search and
// the assistant's network calls run here, so typing never waits for them. A module worker: it
// imports the assistant package (../pkg-assistant/, `cargo xtask build-wasm --assistant`).
//
// Protocol (structured-clone messages; one request id per call, chosen by the page):
//   page → worker  { id, method, args }   call `method` with `args` (an array)
//                  { id, abort: true }     abort call `id` (its AbortSignal fires; a completion
//                                          resolves null and its request is closed)
//   worker → page  { id, result }          the call's value
//                  { id, error }           the call failed: `error` is the Error's message
//                  { id, text, soFar }     a streamed piece of a completion or chat answer
//                  { id, done, total }     indexFiles progress, after each time slice
//                  { warning }             something the page should console.warn
// Methods: open(options) (its `staticTableUrl` is fetched and loaded before the restore),
// indexFiles(files, { prune }), indexFile(path, text), removeFile(path),
// search(query, options), complete(request), chat(request), acceptSuggestion(path), metrics(),
// flush(), refiner(options) (a generate-with-tests loop's decisions, kept here under a key) and
// refinerStep(key, step, ...args) (its plan, split, record, rounds or free). The engine's own
// methods keep their meaning (plugin-wasm/README.md); what is added here is only what a worker
// needs: time slices, cancellation by message, the refiners' keys, and the index snapshot in
// IndexedDB.
import init, { Engine } from '../pkg-assistant/plugin_wasm.js';

/** The IndexedDB database is the host's `persistKey`, one object store, as the engine's response
 * cache keeps it (plugin-wasm/src/net/idb.rs): the snapshot lives beside that cache. */
const STORE = 'blobs';
const SNAPSHOT_KEY = 'index-snapshot';
/** A bulk index yields to other messages (a completion, an abort) this often. */
const SLICE_MS = 25;
/** Restored files tagged per turn of the worker's event loop (about 1–2 ms each). */
const TAG_SLICE_FILES = 16;
/** Edits are persisted this long after the last one. */
const SAVE_DELAY_MS = 2000;

let engine = null;
let persistKey = null;
/** The static table's bytes when one loaded: an engine replaced after a refused snapshot loads
 * them again (vectors of one embedder only ever meet the same embedder's). */
let tableBytes = null;
/** Generate-with-tests loops (`Engine.refiner` objects) by key: they cannot cross to the page, so
 * the page's loop (sandbox/refine.js) calls their steps by message. */
const refiners = new Map();
let nextRefiner = 1;
const REFINER_STEPS = new Set(['plan', 'split', 'record', 'rounds', 'costMicroUsd']);
let saveTimer = null;
/** Call id → AbortController, for calls that can be aborted by message. */
const controllers = new Map();

const post = (message) => self.postMessage(message);
const warn = (warning) => post({ warning });

function database() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(persistKey, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function stored(mode, use) {
  const db = await database();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = use(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Writes the index snapshot now; resolves once committed (a reload right after keeps it). */
async function save() {
  clearTimeout(saveTimer);
  saveTimer = null;
  if (!persistKey) return false;
  const bytes = engine.snapshot();
  await stored('readwrite', (store) => store.put(bytes, SNAPSHOT_KEY));
  return true;
}

function saveSoon() {
  if (!persistKey) return;
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => save().catch((e) => warn(`pilotfish: saving the index failed: ${e.message}`)), SAVE_DELAY_MS);
}

/** Tags the restored files a few at a time between messages: search works without tags, prompts
 * need them, and tagging a large project at once would hold the worker for seconds. */
async function tagInBackground() {
  const current = engine;
  try {
    while (current === engine && current.tagPending(TAG_SLICE_FILES) > 0) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  } catch (error) {
    if (current === engine) warn(`pilotfish: tagging the restored index failed: ${error.message}`);
  }
}

/** Restores the snapshot under `persistKey`; a damaged or foreign one is discarded (a fresh index). */
async function restore(engineOptions) {
  const started = performance.now();
  let readMs = 0;
  const result = (files, discarded, bytes = 0) => ({ files, discarded, bytes, ms: performance.now() - started, readMs });
  let bytes;
  try {
    bytes = await stored('readonly', (store) => store.get(SNAPSHOT_KEY));
  } catch (error) {
    warn(`pilotfish: IndexedDB ${JSON.stringify(persistKey)} cannot be read, starting with a fresh index: ${error?.message ?? error}`);
    return result(0, String(error?.message ?? error));
  }
  readMs = performance.now() - started;
  if (bytes === undefined) return result(0, null);
  try {
    engine.restore(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
    tagInBackground();
    return result(engine.paths().length, null, bytes.byteLength);
  } catch (error) {
    // The engine refuses another embedder's vectors (a snapshot from before a table was set, or
    // with another table): that snapshot is as useless here as a damaged one.
    const why = /snapshot vectors come from/.test(error.message) ? 'was made with another embedder' : 'is unreadable';
    warn(`pilotfish: the index snapshot in IndexedDB ${JSON.stringify(persistKey)} ${why} and was discarded: ${error.message}`);
    engine.free();
    engine = newEngine(engineOptions);
    return result(0, error.message, bytes.byteLength ?? 0);
  }
}

function newEngine(options) {
  const created = new Engine(options);
  if (tableBytes) created.loadStaticTable(tableBytes);
  return created;
}

/** Fetches and loads the static table at `url` into the (empty) engine; any failure leaves the
 * hashed embedder in place with a warning: search is worse, the editor still works. */
async function loadTable(url) {
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    engine.loadStaticTable(bytes);
    tableBytes = bytes;
  } catch (error) {
    warn(`pilotfish: the static table ${url} could not be loaded, searching with the hashed embedder: ${error?.message ?? error}`);
  }
}

const methods = {
  async open({ proxyUrl, token, persistKey: key, debounce, routes, prices, engineOptions, staticTableUrl }) {
    await init();
    const options = { positionEncoding: 'utf16', ...engineOptions };
    engine = new Engine(options);
    // Before the restore and any indexing: an index holds one embedder's vectors.
    if (staticTableUrl) await loadTable(staticTableUrl);
    persistKey = key ?? null;
    const restored = persistKey ? await restore(options) : { files: 0, discarded: null, bytes: 0, ms: 0 };
    await engine.configureAssistant({
      proxyUrl, token, routes, prices, debounce, ...(persistKey ? { persist: persistKey } : {}),
    });
    return { ...restored, embedder: engine.embedder };
  },

  /** Indexes in time slices so other messages get in between; sums the slices' reports. With
   * `prune`, indexed paths not among `files` are removed (the host's project is the truth). */
  async indexFiles(id, files, { prune = false } = {}) {
    const total = { files: 0, unchanged: 0, chunks: 0, embedded: 0, removed: 0, cancelled: false };
    const signal = controllers.get(id)?.signal;
    let next = 0;
    while (next < files.length) {
      if (signal?.aborted) {
        total.cancelled = true;
        break;
      }
      const sliceStart = performance.now();
      const report = engine.indexFiles(files.slice(next), () => performance.now() - sliceStart < SLICE_MS);
      total.files += report.files;
      total.unchanged += report.unchanged;
      total.chunks += report.chunks;
      total.embedded += report.embedded;
      next += report.files;
      post({ id, done: next, total: files.length });
      if (next < files.length) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (prune && !total.cancelled) {
      const keep = new Set(files.map((f) => f.path));
      for (const path of engine.paths()) {
        if (!keep.has(path) && engine.removeFile(path)) total.removed += 1;
      }
    }
    total.persisted = total.files > total.unchanged || total.removed > 0 ? await save() : false;
    return total;
  },

  indexFile(_id, path, text) {
    const file = engine.indexFile(path, text);
    saveSoon();
    // Syntax errors worded for a person, security findings and where secrets are, from one parse.
    return { path: file.path, language: file.language, chunks: file.chunks.length, analysis: engine.analyze(path, text) };
  },

  removeFile(_id, path) {
    const removed = engine.removeFile(path);
    if (removed) saveSoon();
    return removed;
  },

  search(_id, query, options) {
    return engine.search(query, options);
  },

  complete(id, request) {
    const signal = controllers.get(id).signal;
    return engine.complete(request, { signal, onText: (text, soFar) => post({ id, text, soFar }) });
  },

  chat(id, request, options = {}) {
    const signal = controllers.get(id).signal;
    const { attempt, maxTokens, temperature } = options;
    return engine.chat(request, { signal, attempt, maxTokens, temperature, onText: (text, soFar) => post({ id, text, soFar }) });
  },

  acceptSuggestion(_id, path) {
    engine.acceptSuggestion(path);
  },

  metrics() {
    return engine.metrics();
  },

  async flush() {
    await Promise.all([save(), engine.flushCache()]);
  },

  refiner(_id, options) {
    const refiner = engine.refiner(options);
    const key = nextRefiner++;
    refiners.set(key, refiner);
    return { key, request: refiner.request() };
  },

  refinerStep(_id, key, step, ...args) {
    const refiner = refiners.get(key);
    if (!refiner) throw new Error(`pilotfish worker: no refiner ${key} (freed?)`);
    if (step === 'free') {
      refiners.delete(key);
      refiner.free();
      return null;
    }
    if (!REFINER_STEPS.has(step)) throw new Error(`pilotfish worker: unknown refiner step ${JSON.stringify(step)}`);
    return refiner[step](...args);
  },
};

self.onmessage = async ({ data }) => {
  const { id } = data;
  if (data.abort) {
    controllers.get(id)?.abort();
    return;
  }
  const method = methods[data.method];
  if (!method) {
    post({ id, error: `pilotfish worker: unknown method ${JSON.stringify(data.method)}` });
    return;
  }
  const controller = new AbortController();
  controllers.set(id, controller);
  try {
    const args = data.method === 'open' ? data.args : [id, ...data.args];
    if (data.method !== 'open' && !engine) throw new Error('pilotfish worker: open() first');
    post({ id, result: await method(...args) });
  } catch (error) {
    post({ id, error: error?.message ?? String(error) });
  } finally {
    controllers.delete(id);
  }
};
