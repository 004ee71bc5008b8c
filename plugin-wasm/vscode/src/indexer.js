// Indexing the workspace through `workspace.fs` (the only file access a web extension has), with a
// progress notification and the status bar. The engine runs in the extension host's worker, which
// other extensions share: files are read in batches and indexed in time slices that yield to the
// event loop, so completions and other extensions get their turn while a large project indexes.
import * as vscode from 'vscode';

/** Files read concurrently from the workspace's file system. */
const READ_BATCH = 32;
/** A slice of `Engine.indexFiles` stops after this long and yields. */
const SLICE_MS = 25;
/** Files larger than this are not indexed (generated or vendored code, data). */
const MAX_BYTES = 1_000_000;
const EXCLUDE = '{**/node_modules/**,**/.git/**,**/target/**,**/dist/**,**/build/**,**/.venv/**,**/__pycache__/**}';

const decoder = new TextDecoder('utf-8', { fatal: false });
const yieldNow = () => new Promise((resolve) => setTimeout(resolve, 0));

/** The engine's path of a document: relative to its workspace folder, as `findFiles` finds it. */
export const pathOf = (uri) => vscode.workspace.asRelativePath(uri, false);

/**
 * Indexes the workspace's files matching `include`; resolves to `{ files, chunks, changed,
 * unchanged, removed, ms, cancelled }`: `unchanged` files (as restored from a snapshot) cost a hash, and
 * indexed paths no longer found are `removed`. `status` shows the progress; the notification can
 * cancel (files indexed so far stay).
 */
export async function indexWorkspace(engine, status, { include, maxFiles }) {
  const started = performance.now();
  const uris = await vscode.workspace.findFiles(include, EXCLUDE, maxFiles);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Pilotfish: indexing the workspace', cancellable: true },
    async (progress, token) => {
      let done = 0;
      let chunks = 0;
      let unchanged = 0;
      let changed = 0;
      let removed = 0;
      status.indexing(0, uris.length);
      for (let at = 0; at < uris.length && !token.isCancellationRequested; at += READ_BATCH) {
        const files = (await Promise.all(uris.slice(at, at + READ_BATCH).map(readFile))).filter(Boolean);
        let next = 0;
        while (next < files.length) {
          const sliceStart = performance.now();
          const report = engine.indexFiles(files.slice(next), () => performance.now() - sliceStart < SLICE_MS);
          next += report.files;
          chunks += report.chunks;
          unchanged += report.unchanged;
          changed += report.files - report.unchanged;
          await yieldNow();
        }
        const before = done;
        done = Math.min(uris.length, at + READ_BATCH);
        progress.report({ message: `${done}/${uris.length} files`, increment: ((done - before) / uris.length) * 100 });
        status.indexing(done, uris.length);
      }
      if (!token.isCancellationRequested) {
        const found = new Set(uris.map(pathOf));
        for (const path of engine.paths()) if (!found.has(path) && engine.removeFile(path)) removed += 1;
      }
      const ms = performance.now() - started;
      status.indexed(engine.paths().length, ms);
      return { files: engine.paths().length, chunks, changed, unchanged, removed, ms, cancelled: token.isCancellationRequested };
    },
  );
}

/** `{ path, text }` of a workspace file, or null when it is too large, binary or unreadable. */
async function readFile(uri) {
  try {
    const bytes = await vscode.workspace.fs.readFile(uri);
    if (bytes.byteLength > MAX_BYTES || bytes.subarray(0, 8000).includes(0)) return null;
    return { path: pathOf(uri), text: decoder.decode(bytes) };
  } catch {
    return null;
  }
}
