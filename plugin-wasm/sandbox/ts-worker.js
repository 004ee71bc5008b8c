// TypeScript and JavaScript type checking in the tab when the host has no TypeScript worker of
// its own (issue 15, item 1): the compiler from the `typescript` package on npm (served from
// node_modules, never a CDN) run in this dedicated worker over an in-memory file system, so its
// 9 MB script and the parsed lib files stay off the page. The page speaks the same small protocol
// as `pyright-worker.js` (`ts.js` wraps it):
//
//   in:  { id, type: 'check', files: [{ path, text }], target }
//   out: { id, type: 'result', diagnostics: [{ path, line, column, endLine, endColumn, severity,
//          code, message }], ms }
//        { id, type: 'error', error }
//
// `files` are the project's sources and the generated one; `target` is the path whose
// diagnostics come back. Paths are relative (`src/geometry.ts`) and live under `/w/`; the lib
// files (`lib.es2022` and the DOM) are fetched from the package once, at the first check, and
// their parsed source files kept for every later check, which is what makes a warm check cheap.
//
// A classic worker, not a module one: `typescript.js` is a script that defines a global `ts`,
// loaded with `importScripts`.

importScripts(new URL('../../node_modules/typescript/lib/typescript.js', self.location.href).href);

const LIB_URL = new URL('../../node_modules/typescript/lib/', self.location.href).href;
const ROOT = '/w/';
const LIB_DIR = '/lib/';
/** The libs a generated browser module sees; their `/// <reference lib>` closure is fetched. */
const LIBS = ['lib.es2022.d.ts', 'lib.dom.d.ts'];
const OPTIONS = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: LIBS,
  strict: true,
  noEmit: true,
  // Generated code imports project files as `./x`, `./x.js` or `./x.ts`: all resolve.
  allowImportingTsExtensions: true,
  allowJs: true,
  checkJs: true,
  // The lib files are the package's own: checking them again is seconds of nothing found.
  skipLibCheck: true,
  // No `@types` folders exist here; without this the compiler would look for them.
  types: [],
};
/** A JavaScript target keeps `strict` but for `noImplicitAny`: under `checkJs` that flags every
 * parameter of every function (TS7006), and plain JavaScript has no annotations to write. Its
 * calls into typed project files, null checks and unknown properties are still errors. */
const JS_OPTIONS = { ...OPTIONS, noImplicitAny: false };
const SEVERITY = {
  [ts.DiagnosticCategory.Error]: 'error',
  [ts.DiagnosticCategory.Warning]: 'warning',
  [ts.DiagnosticCategory.Suggestion]: 'hint',
  [ts.DiagnosticCategory.Message]: 'information',
};

/** Lib file name → its parsed source file, shared by every program. */
const libs = new Map();
/** Absolute path → { text, source } of the project files the last check saw. */
const sources = new Map();
let previous;

function absolute(path) {
  const clean = String(path).replace(/^\/+/, '');
  if (!clean || clean.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new Error(`typescript worker: bad path ${JSON.stringify(path)}`);
  }
  return ROOT + clean;
}

/** Fetches `LIBS` and every lib they reference, level by level. */
async function loadLibs() {
  const texts = new Map();
  let wanted = [...LIBS];
  while (wanted.length > 0) {
    const fetched = await Promise.all(wanted.map(async (name) => {
      const response = await fetch(LIB_URL + name);
      if (!response.ok) throw new Error(`typescript worker: ${name}: HTTP ${response.status}`);
      return [name, await response.text()];
    }));
    wanted = [];
    for (const [name, text] of fetched) {
      texts.set(name, text);
      for (const [, lib] of text.matchAll(/^\/\/\/\s*<reference\s+lib="([^"]+)"/gm)) {
        const file = `lib.${lib.toLowerCase()}.d.ts`;
        if (!texts.has(file) && !wanted.includes(file)) wanted.push(file);
      }
    }
  }
  for (const [name, text] of texts) {
    libs.set(LIB_DIR + name, ts.createSourceFile(LIB_DIR + name, text, ts.ScriptTarget.ES2022, true));
  }
}

function host() {
  const project = (fileName) => sources.get(fileName);
  return {
    getSourceFile: (fileName) => libs.get(fileName) ?? project(fileName)?.source,
    getDefaultLibFileName: () => LIB_DIR + LIBS[0],
    getDefaultLibLocation: () => LIB_DIR,
    writeFile: () => {},
    getCurrentDirectory: () => ROOT,
    getCanonicalFileName: (fileName) => fileName,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
    fileExists: (fileName) => libs.has(fileName) || sources.has(fileName),
    readFile: (fileName) => project(fileName)?.text ?? libs.get(fileName)?.text,
    directoryExists: (dir) => {
      const prefix = dir.endsWith('/') ? dir : `${dir}/`;
      return prefix === LIB_DIR || [...sources.keys()].some((p) => p.startsWith(prefix));
    },
    getDirectories: () => [],
  };
}

function scriptKind(path) {
  if (/\.tsx$/.test(path)) return ts.ScriptKind.TSX;
  if (/\.jsx$/.test(path)) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/.test(path)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

function toDiagnostic(path, d) {
  const start = d.file ? d.file.getLineAndCharacterOfPosition(d.start ?? 0) : { line: 0, character: 0 };
  const end = d.file ? d.file.getLineAndCharacterOfPosition((d.start ?? 0) + (d.length ?? 0)) : start;
  return {
    path,
    line: start.line + 1,
    column: start.character + 1,
    endLine: end.line + 1,
    endColumn: end.character + 1,
    severity: SEVERITY[d.category] ?? 'error',
    code: d.code,
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  };
}

async function check(files, target) {
  if (!files.some((f) => f.path === target)) throw new Error(`typescript worker: ${target} is not among the files`);
  if (libs.size === 0) await loadLibs();
  const seen = new Set();
  for (const { path, text } of files) {
    const fileName = absolute(path);
    seen.add(fileName);
    // An unchanged file keeps its source file, so the new program reuses it.
    if (sources.get(fileName)?.text === text) continue;
    sources.set(fileName, { text, source: ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, scriptKind(fileName)) });
  }
  for (const fileName of [...sources.keys()]) if (!seen.has(fileName)) sources.delete(fileName);
  const targetName = absolute(target);
  const kind = scriptKind(targetName);
  const options = kind === ts.ScriptKind.JS || kind === ts.ScriptKind.JSX ? JS_OPTIONS : OPTIONS;
  const program = ts.createProgram({ rootNames: [targetName], options, host: host(), oldProgram: previous });
  previous = program;
  const file = program.getSourceFile(targetName);
  const diagnostics = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
  return diagnostics.map((d) => toDiagnostic(target, d));
}

let queue = Promise.resolve();

self.addEventListener('message', (event) => {
  const { id, type, files, target } = event.data ?? {};
  if (type !== 'check') return;
  const list = (files ?? []).map((f) => ({ path: String(f.path), text: String(f.text) }));
  // One check at a time: the first one fetches the libs, and the later ones wait for them.
  queue = queue.then(async () => {
    const started = performance.now();
    try {
      const diagnostics = await check(list, String(target));
      postMessage({ id, type: 'result', diagnostics, ms: performance.now() - started });
    } catch (error) {
      postMessage({ id, type: 'error', error: String(error?.message ?? error) });
    }
  });
});
