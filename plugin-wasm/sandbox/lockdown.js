// Closes a sandbox worker's ways out before generated code runs: the network (fetch,
// XMLHttpRequest, WebSocket, EventSource, WebTransport, the Cache API's add), loading code
// (importScripts, nested Worker and SharedWorker, and the string-to-code doors that could reach
// `import()`: eval, the Function constructors, string timers), talking to other pages
// (BroadcastChannel), storage (indexedDB, caches) and the worker's own postMessage, which only
// the sandbox's private `send` may use. Run it after the worker has loaded what it needs
// (Pyodide fetches its files first) and keep the returned `send`.
//
// A disabled global becomes a function that throws `NetworkBlocked`-style errors naming it, so a
// test that tries reports "fetch is disabled in the sandbox" instead of a vague TypeError.

/** Names whose use is reported as a blocked network or code load. */
const BLOCKED = [
  'fetch', 'XMLHttpRequest', 'WebSocket', 'WebSocketStream', 'EventSource', 'WebTransport',
  'importScripts', 'Worker', 'SharedWorker', 'BroadcastChannel', 'indexedDB', 'caches',
  'Request', 'navigator.sendBeacon', 'navigator.serviceWorker',
  // A web font's `url(...)` is fetched when it loads.
  'FontFace', 'fonts',
];

/** The error every blocked door throws. */
export class SandboxBlocked extends Error {
  constructor(what) {
    super(`${what} is disabled in the sandbox (no network, no code loading)`);
    this.name = 'SandboxBlocked';
  }
}

function blocker(what) {
  // Calling it throws, `new WebSocket(...)` throws, and so does reaching into an object one
  // (`caches.open`, `indexedDB.open`), so every use reports the same clear error.
  const fail = () => { throw new SandboxBlocked(what); };
  return new Proxy(function blocked() {}, { apply: fail, construct: fail, get: fail });
}

function replace(target, name, value) {
  try {
    Object.defineProperty(target, name, { value, writable: false, configurable: false });
  } catch {
    try { target[name] = value; } catch { /* non-configurable and read-only: checked below */ }
  }
}

/**
 * Locks the worker down and returns `send`, the only postMessage left. `options.keepEval`
 * leaves eval and the Function constructors in place (neither worker needs it today).
 */
export function lockDown(options = {}) {
  const scope = globalThis;
  const proto = Object.getPrototypeOf(scope);
  const realPost = scope.postMessage;
  const send = (message) => realPost.call(scope, message);
  for (const name of BLOCKED) {
    if (name.includes('.')) {
      const [obj, prop] = name.split('.');
      if (scope[obj] && prop in scope[obj]) replace(scope[obj], prop, blocker(name));
      continue;
    }
    replace(scope, name, blocker(name));
    // The same name may live on a prototype of the global (WorkerGlobalScope.prototype.fetch).
    for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      if (Object.prototype.hasOwnProperty.call(p, name)) replace(p, name, blocker(name));
    }
  }
  // postMessage lives on DedicatedWorkerGlobalScope.prototype: replace it everywhere it is, so
  // `while (true) postMessage(x)` throws at once instead of flooding the page.
  const noPost = blocker('postMessage');
  replace(scope, 'postMessage', noPost);
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.prototype.hasOwnProperty.call(p, 'postMessage')) replace(p, 'postMessage', noPost);
  }
  replace(scope, 'close', blocker('close'));
  // Timers that take a string compile it like eval does.
  for (const name of ['setTimeout', 'setInterval']) {
    const real = scope[name];
    replace(scope, name, (fn, ...rest) => {
      if (typeof fn !== 'function') throw new SandboxBlocked(`${name} with a string`);
      return real.call(scope, fn, ...rest);
    });
  }
  if (!options.keepEval) {
    replace(scope, 'eval', blocker('eval'));
    const ctors = [
      Function,
      Object.getPrototypeOf(async function () {}).constructor,
      Object.getPrototypeOf(function* () {}).constructor,
      Object.getPrototypeOf(async function* () {}).constructor,
    ];
    // A proxy keeps `prototype`, so `f instanceof Function` still holds; only calling it throws.
    const guard = (ctor) => new Proxy(ctor, {
      apply() { throw new SandboxBlocked('the Function constructor'); },
      construct() { throw new SandboxBlocked('the Function constructor'); },
    });
    for (const ctor of ctors) replace(ctor.prototype, 'constructor', guard(ctor));
    replace(scope, 'Function', guard(Function));
  }
  return send;
}
