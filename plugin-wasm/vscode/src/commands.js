// The commands: the proxy token (kept in SecretStorage, never in settings), explain the selection
// (the answer streams into the "Pilotfish" output channel with its citations) and search (a quick
// pick whose hits open their lines), and the session's metrics.
import * as vscode from 'vscode';
import { pathOf } from './indexer.js';

export const TOKEN_KEY = 'pilotfish.token';

/** Asks for the token in a password input box and stores it; resolves true when one was set. */
export async function setToken(secrets) {
  const token = await vscode.window.showInputBox({
    title: 'Pilotfish: proxy token',
    prompt: 'The client token your Pilotfish proxy knows you by (kept in the secret storage)',
    password: true,
    ignoreFocusOut: true,
  });
  if (!token) return false;
  await secrets.store(TOKEN_KEY, token.trim());
  return true;
}

/** Streams the explanation of the active editor's selection (or of its cursor) to `output`, after
 * what is there already. */
export async function explainSelection(engine, output) {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return null;
  const { document, selection } = editor;
  const selected = selection.isEmpty ? '' : document.getText(selection);
  // Appended, never cleared first: in the web worker host `clear()` lands asynchronously and can
  // cut the start of an answer that is already streaming in.
  output.show(true);
  output.appendLine(`\nExplaining ${pathOf(document.uri)}:${selection.start.line + 1}…`);
  const answer = await engine.chat(
    {
      path: pathOf(document.uri), text: document.getText(), offset: document.offsetAt(selection.start), task: 'explain',
      ...(selected ? { question: `Explain this code:\n${selected}` } : {}),
    },
    { onText: (piece) => output.append(piece) },
  );
  if (answer?.citations?.length) {
    output.appendLine('\n');
    for (const c of answer.citations) output.appendLine(`[${c.label}] ${c.path}:${c.startLine}-${c.endLine}`);
  }
  return answer;
}

/** A quick pick over `Engine.search`, refreshed as the query changes; the chosen hit opens. */
export function search(engine) {
  const pick = vscode.window.createQuickPick();
  pick.title = 'Pilotfish: search the workspace';
  pick.placeholder = 'What are you looking for? (names or plain words)';
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  pick.onDidChangeValue((query) => {
    const hits = query.trim() ? engine.search(query, { limit: 20 }) : [];
    // alwaysShow: the engine ranked them; the quick pick's own fuzzy filter must not hide any.
    pick.items = hits.map((hit) => ({
      label: hit.name ?? hit.kind, description: `${hit.path}:${hit.startLine}-${hit.endLine}`,
      detail: hit.qualifiedName ?? undefined, alwaysShow: true, hit,
    }));
  });
  pick.onDidAccept(async () => {
    const hit = pick.selectedItems[0]?.hit;
    pick.hide();
    if (!hit) return;
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return;
    const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, hit.path));
    const range = new vscode.Range(hit.startLine - 1, 0, hit.endLine - 1, 0);
    await vscode.window.showTextDocument(document, { selection: range });
  });
  pick.onDidHide(() => pick.dispose());
  pick.show();
  return pick;
}

/** The engine's session metrics in the output channel: all of them, then a summary line (last,
 * where the channel scrolls to). */
export function showMetrics(engine, output) {
  const metrics = engine.metrics();
  output.show(true);
  const rate = metrics.cache_hit_rate === null ? 'n/a' : `${Math.round(metrics.cache_hit_rate * 100)}%`;
  output.appendLine(JSON.stringify(metrics, null, 2));
  output.appendLine(`Suggestions shown: ${metrics.suggestions_shown}, accepted: ${metrics.suggestions_accepted}; cache hit rate ${rate}`);
  return metrics;
}
