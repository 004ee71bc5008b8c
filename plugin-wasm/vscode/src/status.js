// The status bar item: one place that says what Pilotfish is doing. Its text always starts with
// "Pilotfish" (people and the end-to-end test look for it); the tooltip has the details.
import * as vscode from 'vscode';

export class Status {
  constructor() {
    this.item = vscode.window.createStatusBarItem('pilotfish.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Pilotfish';
    this.item.command = 'pilotfish.search';
    this.files = 0;
    this.item.show();
    this.show('Pilotfish: starting', 'Loading the engine');
  }

  show(text, tooltip, error = false) {
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  indexing(done, total) {
    this.show(`Pilotfish: indexing ${done}/${total}`, 'Indexing the workspace in the editor (nothing is sent anywhere)');
  }

  indexed(files, ms) {
    this.files = files;
    this.show(`Pilotfish: ${files} files`, `Indexed ${files} files in ${Math.round(ms)} ms`);
  }

  /** After a completion: how long it took and where it came from (network, caches). */
  latency(ms, source) {
    this.show(`Pilotfish: ${Math.round(ms)} ms`, `Last completion: ${Math.round(ms)} ms (${source}); ${this.files} files indexed`);
  }

  error(message) {
    this.show('Pilotfish: error', message, true);
  }

  dispose() {
    this.item.dispose();
  }
}
