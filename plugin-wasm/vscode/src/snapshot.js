// The index snapshot (`Engine.snapshot()`) in the extension's storage for this workspace
// (`context.storageUri`, or the global storage when no folder is open), read and written through
// `workspace.fs` like everything else a web extension touches. On activation it is restored, so
// the workspace indexing that follows re-indexes only the files whose content changed (the
// engine's content hashes decide) and removes the ones that are gone. A damaged or foreign
// snapshot is discarded with a warning: the engine changes nothing when `restore` throws.
import * as vscode from 'vscode';

const FILE = 'index-snapshot.bin';
/** Restored files tagged for prompts per turn of the event loop (search needs no tags). */
const TAG_SLICE_FILES = 16;
/** Edits are persisted this long after the last one. */
const SAVE_DELAY_MS = 2000;

export class Snapshot {
  constructor(context) {
    this.folder = context.storageUri ?? context.globalStorageUri;
    this.uri = vscode.Uri.joinPath(this.folder, FILE);
    this.timer = null;
  }

  /** Restores into `engine`: `{ files, bytes, ms, discarded }` (`files` 0 when there was none). */
  async restore(engine) {
    const started = performance.now();
    let bytes;
    try {
      bytes = await vscode.workspace.fs.readFile(this.uri);
    } catch {
      return { files: 0, bytes: 0, ms: performance.now() - started, discarded: null };
    }
    try {
      engine.restore(bytes);
    } catch (error) {
      console.warn(`pilotfish: the index snapshot ${this.uri.toString()} is unreadable and was discarded: ${error.message}`);
      return { files: 0, bytes: bytes.byteLength, ms: performance.now() - started, discarded: error.message };
    }
    tagInBackground(engine);
    return { files: engine.paths().length, bytes: bytes.byteLength, ms: performance.now() - started, discarded: null };
  }

  /** Writes `engine`'s snapshot now. */
  async save(engine) {
    clearTimeout(this.timer);
    this.timer = null;
    await vscode.workspace.fs.createDirectory(this.folder);
    await vscode.workspace.fs.writeFile(this.uri, engine.snapshot());
  }

  /** Writes it a moment after the last call (edits come in bursts). */
  saveSoon(engine) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save(engine).catch((e) => console.warn(`pilotfish: saving the index failed: ${e.message}`)), SAVE_DELAY_MS);
  }

  dispose() {
    clearTimeout(this.timer);
  }
}

/** Tags the restored files a few at a time, so the extension host is never held for long. */
async function tagInBackground(engine) {
  try {
    while (engine.tagPending(TAG_SLICE_FILES) > 0) await new Promise((resolve) => setTimeout(resolve, 0));
  } catch (error) {
    console.warn(`pilotfish: tagging the restored index failed: ${error.message}`);
  }
}
