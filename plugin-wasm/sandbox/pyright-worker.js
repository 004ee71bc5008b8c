// Python type checking in the tab (issue 15, item 1): basedpyright's browser build
// (`browser-basedpyright` on npm, served from node_modules) driven as a language server from this
// dedicated worker, so its JSON-RPC chatter, its second worker and its 17 MB script stay off the
// page. The page speaks a small protocol with this worker (`pyright.js` wraps it):
//
//   in:  { id, type: 'check', files: [{ path, text }], target }
//   out: { id, type: 'result', diagnostics: [{ path, range, line, column, endLine, endColumn,
//          severity, rule, message }], ms }
//        { id, type: 'error', error }
//
// `files` are the project's Python files and the generated one; `target` is the path whose
// diagnostics come back. Paths are relative (`pkg/mod.py`) and live under `/w` on pyright's
// in-memory file system, apart from the typeshed stubs the bundle carries under `/typeshed`
// (with the workspace at `/` pyright would take the stubs for project sources).
//
// The server wants what a plain LSP client does not give it: a `browser/boot` message before any
// JSON-RPC, `workspaceFolders` (it ignores `rootUri`), its initial files in
// `initializationOptions.files`, a file to exist on its file system before it checks an open
// document (`pyright/createFile`), and a second worker for background analysis, asked for with
// `browser/newWorker` and a port to hand over. Those rules come from the bundle's source
// (DetachHead/basedpyright, packages/browser-pyright).

const pyrightUrl = new URL('../../node_modules/browser-basedpyright/dist/pyright.worker.js', import.meta.url).href;
const ROOT = '/w';
/** basedpyright's default mode is stricter than pyright's; `standard` is pyright's default, so
 * the tab and `pyright` on the command line report the same things. */
const CONFIG = { typeshedPath: '/typeshed', typeCheckingMode: 'standard', pythonVersion: '3.12' };
const SEVERITY = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

const workers = [];
let server = null;
let nextId = 1;
const pending = new Map();
/** `uri` → resolve, for the check waiting on that document's next diagnostics. */
const waiting = new Map();
/** Relative path → the text pyright has for it. */
const known = new Map();
/** uri → version of each document opened with `didOpen`. */
const opened = new Map();
/** Between the server's `pyright/beginProgress` and `pyright/endProgress`: files are still being
 * analysed. It reports progress before it publishes a pass's diagnostics, so a list published
 * while this is false comes from a finished pass. */
let analysing = false;

function uriOf(path) {
  const clean = String(path).replace(/^\/+/, '');
  if (!clean || clean.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`pyright worker: bad path ${JSON.stringify(path)}`);
  }
  return `file://${ROOT}/${clean}`;
}

function send(message) {
  server.postMessage({ jsonrpc: '2.0', ...message });
}

function request(method, params) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    send({ id, method, params });
  });
}

/** Requests the server makes of its client: nothing here has settings or progress bars. */
function answer(message) {
  let result = null;
  if (message.method === 'workspace/configuration') {
    result = (message.params?.items ?? []).map(() => null);
  }
  send({ id: message.id, result });
}

function receive(data) {
  if (data?.type === 'browser/newWorker') {
    const background = new Worker(pyrightUrl, { name: `pyright-background-${workers.length}` });
    workers.push(background);
    background.postMessage(
      { type: 'browser/boot', mode: 'background', initialData: data.initialData, port: data.port },
      [data.port],
    );
    return;
  }
  if (data?.jsonrpc !== '2.0') return;
  if (data.method !== undefined) {
    if (data.id !== undefined) answer(data);
    else if (data.method === 'textDocument/publishDiagnostics') published(data.params);
    else if (data.method === 'pyright/beginProgress' || data.method === 'pyright/reportProgress') analysing = true;
    else if (data.method === 'pyright/endProgress') analysing = false;
    return;
  }
  const call = pending.get(data.id);
  if (!call) return;
  pending.delete(data.id);
  if (data.error) call.reject(new Error(data.error.message));
  else call.resolve(data.result);
}

function published({ uri, version, diagnostics }) {
  const wait = waiting.get(uri);
  // Diagnostics for an older text of the document are not the answer to this check, nor are
  // those published while files remain to be analysed: pyright publishes a document it has
  // parsed but not yet checked (a new file's first list is empty), and again once checked.
  if (!wait || (version !== undefined && version !== wait.version) || analysing) return;
  waiting.delete(uri);
  wait.resolve(diagnostics);
}

async function start(files) {
  const initial = { [`${ROOT}/pyrightconfig.json`]: JSON.stringify(CONFIG) };
  for (const { path, text } of files) {
    initial[new URL(uriOf(path)).pathname] = text;
    known.set(path, text);
  }
  server = new Worker(pyrightUrl, { name: 'pyright-foreground' });
  workers.push(server);
  server.addEventListener('message', (event) => receive(event.data));
  server.addEventListener('error', (event) => fail(new Error(`pyright: ${event.message ?? 'the worker failed'}`)));
  server.postMessage({ type: 'browser/boot', mode: 'foreground' });
  await request('initialize', {
    processId: null,
    rootUri: `file://${ROOT}`,
    workspaceFolders: [{ uri: `file://${ROOT}`, name: 'project' }],
    capabilities: {
      textDocument: { publishDiagnostics: { versionSupport: true } },
      workspace: { configuration: true },
    },
    initializationOptions: { files: initial },
  });
  send({ method: 'initialized', params: {} });
}

function fail(error) {
  for (const call of pending.values()) call.reject(error);
  pending.clear();
  for (const wait of waiting.values()) wait.reject(error);
  waiting.clear();
}

/** Brings pyright's copy of `path` to `text` and returns the document's new version. */
function update(path, text) {
  const uri = uriOf(path);
  const version = (opened.get(uri) ?? 0) + 1;
  if (!known.has(path)) {
    send({ method: 'pyright/createFile', params: { kind: 'create', uri } });
  }
  if (opened.has(uri)) {
    send({
      method: 'textDocument/didChange',
      params: { textDocument: { uri, version }, contentChanges: [{ text }] },
    });
  } else {
    send({
      method: 'textDocument/didOpen',
      params: { textDocument: { uri, languageId: 'python', version, text } },
    });
  }
  known.set(path, text);
  opened.set(uri, version);
  return version;
}

function toDiagnostic(path, d) {
  const { start, end } = d.range;
  return {
    path,
    range: d.range,
    line: start.line + 1,
    column: start.character + 1,
    endLine: end.line + 1,
    endColumn: end.character + 1,
    severity: SEVERITY[d.severity] ?? 'error',
    rule: d.code == null ? null : String(d.code),
    message: d.message,
  };
}

let queue = Promise.resolve();

async function check(files, target) {
  if (!files.some((f) => f.path === target)) throw new Error(`pyright worker: ${target} is not among the files`);
  if (!server) await start(files.filter((f) => f.path !== target));
  for (const { path, text } of files) {
    if (path !== target && known.get(path) !== text) update(path, text);
  }
  const uri = uriOf(target);
  const diagnostics = new Promise((resolve, reject) => {
    // Registered before the change is sent, with the version the change will carry.
    waiting.set(uri, { version: (opened.get(uri) ?? 0) + 1, resolve, reject });
  });
  // The target is always sent again, even unchanged, so that it is checked against the other
  // files as they are now and its diagnostics are published for this check.
  update(target, files.find((f) => f.path === target).text);
  return (await diagnostics).map((d) => toDiagnostic(target, d));
}

self.addEventListener('message', (event) => {
  const { id, type, files, target } = event.data ?? {};
  if (type !== 'check') return;
  // One check at a time: each waits for its own document version's diagnostics.
  queue = queue.then(async () => {
    const started = performance.now();
    try {
      const list = (files ?? []).map((f) => ({ path: String(f.path), text: String(f.text) }));
      const diagnostics = await check(list, String(target));
      postMessage({ id, type: 'result', diagnostics, ms: performance.now() - started });
    } catch (error) {
      postMessage({ id, type: 'error', error: String(error?.message ?? error) });
    }
  });
});
