// Pilotfish for Monaco: `attachPilotfish(editor, monaco, options)` wires one editor to the engine,
// which runs in a Web Worker (worker.js, the assistant package ../pkg-assistant/). What lives here
// is only the wiring: editor events in, the engine's answers rendered (ghost text, a small panel).
// Ranking, prompts, debouncing, caching and the decision to abort a stale request are the engine's.
//
// Added to the editor, and removed again by `handle.dispose()`:
// - an inline completions provider for the languages of the editor's models (it answers only for
//   this editor's model); Monaco's cancellation token aborts the request in the worker; Monaco's
//   own keys accept (Tab), dismiss (Esc) and accept a word (Ctrl/Cmd+→); an accepted suggestion
//   is reported to the engine (`acceptSuggestion`, the acceptance rate in `metrics()`);
// - a content listener that re-indexes the edited file after a pause (`reindexDelayMs`), and the
//   chunker's syntax errors of the shown file as markers (owner "pilotfish");
// - the actions "Pilotfish: explain selection" (Alt+Shift+E) and "Pilotfish: search"
//   (Alt+Shift+S) in the command palette and the context menu, which show their results in a
//   panel at the editor's top right;
// - `handle.generate({ spec, language, onRound })`: generate with tests, the refinement loop of
//   ../sandbox/refine.js (loaded when first used) with the engine's decisions (`handle.refiner`),
//   and the action "Pilotfish: generate with tests" (Alt+Shift+G): a spec box in the panel, each
//   round's test results and type errors as it ends, the accepted code with a button that
//   inserts it. Each round's implementation is type-checked beside the project's files while its
//   tests run (typecheck.js: Pyright for Python, the `typescript` compiler for JS and TS, each
//   in its own worker, started on the first round that needs it); a type error rejects the round
//   as a failing test does. Option `typeCheck: false` turns the check off;
// - the worker and the type checkers' workers (terminated).

import { createTypeChecks } from './typecheck.js';

const DEFAULTS = { reindexDelayMs: 300, typeCheck: true };
/** Monaco's language ids the sandbox runs, as `Engine.refiner` names them. */
const SANDBOX_LANGUAGES = { python: 'python', javascript: 'javascript', typescript: 'typescript' };
const ACCEPTED = 0; // monaco.languages.InlineCompletionEndOfLifeReasonKind.Accepted

/** The engine in its worker, called with promises (the message protocol is in worker.js). */
class WorkerClient {
  constructor(url, onWarning) {
    this.worker = new Worker(url, { type: 'module' });
    this.calls = new Map();
    this.nextId = 1;
    this.worker.onmessage = ({ data }) => {
      if (data.warning) {
        onWarning(data.warning);
        return;
      }
      const call = this.calls.get(data.id);
      if (!call) return;
      if ('text' in data) call.onText?.(data.text, data.soFar);
      else if ('done' in data) call.onProgress?.(data.done, data.total);
      else {
        this.calls.delete(data.id);
        if ('error' in data) call.reject(new Error(data.error));
        else call.resolve(data.result);
      }
    };
    this.worker.onerror = (event) => {
      const error = new Error(`pilotfish: the engine's worker failed: ${event.message ?? 'could not load'}`);
      for (const call of this.calls.values()) call.reject(error);
      this.calls.clear();
    };
  }

  /** Calls `method`; `signal` aborting sends an abort message (the call still settles). */
  call(method, args, { signal, onText, onProgress } = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject, onText, onProgress });
      this.worker.postMessage({ id, method, args });
      signal?.addEventListener('abort', () => this.worker.postMessage({ id, abort: true }), { once: true });
    });
  }

  terminate() {
    this.worker.terminate();
    for (const call of this.calls.values()) call.resolve(null);
    this.calls.clear();
  }
}

/** The engine's path for a model: its URI's path without the leading slash. */
const defaultPathOf = (model) => model.uri.path.replace(/^\//, '');

/**
 * Attaches Pilotfish to a Monaco editor. Resolves once the engine is loaded and a persisted index
 * restored; `handle.indexed` resolves when `options.files` are indexed.
 * @param {import('monaco-editor').editor.IStandaloneCodeEditor} editor
 * @param {typeof import('monaco-editor')} monaco
 * @param {import('./index').PilotfishOptions} options
 * @returns {Promise<import('./index').PilotfishHandle>}
 */
export async function attachPilotfish(editor, monaco, options) {
  const settings = { ...DEFAULTS, ...options };
  const pathOf = settings.pathOf ?? defaultPathOf;
  const client = new WorkerClient(settings.workerUrl ?? new URL('./worker.js', import.meta.url), (w) => console.warn(w));
  let restored;
  try {
    restored = await client.call('open', [{
      proxyUrl: settings.proxyUrl,
      token: settings.token,
      persistKey: settings.persistKey,
      debounce: settings.debounce,
      routes: settings.routes,
      prices: settings.prices,
      engineOptions: settings.engineOptions,
      staticTableUrl: settings.staticTableUrl ? String(new URL(settings.staticTableUrl, location.href)) : undefined,
    }]);
  } catch (error) {
    client.terminate();
    throw error;
  }

  const disposables = [];
  const stats = { requested: 0, shown: 0, accepted: 0, cancelled: 0, failed: 0, lastMs: null, lastSource: null, lastError: null };
  let disposed = false;

  // Completions, only for the languages of this editor's models, re-registered when one appears.
  const languages = new Set();
  let registration = null;
  const provider = {
    displayName: 'Pilotfish',
    // The engine debounces by the learned typing rhythm; a second debounce would only add delay.
    debounceDelayMs: 0,
    async provideInlineCompletions(model, position, _context, token) {
      stats.requested += 1;
      if (disposed || model !== editor.getModel() || token.isCancellationRequested) return undefined;
      const path = pathOf(model);
      const controller = new AbortController();
      const listener = token.onCancellationRequested(() => controller.abort());
      const started = performance.now();
      try {
        const suggestion = await client.call('complete', [{
          path, text: model.getValue(), offset: model.getOffsetAt(position),
          ...(settings.completionBudget ? { budget: settings.completionBudget } : {}),
          ...(settings.completionFamily ? { family: settings.completionFamily } : {}),
        }], { signal: controller.signal });
        if (!suggestion || !suggestion.text) {
          if (!suggestion) stats.cancelled += 1;
          return { items: [] };
        }
        stats.lastMs = performance.now() - started;
        stats.lastSource = suggestion.source;
        const at = new monaco.Range(position.lineNumber, position.column, position.lineNumber, position.column);
        return { items: [{ insertText: suggestion.text, range: at, pilotfish: { path, source: suggestion.source } }] };
      } catch (error) {
        // A wrong token or an unreachable proxy: said once on the console, not on every key.
        stats.failed += 1;
        if (error.message !== stats.lastError) console.warn(error.message);
        stats.lastError = error.message;
        return { items: [] };
      } finally {
        listener.dispose();
      }
    },
    handleItemDidShow() {
      stats.shown += 1;
    },
    handleEndOfLifetime(_completions, item, reason) {
      if (reason.kind === ACCEPTED && item.pilotfish && !disposed) {
        stats.accepted += 1;
        client.call('acceptSuggestion', [item.pilotfish.path]).catch((e) => console.warn(e.message));
      }
    },
    disposeInlineCompletions() {},
  };
  const coverLanguage = (model) => {
    if (!model || languages.has(model.getLanguageId())) return;
    languages.add(model.getLanguageId());
    registration?.dispose();
    registration = monaco.languages.registerInlineCompletionsProvider([...languages], provider);
  };
  coverLanguage(editor.getModel());
  disposables.push({ dispose: () => registration?.dispose() });
  editor.updateOptions({ inlineSuggest: { enabled: true } });

  // The shown file's syntax errors, security findings and secrets, as markers (owner "pilotfish").
  const marked = new Set();
  const showAnalysis = (model, analysis) => {
    if (disposed || model.isDisposed() || !analysis) return;
    const marker = (range, severity, message, code) => {
      const start = model.getPositionAt(range.start);
      const end = model.getPositionAt(Math.max(range.end, range.start + 1));
      return {
        severity, message, source: 'Pilotfish', code,
        startLineNumber: start.lineNumber, startColumn: start.column, endLineNumber: end.lineNumber, endColumn: end.column,
      };
    };
    const { Error: error, Warning: warning, Info: info } = monaco.MarkerSeverity;
    const markers = [
      ...analysis.syntax.map((d) => marker(d.range, error, d.message)),
      ...analysis.findings.map((f) => marker(
        f.range, f.severity === 'low' ? info : warning, `${f.message} (${f.cwe}). ${f.fix}`, f.rule,
      )),
      ...analysis.secrets.map((s) => marker(
        s.range, warning, 'A secret in the code: it is sent to no model (prompts carry it as [REDACTED]); keep it out of the source.', s.rule,
      )),
    ];
    monaco.editor.setModelMarkers(model, 'pilotfish', markers);
    marked.add(model);
  };
  disposables.push({
    dispose: () => marked.forEach((model) => model.isDisposed() || monaco.editor.setModelMarkers(model, 'pilotfish', [])),
  });

  // The index follows the editor: the edited file is re-indexed after a pause in typing.
  let reindexTimer = null;
  const reindex = (model) => {
    clearTimeout(reindexTimer);
    reindexTimer = null;
    if (!model || disposed) return Promise.resolve(null);
    return client.call('indexFile', [pathOf(model), model.getValue()])
      .then((file) => file && showAnalysis(model, file.analysis))
      .catch((e) => console.warn(e.message));
  };
  disposables.push(editor.onDidChangeModelContent(() => {
    const model = editor.getModel();
    clearTimeout(reindexTimer);
    reindexTimer = setTimeout(() => reindex(model), settings.reindexDelayMs);
  }));
  disposables.push(editor.onDidChangeModel(({ newModelUrl }) => {
    const model = editor.getModel();
    coverLanguage(model);
    if (model && newModelUrl) reindex(model);
  }));
  disposables.push(editor.onDidChangeModelLanguage(() => coverLanguage(editor.getModel())));
  disposables.push({ dispose: () => clearTimeout(reindexTimer) });

  /** The project's text by path as the host gave it (`files`, `indexFiles`): what a generated
   * round is type-checked against. The engine's copy lives in the worker and does not come back. */
  const projectTexts = new Map();
  /** The project for a type check: the host's files, with the editor's copy of the shown one. */
  const projectFiles = () => {
    const model = editor.getModel();
    const open = model && !model.isDisposed() ? pathOf(model) : null;
    const files = [...projectTexts].map(([path, text]) => ({ path, text: path === open ? model.getValue() : text }));
    if (open && !projectTexts.has(open)) files.push({ path: open, text: model.getValue() });
    return files;
  };

  /** The host's files, with the editor's copy of the file it shows (it may be edited). */
  const indexFiles = (files, onProgress, { prune = false } = {}) => {
    if (prune) projectTexts.clear();
    for (const f of files) projectTexts.set(f.path, f.text);
    const model = editor.getModel();
    const open = model && pathOf(model);
    const current = files.map((f) => (f.path === open ? { path: f.path, text: model.getValue() } : { path: f.path, text: f.text }));
    if (open && !current.some((f) => f.path === open)) current.push({ path: open, text: model.getValue() });
    return client.call('indexFiles', [current, { prune }], { onProgress });
  };

  const panel = createPanel(editor, monaco, pathOf, settings.openFile);
  disposables.push(panel);

  const explain = async () => {
    const model = editor.getModel();
    if (!model) return null;
    const selection = editor.getSelection();
    const selected = selection && !selection.isEmpty() ? model.getValueInRange(selection) : '';
    const start = selection ? model.getOffsetAt(selection.getStartPosition()) : 0;
    const request = {
      path: pathOf(model), text: model.getValue(), offset: start, task: 'explain',
      ...(selected ? { question: `Explain this code:\n${selected}` } : {}),
    };
    panel.show('Explain');
    const controller = panel.controller();
    try {
      const answer = await client.call('chat', [request], {
        signal: controller.signal,
        onText: (_piece, soFar) => panel.text(soFar),
      });
      if (answer) panel.answer(answer);
      return answer;
    } catch (error) {
      panel.error(error.message);
      throw error;
    }
  };
  const search = (query, searchOptions) => client.call('search', [query, searchOptions]);
  const chat = (request, { signal, onText, ...engineOptions } = {}) =>
    client.call('chat', [request, engineOptions], { signal, onText });

  /** A generate-with-tests loop's steps: the worker's `Engine.refiner`, called by message. */
  const refiner = async (refinerOptions) => {
    const { key, request } = await client.call('refiner', [refinerOptions]);
    const step = (name, ...args) => client.call('refinerStep', [key, name, ...args]);
    return {
      request: () => request,
      plan: () => step('plan'),
      split: (answer) => step('split', answer),
      record: (plan, input) => step('record', plan, input),
      rounds: () => step('rounds'),
      costMicroUsd: () => step('costMicroUsd'),
      free: () => step('free'),
    };
  };
  const typeChecks = createTypeChecks();
  disposables.push(typeChecks);

  /** Generate with tests from the cursor's context, in the sandbox, round after round. */
  const generate = async ({ spec, language, maxRounds, minTests, request, timeoutMs, signal, onRound }) => {
    const model = editor.getModel();
    const at = request ?? (model
      ? { path: pathOf(model), text: model.getValue(), offset: model.getOffsetAt(editor.getPosition()) }
      : { path: 'untitled', text: '', offset: 0 });
    const check = settings.typeCheck === false
      ? null
      : typeChecks.forRun(language, { path: at.path, files: projectFiles });
    // The checker's cold start (seconds) overlaps the model writing the first answer.
    check?.warm();
    const { refine } = await import('../sandbox/refine.js');
    const steps = await refiner({ spec, language, maxRounds, minTests });
    try {
      const result = await refine({
        engine: { chat }, request: at, language, steps, timeoutMs, signal,
        diagnose: check?.diagnose,
        // refine awaits `diagnose` before it reports the round: `last()` is this round's check.
        onRound: (round) => {
          round.typeCheck = check?.last() ?? null;
          return onRound?.(round);
        },
      });
      return { ...result, costMicroUsd: await steps.costMicroUsd() };
    } finally {
      steps.free().catch(() => {});
    }
  };
  const openSearch = () => panel.search(search);

  disposables.push(editor.addAction({
    id: 'pilotfish.explainSelection',
    label: 'Pilotfish: explain selection',
    keybindings: [monaco.KeyMod.Alt | monaco.KeyMod.Shift | monaco.KeyCode.KeyE],
    contextMenuGroupId: 'pilotfish',
    run: () => explain().catch(() => {}),
  }));
  disposables.push(editor.addAction({
    id: 'pilotfish.generateWithTests',
    label: 'Pilotfish: generate with tests',
    keybindings: [monaco.KeyMod.Alt | monaco.KeyMod.Shift | monaco.KeyCode.KeyG],
    contextMenuGroupId: 'pilotfish',
    run: () => {
      const model = editor.getModel();
      const language = model && SANDBOX_LANGUAGES[model.getLanguageId()];
      panel.generate(language, model?.getLanguageId(), (spec, onRound, signal) => generate({ spec, language, onRound, signal }));
    },
  }));
  disposables.push(editor.addAction({
    id: 'pilotfish.search',
    label: 'Pilotfish: search',
    keybindings: [monaco.KeyMod.Alt | monaco.KeyMod.Shift | monaco.KeyCode.KeyS],
    contextMenuGroupId: 'pilotfish',
    run: openSearch,
  }));

  // The file on screen first (it is what completions need), then the host's project.
  const first = reindex(editor.getModel());
  const indexed = settings.files
    ? first.then(() => indexFiles(settings.files, settings.onProgress, { prune: true }))
    : first.then(() => null);

  const { embedder, ...restoredReport } = restored;
  return {
    restored: restoredReport,
    embedder,
    indexed,
    indexFiles: (files, onProgress) => indexFiles(files, onProgress),
    search,
    explain,
    // `signal` and `onText` stay on this side; the rest (`attempt`, `maxTokens`, `temperature`)
    // is the engine's own chat options.
    chat,
    refiner,
    generate,
    metrics: () => client.call('metrics', []),
    flush: async () => {
      await reindex(editor.getModel());
      await client.call('flush', []);
    },
    stats: () => ({ ...stats }),
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const d of disposables.reverse()) d.dispose();
      client.terminate();
    },
  };
}

/** The panel that shows an explanation or search hits, as an overlay widget at the top right. */
function createPanel(editor, monaco, pathOf, openFile) {
  const node = document.createElement('div');
  node.className = 'pilotfish-panel';
  node.dataset.testid = 'pilotfish-panel';
  Object.assign(node.style, {
    display: 'none', width: '360px', maxHeight: '60%', overflow: 'auto', padding: '8px',
    font: '12px/1.4 system-ui, sans-serif', boxSizing: 'border-box',
    background: 'var(--vscode-editorWidget-background, #f3f3f3)',
    color: 'var(--vscode-editorWidget-foreground, inherit)',
    border: '1px solid var(--vscode-editorWidget-border, #c8c8c8)', borderRadius: '4px',
  });
  const header = document.createElement('div');
  header.style.display = 'flex';
  const title = document.createElement('strong');
  title.style.flex = '1';
  const close = document.createElement('button');
  close.textContent = '×';
  close.title = 'Close';
  header.append(title, close);
  const body = document.createElement('div');
  body.className = 'pilotfish-panel-body';
  body.style.whiteSpace = 'pre-wrap';
  const list = document.createElement('ul');
  list.className = 'pilotfish-panel-list';
  Object.assign(list.style, { listStyle: 'none', padding: '0', margin: '6px 0 0' });
  node.append(header, body, list);
  let controller = new AbortController();

  const widget = {
    getId: () => 'pilotfish.panel',
    getDomNode: () => node,
    getPosition: () => ({ preference: monaco.editor.OverlayWidgetPositionPreference.TOP_RIGHT_CORNER }),
  };
  editor.addOverlayWidget(widget);

  const hide = () => {
    controller.abort();
    node.style.display = 'none';
    editor.focus();
  };
  close.onclick = hide;
  node.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') hide();
  });

  /** Reveals a place: in this editor when it shows `path`, else through the host's `openFile`. */
  const reveal = (path, startLine, endLine) => {
    const model = editor.getModel();
    if (model && pathOf(model) === path) {
      const range = new monaco.Range(startLine, 1, endLine, model.getLineMaxColumn(endLine));
      editor.setSelection(range);
      editor.revealRangeInCenter(range);
      editor.focus();
    } else {
      openFile?.(path, startLine, endLine);
    }
  };
  const place = (label, path, startLine, endLine) => {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.href = '#';
    link.textContent = label;
    link.dataset.path = path;
    link.onclick = (event) => {
      event.preventDefault();
      reveal(path, startLine, endLine);
    };
    item.append(link);
    list.append(item);
  };

  return {
    show(what) {
      controller.abort();
      controller = new AbortController();
      title.textContent = `Pilotfish: ${what}`;
      body.textContent = '';
      list.textContent = '';
      node.dataset.state = 'busy';
      node.style.display = 'block';
    },
    controller: () => controller,
    text(soFar) {
      body.textContent = soFar;
    },
    answer(answer) {
      body.textContent = answer.text;
      for (const c of answer.citations) place(`[${c.label}] ${c.path}:${c.startLine}-${c.endLine}`, c.path, c.startLine, c.endLine);
      node.dataset.state = 'done';
    },
    error(message) {
      body.textContent = message;
      node.dataset.state = 'error';
    },
    /** A spec box; Ctrl/Cmd+Enter runs `run(spec, onRound, signal)`, each round a line, then the
     * code: accepted code can be inserted at the cursor. */
    generate(language, languageId, run) {
      this.show('generate with tests');
      if (!language) {
        this.error(`The sandbox runs Python, JavaScript and TypeScript; this file is ${languageId ?? 'not open'}.`);
        return;
      }
      node.dataset.state = 'done';
      const input = document.createElement('textarea');
      input.rows = 3;
      input.placeholder = `What to write, in ${language} (Ctrl+Enter runs)`;
      input.style.width = '100%';
      body.append(input);
      const signal = controller.signal;
      input.addEventListener('keydown', async (event) => {
        if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey) || !input.value.trim()) return;
        event.preventDefault();
        node.dataset.state = 'busy';
        list.textContent = '';
        const spec = input.value.trim();
        body.textContent = `Round 1: asking the model for ${language} and its tests…`;
        const line = (round) => {
          const item = document.createElement('li');
          const passed = round.run.tests.filter((t) => t.passed).length;
          const errors = (round.host ?? []).filter((d) => d.severity === 'error');
          item.dataset.round = String(round.round);
          item.dataset.accepted = String(round.accepted);
          item.dataset.typeErrors = String(errors.length);
          // The two ran side by side: what the check added to the round is what it took beyond the tests.
          if (round.run.timings?.totalMs != null) item.dataset.testsMs = String(Math.round(round.run.timings.totalMs));
          if (round.typeCheck) {
            item.dataset.typeCheckMs = String(Math.round(round.typeCheck.ms));
            item.title = `tests ${item.dataset.testsMs ?? '?'} ms, ${round.typeCheck.checker} check ${item.dataset.typeCheckMs} ms`;
          }
          const summary = document.createElement('span');
          summary.className = 'pilotfish-round-summary';
          summary.textContent = `Round ${round.round}: ${passed}/${round.run.tests.length} tests pass, `
            + (errors.length ? `${errors.length} type error${errors.length === 1 ? '' : 's'}, ` : '')
            + (round.typeCheck?.error ? 'not type-checked, ' : '')
            + (round.accepted ? 'accepted' : 'rejected');
          item.append(summary);
          // The type errors under the line, where the implementation has them.
          if (errors.length || round.typeCheck?.error) {
            const details = document.createElement('ul');
            details.className = 'pilotfish-round-diagnostics';
            Object.assign(details.style, { margin: '2px 0 4px', paddingLeft: '14px', opacity: '0.85' });
            const texts = round.typeCheck?.error
              ? [`${round.typeCheck.checker}: ${round.typeCheck.error}`]
              : errors.map((d) => `line ${d.line}:${d.column} ${d.message}`);
            for (const text of texts) {
              const entry = document.createElement('li');
              entry.textContent = text;
              details.append(entry);
            }
            item.append(details);
          }
          list.append(item);
          if (!round.accepted) body.textContent = `Round ${round.round + 1}: asking again with the failures…`;
        };
        try {
          const result = await run(spec, line, signal);
          const last = result.rounds.at(-1);
          body.textContent = `${result.accepted ? 'Accepted' : 'No round passed; the last code'}:\n\n${last?.implementation ?? ''}`;
          if (result.accepted && last) {
            const insert = document.createElement('button');
            insert.textContent = 'Insert at cursor';
            insert.onclick = () => {
              editor.executeEdits('pilotfish', [{ range: editor.getSelection(), text: last.implementation, forceMoveMarkers: true }]);
              hide();
            };
            body.append(document.createElement('br'), insert);
          }
          node.dataset.state = 'done';
        } catch (error) {
          if (!signal.aborted) this.error(error.message);
        }
      });
      input.focus();
    },
    search(run) {
      this.show('search');
      node.dataset.state = 'done';
      const input = document.createElement('input');
      input.type = 'search';
      input.placeholder = 'Search the project…';
      input.style.width = '100%';
      body.append(input);
      input.addEventListener('keydown', async (event) => {
        if (event.key !== 'Enter') return;
        node.dataset.state = 'busy';
        list.textContent = '';
        try {
          const hits = await run(input.value, { limit: 10 });
          for (const h of hits) place(`${h.qualifiedName ?? h.name ?? h.kind} — ${h.path}:${h.startLine}-${h.endLine}`, h.path, h.startLine, h.endLine);
          node.dataset.state = 'done';
        } catch (error) {
          list.textContent = error.message;
          node.dataset.state = 'error';
        }
      });
      input.focus();
    },
    dispose() {
      controller.abort();
      editor.removeOverlayWidget(widget);
    },
  };
}
