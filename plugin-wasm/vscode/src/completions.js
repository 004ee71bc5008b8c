// Ghost text: an InlineCompletionItemProvider over `Engine.complete`. VS Code's cancellation token
// becomes the AbortSignal the engine aborts its request with (the proxy sees the connection
// close). The engine debounces by the learned typing rhythm, aborts a stale request itself and
// serves typing into a shown suggestion from its prefix cache, so nothing of that is here.
import * as vscode from 'vscode';
import { pathOf } from './indexer.js';

/** The command an accepted item runs: the engine counts the acceptance (metrics()). */
export const ACCEPTED_COMMAND = 'pilotfish.accepted';

/** Whether completions are on for `languageId` under the `pilotfish.enable` setting. */
export function enabledFor(languageId) {
  const enable = vscode.workspace.getConfiguration('pilotfish').get('enable') ?? {};
  return enable[languageId] ?? enable['*'] ?? true;
}

/**
 * @param {() => import('../../pkg-assistant/plugin_wasm.js').Engine | null} engine the engine once
 *   it is loaded and configured with a proxy, else null
 * @param {import('./status.js').Status} status
 */
export function completionProvider(engine, status) {
  let lastError = null;
  return {
    async provideInlineCompletionItems(document, position, _context, token) {
      const current = engine();
      if (!current || !enabledFor(document.languageId) || token.isCancellationRequested) return undefined;
      const controller = new AbortController();
      const listener = token.onCancellationRequested(() => controller.abort());
      const started = performance.now();
      const path = pathOf(document.uri);
      try {
        const suggestion = await current.complete(
          { path, text: document.getText(), offset: document.offsetAt(position) },
          { signal: controller.signal },
        );
        // null: a newer keystroke made this request stale (it was aborted).
        if (!suggestion || !suggestion.text || token.isCancellationRequested) return undefined;
        lastError = null;
        status.latency(performance.now() - started, suggestion.source);
        const item = new vscode.InlineCompletionItem(suggestion.text, new vscode.Range(position, position));
        item.command = { command: ACCEPTED_COMMAND, title: 'Pilotfish: accepted', arguments: [path] };
        return [item];
      } catch (error) {
        // A wrong token or an unreachable proxy: shown in the status bar, logged once per message.
        if (error.message !== lastError) console.warn(error.message);
        lastError = error.message;
        status.error(error.message);
        return undefined;
      } finally {
        listener.dispose();
      }
    },
  };
}
