// "Pilotfish: Generate with Tests": a spec from an input box, the refinement loop of
// `sandbox/refine.js` (the model through `Engine.chat`, each round's tests in the extension's own
// sandbox, every decision from the engine's `Refiner`), each round written to the "Pilotfish"
// output, and the accepted implementation inserted at the cursor of the editor it started from.
import * as vscode from 'vscode';
import { refine } from '../../sandbox/refine.js';
import { pathOf } from './indexer.js';
import { UNSUPPORTED, runTests } from './sandbox.js';

/** The editor's language ids the sandbox runs, as the refiner names them. */
const LANGUAGES = { javascript: 'javascript', typescript: 'typescript' };

/** One round as lines of the output: the verdict, then what failed (what the next round is told). */
export function roundLines(round) {
  const { tests, error, timedOut } = round.run;
  const passed = tests.filter((t) => t.passed).length;
  const lines = [`Round ${round.round}: ${passed}/${tests.length} tests pass, ${round.accepted ? 'accepted' : 'rejected'}`];
  // One line each: assertion messages span lines ("…strictly equal:\n\n-1 !== 3").
  const flat = (text) => String(text).replace(/\s*\n\s*/g, ' ');
  for (const t of tests) if (!t.passed) lines.push(`  ✗ ${t.name}: ${flat(t.error ?? 'failed')}`);
  if (error) lines.push(`  ${timedOut ? 'timed out' : 'the run failed'}: ${flat(error)}`);
  return lines;
}

/**
 * Runs the command for the active editor; resolves to refine's `{ accepted, rounds }`, or null
 * when it did not start (no editor, another language, no spec) or was cancelled.
 */
export async function generateWithTests(engine, output) {
  const editor = vscode.window.activeTextEditor;
  const languageId = editor?.document.languageId;
  const language = LANGUAGES[languageId];
  if (!language) {
    vscode.window.showWarningMessage(`Pilotfish: ${UNSUPPORTED}; ${editor ? `this file is ${languageId}` : 'open a file first'}.`);
    return null;
  }
  const spec = await vscode.window.showInputBox({
    title: 'Pilotfish: generate with tests',
    prompt: `What to write, in ${language}: the model writes it with its tests, which run here until they pass`,
    placeHolder: 'e.g. slugify(title): lower case, words joined by "-", no punctuation',
    ignoreFocusOut: true,
  });
  if (!spec?.trim()) return null;
  const { document } = editor;
  // Where the cursor was when asked: the fallback place to insert if the editor has gone.
  const asked = editor.selection.active;
  const path = pathOf(document.uri);
  const request = { path, text: document.getText(), offset: document.offsetAt(asked) };
  output.show(true);
  output.appendLine(`\nGenerating ${language} with tests at ${path}:${asked.line + 1}: ${spec.trim()}`);
  const steps = engine.refiner({ spec: spec.trim(), language });
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Pilotfish: generate with tests', cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        const listener = token.onCancellationRequested(() => controller.abort());
        progress.report({ message: 'round 1: asking the model…' });
        try {
          return await refine({
            engine, request, language, steps, runTests, signal: controller.signal,
            onRound: (round) => {
              const lines = roundLines(round);
              // One append per round: the web extension host's output panel has been seen to
              // drop a line appended right after others.
              output.appendLine(lines.join('\n'));
              progress.report({ message: lines[0] });
            },
          });
        } catch (error) {
          if (controller.signal.aborted) return null;
          throw error;
        } finally {
          listener.dispose();
        }
      },
    );
    if (!result) {
      output.appendLine('Cancelled.');
      return null;
    }
    const cost = steps.costMicroUsd();
    const spent = cost > 0 ? ` (${(cost / 1e6).toFixed(4)} USD)` : '';
    const last = result.rounds.at(-1);
    if (!result.accepted || !last) {
      output.appendLine(`No round passed its tests in ${result.rounds.length} round(s)${spent}; nothing was inserted.`);
      vscode.window.showWarningMessage('Pilotfish: no generated code passed its tests; nothing was inserted (see the Pilotfish output).');
      return result;
    }
    const where = await insert(editor, asked, last.implementation);
    output.appendLine(`Accepted in round ${last.round}${spent}: inserted at ${path}:${where.line + 1}.`);
    vscode.window.showInformationMessage(`Pilotfish: the code passed its tests in round ${last.round} and was inserted at line ${where.line + 1}.`);
    return result;
  } catch (error) {
    // Shown as an error message by the command's wrapper too; here it stays beside the rounds.
    output.appendLine(`Generate with tests failed: ${error.message}`);
    throw error;
  } finally {
    steps.free();
  }
}

/** Inserts `text` at the editor's cursor; if that editor has closed meanwhile, at the place it was
 * asked in the same document. Resolves to the position used. */
async function insert(editor, asked, text) {
  if (vscode.window.visibleTextEditors.includes(editor)) {
    const at = editor.selection.active;
    if (await editor.edit((edit) => edit.insert(at, text))) return at;
  }
  const at = editor.document.validatePosition(asked);
  const edit = new vscode.WorkspaceEdit();
  edit.insert(editor.document.uri, at, text);
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`Pilotfish: the generated code could not be inserted into ${pathOf(editor.document.uri)}`);
  return at;
}
