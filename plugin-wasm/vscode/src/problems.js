// Syntax errors, security findings and secrets of the open documents in the Problems panel: one
// diagnostic collection ("pilotfish") fed from the engine's `analyze` (the same analysis the
// Monaco adapter shows as markers), set when a document opens or its editor tab does, updated
// with the edits, and cleared when its last tab or the document closes. Only workspace files:
// output channels, settings and other extensions' documents are not ours to judge.
import * as vscode from 'vscode';
import { pathOf } from './indexer.js';

/** Diagnostics of the engine's analysis of `document` (offsets in UTF-16, as VS Code counts). */
function diagnostics(document, analysis) {
  const range = ({ start, end }) => new vscode.Range(document.positionAt(start), document.positionAt(Math.max(end, start + 1)));
  const diagnostic = (r, message, severity, code) => {
    const d = new vscode.Diagnostic(range(r), message, severity);
    d.source = 'Pilotfish';
    if (code) d.code = code;
    return d;
  };
  const { Error: error, Warning: warning, Information: info } = vscode.DiagnosticSeverity;
  return [
    ...analysis.syntax.map((s) => diagnostic(s.range, s.message, error)),
    ...analysis.findings.map((f) => diagnostic(
      f.range, `${f.message} (${f.cwe}). ${f.fix}`, f.severity === 'low' ? info : warning, f.rule,
    )),
    ...analysis.secrets.map((s) => diagnostic(
      s.range, 'A secret in the code: it is sent to no model (prompts carry it as [REDACTED]); keep it out of the source.', warning, s.rule,
    )),
  ];
}

/** Keeps the collection in step with the documents; `engine()` is the loaded engine. */
export function watchProblems(engine) {
  const collection = vscode.languages.createDiagnosticCollection('pilotfish');
  const ours = (document) => Boolean(document && vscode.workspace.getWorkspaceFolder(document.uri));

  const update = (document) => {
    if (!ours(document) || document.isClosed) return;
    try {
      collection.set(document.uri, diagnostics(document, engine().analyze(pathOf(document.uri), document.getText())));
    } catch (error) {
      console.warn(`pilotfish: analysing ${pathOf(document.uri)} failed: ${error.message}`);
    }
  };
  const tabUris = (tabs) => tabs.map((tab) => tab.input).filter((input) => input instanceof vscode.TabInputText).map((input) => input.uri);
  const shown = (uri) => vscode.window.tabGroups.all.some((group) => tabUris(group.tabs).some((u) => u.toString() === uri.toString()));
  const documentOf = (uri) => vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());

  vscode.workspace.textDocuments.forEach(update);
  const subscriptions = [
    collection,
    vscode.workspace.onDidOpenTextDocument(update),
    vscode.workspace.onDidCloseTextDocument((document) => collection.delete(document.uri)),
    // A closed editor tab may leave its document alive for a while: the tab decides.
    vscode.window.tabGroups.onDidChangeTabs(({ opened, closed }) => {
      for (const uri of tabUris(closed)) if (!shown(uri)) collection.delete(uri);
      for (const uri of tabUris(opened)) update(documentOf(uri));
    }),
  ];
  return {
    /** Analyses `document` again (the caller debounces edits). */
    update,
    dispose: () => subscriptions.forEach((s) => s.dispose()),
  };
}
