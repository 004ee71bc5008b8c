// The status bar item: one place that says what Pilotfish is doing. Its text always starts with
// "Pilotfish" (people and the end-to-end test look for it); the tooltip has the details. The text
// is rendered from one state, so an event (indexing done) never paints over another (not
// connected): an error first, then indexing progress, then whether a proxy is set, then the last
// completion's latency, else the number of indexed files.
import * as vscode from 'vscode';

export class Status {
  constructor() {
    this.item = vscode.window.createStatusBarItem('pilotfish.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Pilotfish';
    this.item.command = 'pilotfish.search';
    this.state = { loading: true, connected: false, proxy: null, files: 0, indexMs: null, progress: null, lastMs: null, source: null, error: null };
    this.item.show();
    this.render();
  }

  update(change) {
    Object.assign(this.state, change);
    this.render();
  }

  render() {
    const s = this.state;
    const files = `${s.files} files indexed${s.indexMs === null ? '' : ` in ${Math.round(s.indexMs)} ms`}`;
    let text;
    let tooltip;
    if (s.error) {
      [text, tooltip] = ['Pilotfish: error', s.error];
    } else if (s.loading) {
      [text, tooltip] = ['Pilotfish: starting', 'Loading the engine'];
    } else if (s.progress) {
      [text, tooltip] = [`Pilotfish: indexing ${s.progress.done}/${s.progress.total}`, 'Indexing the workspace in the editor (nothing is sent anywhere)'];
    } else if (!s.connected) {
      [text, tooltip] = ['Pilotfish: not connected', `Set pilotfish.proxyUrl and run "Pilotfish: Set Proxy Token"; ${files}`];
    } else if (s.lastMs !== null) {
      [text, tooltip] = [`Pilotfish: ${Math.round(s.lastMs)} ms`, `Last completion: ${Math.round(s.lastMs)} ms (${s.source}); ${files}; proxy ${s.proxy}`];
    } else {
      [text, tooltip] = [`Pilotfish: ${s.files} files`, `${files}; proxy ${s.proxy}`];
    }
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = s.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  loaded() {
    this.update({ loading: false });
  }

  connected(proxy) {
    this.update({ connected: Boolean(proxy), proxy, error: null });
  }

  indexing(done, total) {
    this.update({ progress: { done, total } });
  }

  indexed(files, ms) {
    this.update({ progress: null, files, indexMs: ms });
  }

  /** After a completion: how long it took and where it came from (network, caches). */
  latency(ms, source) {
    this.update({ lastMs: ms, source, error: null });
  }

  error(message) {
    this.update({ error: message });
  }

  dispose() {
    this.item.dispose();
  }
}
