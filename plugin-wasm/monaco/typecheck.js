// The host's type checker for the adapter's generate-with-tests loop (issue 15, item 1): each
// round's implementation is type-checked beside the project's files while its tests run, and the
// errors go to the engine's `record` as `host` (../sandbox/refine.js's `diagnose`), where an
// error weighs like a failing test.
//
// Python: Pyright's browser build (../sandbox/pyright.js). JavaScript and TypeScript: the
// `typescript` package's compiler (../sandbox/ts.js), not Monaco's own TypeScript worker. Monaco's
// worker would need the generated code as a model, and every model joins the one program its
// worker checks: a generated script's top-level `function add` would clash with the user's open
// files and put markers in them, and the check's strictness would be whatever compiler options
// the host page set. ts.js checks each round alone with the project's files, always `strict`,
// and is the checker its own tests cover; it costs a 9 MB download, once, on the first JS/TS round.
//
// Checkers are created on first use, one per kind per handle, and their workers terminated by
// `dispose()`. Their assets are found relative to the sandbox folder (`../../node_modules/...`
// from plugin-wasm/sandbox/), which is where a server at the repository root has them, as it has
// esbuild-wasm for the sandbox (`cargo xtask serve` mounts those paths).

/** Each checker: its module, its constructor, the project files it reads and the extension of a
 * generated file it checks. JavaScript and TypeScript share one compiler. */
const KINDS = {
  python: { module: '../sandbox/pyright.js', create: 'createPythonChecker', files: /\.pyi?$/, ext: /\.py$/, fallback: '.py' },
  typescript: { module: '../sandbox/ts.js', create: 'createTypeScriptChecker', files: /\.([cm]?[jt]sx?)$/, ext: /\.([cm]?ts|tsx)$/, fallback: '.ts' },
  javascript: { module: '../sandbox/ts.js', create: 'createTypeScriptChecker', files: /\.([cm]?[jt]sx?)$/, ext: /\.([cm]?js|jsx)$/, fallback: '.js' },
};

/** The sandbox's short names for the same languages. */
const ALIASES = { py: 'python', js: 'javascript', mjs: 'javascript', ts: 'typescript' };

/** A path both checkers' workers accept: relative, no empty, `.` or `..` segments. */
const checkable = (path) => String(path).replace(/^\/+/, '').split('/').every((part) => part && part !== '.' && part !== '..');

/** Where a round's implementation is checked: the request's file when it is of the round's
 * language (the code goes there, and its relative imports resolve from there), else a file of
 * that language beside it. */
export function targetPath(path, language) {
  const kind = KINDS[ALIASES[language] ?? language];
  const clean = String(path ?? '').replace(/^\/+/, '');
  if (checkable(clean) && kind.ext.test(clean)) return clean;
  const dir = checkable(clean) ? clean.slice(0, clean.lastIndexOf('/') + 1) : '';
  return `${dir}pilotfish_generated${kind.fallback}`;
}

export function createTypeChecks() {
  /** module → Promise<{ checker, hostDiagnostics }> */
  const loaded = new Map();
  let disposed = false;

  const load = (kind) => {
    if (!loaded.has(kind.module)) {
      const ready = import(kind.module).then((mod) => ({ checker: mod[kind.create](), hostDiagnostics: mod.hostDiagnostics }));
      // A module that failed to load is tried again by the next round rather than kept failed.
      ready.catch(() => loaded.delete(kind.module));
      loaded.set(kind.module, ready);
    }
    return loaded.get(kind.module);
  };

  return {
    /**
     * The checker for one generate run in `language`, or null for a language none checks.
     * `files()` gives the project's files now (`[{ path, text }]`), `path` the request's file.
     * `diagnose` is refine's; `last()` says what the latest check did: `{ checker, path, ms, error }`
     * (a checker that fails or times out does not stop the loop: the round goes on with the
     * test results alone and `error` says why it was not checked).
     */
    forRun(language, { path, files }) {
      const name = ALIASES[String(language).toLowerCase()] ?? String(language).toLowerCase();
      const kind = KINDS[name];
      if (!kind || disposed) return null;
      const target = targetPath(path, name);
      const source = kind.module.endsWith('pyright.js') ? 'pyright' : 'typescript';
      let last = null;
      /** The project's files of this checker's languages, and `text` at the target's path. */
      const withTarget = (text) => [
        ...files().filter((f) => f.path !== target && kind.files.test(f.path) && checkable(f.path)),
        { path: target, text },
      ];
      return {
        /** Starts a checker not started yet, while the model is still writing the first answer:
         * an empty file at the target's path, checked with the project, so the language server
         * starts with the project's files (rather than opening each on the first real check)
         * and the compiler has parsed its libs. Its result is of no use; a failure shows on the
         * real check. */
        warm() {
          if (disposed || loaded.has(kind.module)) return;
          load(kind).then(({ checker }) => checker.check(withTarget(''), target)).catch(() => {});
        },
        async diagnose({ implementation }) {
          // Disposed mid-run: the loop is ending (its chat calls answer null); start nothing new.
          if (disposed) return [];
          const started = performance.now();
          try {
            const { checker, hostDiagnostics } = await load(kind);
            const diagnostics = await checker.check(withTarget(implementation), target);
            last = { checker: source, path: target, ms: performance.now() - started, error: null };
            return hostDiagnostics(diagnostics);
          } catch (error) {
            last = { checker: source, path: target, ms: performance.now() - started, error: String(error?.message ?? error) };
            console.warn(`pilotfish: the ${source} type check failed, the round is judged by its tests alone: ${last.error}`);
            return [];
          }
        },
        last: () => last,
      };
    },
    dispose() {
      disposed = true;
      for (const ready of loaded.values()) ready.then(({ checker }) => checker.terminate(), () => {});
      loaded.clear();
    },
  };
}
