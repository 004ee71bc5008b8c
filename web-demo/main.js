// The assistant demo: Monaco over the sample project with Pilotfish attached through its Monaco
// adapter (plugin-wasm/monaco/: the engine in a Web Worker, ghost text, markers, the explain and
// search actions, the index persisted in IndexedDB). This file only boots and wires: settings
// and what answers (settings.js), the project and its tree (project.js), the editor's files
// (workspace.js), and one module per panel.
import { attachPilotfish } from '/plugin-wasm/monaco/index.js';
import { loadSettings, showWhatAnswers } from './settings.js';
import { loadProject, renderTree } from './project.js';
import { createWorkspace } from './workspace.js';
import { wireSearch } from './search-panel.js';
import { wireChat } from './chat-panel.js';
import { wireInTabModel } from './in-tab-chat.js';
import { startMetrics } from './metrics-panel.js';
import { wireGenerate } from './generate-panel.js';

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
// A form submitted before its panel is wired must not reload the page.
document.addEventListener('submit', (event) => event.preventDefault(), { capture: true });
/** The file shown first: short, and the package's front door. */
const FIRST_FILE = 'requests/api.py';

function setStatus(state, text) {
  $('status').dataset.state = state;
  $('status').textContent = text;
}

/** Monaco's AMD build, from the path the README's snippet uses. */
function loadMonaco() {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/node_modules/monaco-editor/min/vs/loader.js';
    script.onerror = () => reject(new Error('Monaco is not served at /node_modules/monaco-editor/ (run `cargo xtask setup`)'));
    script.onload = () => {
      window.require.config({ paths: { vs: '/node_modules/monaco-editor/min/vs' } });
      window.require(['vs/editor/editor.main'], () => resolve(window.monaco), reject);
    };
    document.head.append(script);
  });
}

async function main() {
  const settings = await loadSettings(location.search);
  // Not awaited: the editor and the index do not need the proxy.
  showWhatAnswers(settings, { box: $('answers'), what: $('answers-what'), change: $('answers-change') });

  const [{ listing, files }, monaco] = await Promise.all([loadProject(), loadMonaco()]);
  const lines = files.reduce((sum, f) => sum + f.text.split('\n').length, 0);
  $('project').textContent = `${listing.package} ${listing.version} from ${listing.registry}: ${files.length} files, ${lines.toLocaleString('en')} lines`;

  const editor = monaco.editor.create($('editor'), { automaticLayout: true, minimap: { enabled: false } });
  let markOpen = () => {};
  const workspace = createWorkspace(monaco, editor, files, {
    onOpen: (path) => {
      markOpen(path);
      $('open-path').textContent = path;
    },
  });
  markOpen = renderTree($('file-tree'), files.map((f) => f.path), (path) => workspace.open(path));
  workspace.open(files.some((f) => f.path === FIRST_FILE) ? FIRST_FILE : files[0].path);

  setStatus('indexing', `Indexing ${files.length} files in a Web Worker…`);
  const progress = $('index-progress');
  progress.max = files.length;
  const started = performance.now();
  const pilotfish = await attachPilotfish(editor, monaco, {
    proxyUrl: settings.proxyUrl,
    token: settings.token,
    files,
    persistKey: settings.persistKey,
    staticTableUrl: settings.staticTableUrl,
    prices: settings.config?.prices,
    completionBudget: settings.config?.budgets?.complete,
    completionFamily: settings.config?.completionFamily,
    onProgress: (done, total) => {
      progress.max = total;
      progress.value = done;
      setStatus('indexing', `Indexing in a Web Worker: ${done} of ${total} files…`);
    },
    // Citations and hits of the adapter's own panel (Alt+Shift+E) in files not shown.
    openFile: (path, startLine, endLine) => workspace.open(path, startLine, endLine),
  });
  window.pilotfishDemo = { monaco, editor, pilotfish, workspace };

  const report = await pilotfish.indexed;
  progress.value = progress.max;
  const restored = pilotfish.restored.files
    ? ` (restored ${pilotfish.restored.files} from IndexedDB, ${report.files - report.unchanged} re-indexed)`
    : '';
  setStatus('ready', `Indexed ${report.files} files, ${report.chunks} new chunks, in ${Math.round(performance.now() - started)} ms${restored}. Nothing left the tab to index them.`);

  const refreshMetrics = startMetrics(
    { table: $('metrics'), rows: $('metrics-tasks'), totals: $('metrics-totals') },
    () => pilotfish.metrics(),
    { priced: Boolean(settings.config?.prices) },
  );
  wireSearch(
    { form: $('search-form'), input: $('search-input'), list: $('hit-list'), which: $('search-embedder') },
    { search: (query) => pilotfish.search(query, { limit: 10 }), textOf: workspace.textOf, open: workspace.open, embedder: pilotfish.embedder },
  );
  wireChat(
    { form: $('chat-form'), input: $('chat-input'), task: $('chat-task'), list: $('chat-messages') },
    {
      // The proxy's model, or the in-browser model (in-tab-chat.js), as the page's choice says.
      ask: wireInTabModel($('chat-form').querySelector('.chat-controls'), (request, onText) => {
        const budget = settings.config?.budgets?.chat;
        return pilotfish.chat(budget ? { ...request, budget } : request, { onText });
      }),
      cursor: () => {
        const model = editor.getModel();
        return { path: model.uri.path.replace(/^\//, ''), text: model.getValue(), offset: model.getOffsetAt(editor.getPosition()) };
      },
      open: workspace.open,
      onDone: refreshMetrics,
    },
  );
  wireGenerate(
    {
      form: $('generate-form'), spec: $('generate-spec'), language: $('generate-language'),
      button: $('generate-button'), rounds: $('generate-rounds'), verdict: $('generate-verdict'),
    },
    {
      generate: (options) => pilotfish.generate(options),
      onDone: refreshMetrics,
      // The adapter loads the same sandbox module when it first generates: one warm interpreter.
      warmPython: () => import('/plugin-wasm/sandbox/index.js').then((sandbox) => sandbox.warmPython()),
    },
  );
  document.body.dataset.ready = 'true';
}

main().catch((error) => setStatus('error', error.message));
