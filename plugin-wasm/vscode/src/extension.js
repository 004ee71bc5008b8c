// Pilotfish for VS Code for the Web: the engine runs in the web worker extension host as
// WebAssembly; only the model call leaves, to the Pilotfish proxy that holds the provider keys.
// This file wires VS Code to the engine; what the engine decides (prompts, debounce, caches,
// aborting stale requests) is documented in plugin-wasm/README.md.
import * as vscode from 'vscode';
import { loadEngine } from './engine.js';
import { Status } from './status.js';
import { indexWorkspace, pathOf } from './indexer.js';
import { ACCEPTED_COMMAND, completionProvider } from './completions.js';
import { TOKEN_KEY, explainSelection, search, setToken, showMetrics } from './commands.js';
import { generateWithTests } from './generate.js';
import { watchProblems } from './problems.js';
import { Snapshot } from './snapshot.js';

/** An edited document is re-indexed this long after its last change. */
const REINDEX_DELAY_MS = 300;

export async function activate(context) {
  const started = performance.now();
  const status = new Status();
  const output = vscode.window.createOutputChannel('Pilotfish');
  context.subscriptions.push(status, output);

  let engine;
  const timings = {};
  try {
    engine = await loadEngine(context.extensionUri, timings);
    status.loaded();
  } catch (error) {
    status.error(`The engine did not load: ${error.message}`);
    throw error;
  }
  // The last session's index, so only changed files are indexed again below.
  const snapshot = new Snapshot(context);
  context.subscriptions.push(snapshot);
  const restored = await snapshot.restore(engine);
  const problems = watchProblems(() => engine);
  context.subscriptions.push(problems);
  // The engine answers completions only once it knows a proxy and a token.
  let configured = false;
  const configure = async () => {
    const settings = vscode.workspace.getConfiguration('pilotfish');
    const proxyUrl = settings.get('proxyUrl')?.trim();
    const token = await context.secrets.get(TOKEN_KEY);
    if (!proxyUrl || !token) {
      configured = false;
      status.connected(null);
      return;
    }
    try {
      await engine.configureAssistant({
        proxyUrl, token, debounce: { minMs: settings.get('debounce.minMs'), maxMs: settings.get('debounce.maxMs') },
      });
      configured = true;
      status.connected(proxyUrl);
    } catch (error) {
      configured = false;
      status.error(error.message);
    }
  };

  const provider = completionProvider(() => (configured ? engine : null), status);
  const needsEngine = (run) => async (...args) => {
    if (!configured) {
      vscode.window.showWarningMessage('Pilotfish: set pilotfish.proxyUrl and run "Pilotfish: Set Proxy Token" first.');
      return undefined;
    }
    try {
      return await run(...args);
    } catch (error) {
      status.error(error.message);
      vscode.window.showErrorMessage(error.message);
      return undefined;
    }
  };
  context.subscriptions.push(
    vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, provider),
    vscode.commands.registerCommand(ACCEPTED_COMMAND, (path) => engine.acceptSuggestion(path)),
    vscode.commands.registerCommand('pilotfish.setToken', async () => {
      if (await setToken(context.secrets)) await configure();
    }),
    vscode.commands.registerCommand('pilotfish.explainSelection', needsEngine(() => explainSelection(engine, output))),
    vscode.commands.registerCommand('pilotfish.generateWithTests', needsEngine(() => generateWithTests(engine, output))),
    // Search needs only the index, not the proxy.
    vscode.commands.registerCommand('pilotfish.search', () => search(engine)),
    vscode.commands.registerCommand('pilotfish.reindex', () => reindexAll()),
    vscode.commands.registerCommand('pilotfish.showMetrics', needsEngine(() => showMetrics(engine, output))),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('pilotfish.proxyUrl') || event.affectsConfiguration('pilotfish.debounce')) configure();
    }),
    context.secrets.onDidChange((event) => event.key === TOKEN_KEY && configure()),
  );

  // The index follows the edits: a changed document is re-indexed after a pause in typing.
  const timers = new Map();
  context.subscriptions.push(
    vscode.workspace.onDidChangeTextDocument(({ document }) => {
      if (document.uri.scheme === 'output' || !vscode.workspace.getWorkspaceFolder(document.uri)) return;
      clearTimeout(timers.get(document));
      timers.set(document, setTimeout(() => {
        timers.delete(document);
        try {
          engine.indexFile(pathOf(document.uri), document.getText());
          snapshot.saveSoon(engine);
        } catch (error) {
          console.warn(`pilotfish: re-indexing ${pathOf(document.uri)} failed: ${error.message}`);
        }
        problems.update(document);
      }, REINDEX_DELAY_MS));
    }),
    // A save persists the index now (the edits' timer may still be running).
    vscode.workspace.onDidSaveTextDocument((document) => {
      if (!vscode.workspace.getWorkspaceFolder(document.uri)) return;
      clearTimeout(timers.get(document));
      timers.delete(document);
      try {
        engine.indexFile(pathOf(document.uri), document.getText());
      } catch (error) {
        console.warn(`pilotfish: re-indexing ${pathOf(document.uri)} failed: ${error.message}`);
      }
      snapshot.save(engine).catch((error) => console.warn(`pilotfish: saving the index failed: ${error.message}`));
    }),
    { dispose: () => timers.forEach((timer) => clearTimeout(timer)) },
  );

  const reindexAll = async () => {
    const settings = vscode.workspace.getConfiguration('pilotfish');
    try {
      const report = await indexWorkspace(engine, status, { include: settings.get('include'), maxFiles: settings.get('maxFiles') });
      console.log(`pilotfish: indexed ${report.files} files (${report.changed} new or changed, ${report.removed} removed, ${report.chunks} chunks) in ${Math.round(report.ms)} ms`);
      if (report.changed > 0 || report.removed > 0) {
        await snapshot.save(engine).catch((error) => console.warn(`pilotfish: saving the index failed: ${error.message}`));
      }
      return report;
    } catch (error) {
      status.error(`Indexing failed: ${error.message}`);
      return null;
    }
  };

  await configure();
  // Activation ends once completions can be served; the workspace indexes in the background.
  const ms = (value) => `${Math.round(value)} ms`;
  console.log(`pilotfish: activated in ${ms(performance.now() - started)} (reading the wasm ${ms(timings.readMs)}, compiling and instantiating it ${ms(timings.initMs)}; restored ${restored.files} files from the index snapshot in ${ms(restored.ms)})`);
  reindexAll();
  return { engine: () => engine };
}

export function deactivate() {}
