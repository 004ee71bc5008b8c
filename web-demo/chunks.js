// The chunk viewer (chunks.html: the engine's chunker and search on their own, with the default
// package pkg/): load the wasm engine (with the static embedding table when the server publishes
// one at /embed/active.json, else the hashed embedder, with a notice), index pasted or dropped
// text, list the chunks, search everything added so far, and (when Monaco is served at /monaco/)
// show the file with the selected chunk highlighted.
// Offsets come back in UTF-16 code units, which is what Monaco and JavaScript strings count.
import init, { Engine } from './pkg/plugin_wasm.js';

const $ = (testid) => document.querySelector(`[data-testid="${testid}"]`);
const status = $('status');

// Monaco's language ids for the engine's language names.
const MONACO_LANGUAGES = {
  python: 'python', javascript: 'javascript', typescript: 'typescript', tsx: 'typescript',
  rust: 'rust', go: 'go', java: 'java', c: 'c', cpp: 'cpp', csharp: 'csharp',
};

let engine;
let editor = null; // a Monaco editor once (and if) Monaco has loaded
let decorations = null;
let current = null; // the file shown: { file, text }
let generation = 0; // bumps on every indexing so tests can wait for a specific render

function setStatus(state, text) {
  status.dataset.state = state;
  status.textContent = text;
}

function renderStats() {
  const stats = engine.stats();
  for (const key of ['files', 'chunks', 'bytes', 'diagnostics']) {
    $(`stats-${key}`).textContent = String(stats[key]);
  }
}

function renderFile(file, text) {
  $('file-heading').textContent = `${file.path} (${file.language ?? 'unknown language'}): ${file.chunks.length} chunks`;

  const diagnostics = $('diagnostics');
  diagnostics.replaceChildren(...file.diagnostics.map((d) => {
    const li = document.createElement('li');
    li.dataset.testid = 'diagnostic';
    li.dataset.kind = d.kind;
    li.textContent = d.message;
    return li;
  }));

  const template = document.getElementById('chunk-template');
  const list = $('chunk-list');
  list.replaceChildren(...file.chunks.map((chunk, i) => {
    const li = template.content.firstElementChild.cloneNode(true);
    li.dataset.index = String(i);
    li.dataset.kind = chunk.kind;
    li.dataset.name = chunk.qualifiedName ?? chunk.name ?? '';
    li.dataset.start = String(chunk.start);
    li.dataset.end = String(chunk.end);
    li.querySelector('[data-testid="chunk-kind"]').textContent = chunk.kind;
    li.querySelector('[data-testid="chunk-name"]').textContent = chunk.qualifiedName ?? chunk.name ?? '';
    li.querySelector('[data-testid="chunk-lines"]').textContent =
      chunk.startLine === chunk.endLine ? `line ${chunk.startLine}` : `lines ${chunk.startLine}–${chunk.endLine}`;
    li.querySelector('[data-testid="chunk-docstring"]').textContent = chunk.docstring ?? '';
    li.querySelector('[data-testid="chunk-text"]').textContent = chunk.text;
    li.addEventListener('click', (event) => {
      if (event.target.closest('details')) return; // let the text expand without re-selecting
      selectChunk(li, chunk);
    });
    return li;
  }));
  generation += 1;
  list.dataset.path = file.path;
  list.dataset.generation = String(generation);
  list.dataset.count = String(file.chunks.length);

  current = { file, text };
  showInEditor();
}

function showInEditor() {
  if (!editor || !current) return;
  const old = editor.getModel();
  const language = MONACO_LANGUAGES[current.file.language] ?? 'plaintext';
  editor.setModel(window.monaco.editor.createModel(current.text, language));
  old?.dispose();
  decorations?.clear();
}

function selectChunk(li, chunk) {
  for (const el of document.querySelectorAll('.chunk.selected')) el.classList.remove('selected');
  li.classList.add('selected');
  if (!editor) return;
  const model = editor.getModel();
  // start/end are UTF-16 offsets, exactly what Monaco's getPositionAt expects.
  const from = model.getPositionAt(chunk.start);
  const to = model.getPositionAt(chunk.end);
  const range = new window.monaco.Range(from.lineNumber, from.column, to.lineNumber, to.column);
  decorations?.clear();
  decorations = editor.createDecorationsCollection([
    { range, options: { className: 'chunk-highlight', isWholeLine: false } },
  ]);
  editor.revealRangeInCenter(range);
  const container = $('editor');
  container.dataset.selectedStart = String(chunk.start);
  container.dataset.selectedEnd = String(chunk.end);
  container.dataset.selectedText = model.getValueInRange(range);
}

function renderEmbedder(notice) {
  const info = engine.embedder;
  const el = $('embedder');
  el.dataset.kind = info.kind;
  el.textContent = info.kind === 'static'
    ? `static token table (${info.dimensions} dims, ${info.id})`
    : `${info.kind} (${info.dimensions} dims)`;
  const note = $('embedder-notice');
  note.hidden = !notice;
  note.textContent = notice ?? '';
}

// Fetches the table the server publishes; returns a notice to show when there is none.
async function loadTable() {
  let table;
  try {
    const manifest = await fetch('/embed/active.json', { cache: 'no-store' });
    if (!manifest.ok) return 'No static table is served: searching with the hashed embedder (keyword-like vectors).';
    ({ table } = await manifest.json());
    const response = await fetch(`/embed/${encodeURIComponent(table)}`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    engine.loadStaticTable(new Uint8Array(await response.arrayBuffer()));
    return null;
  } catch (error) {
    return `Could not load the static table ${table ?? ''}: ${error.message}. Using the hashed embedder.`;
  }
}

let searches = 0; // bumps on every search so tests can wait for a specific render
function runSearch(query, mode) {
  const list = $('hit-list');
  try {
    const hits = engine.search(query, { mode, limit: 10 });
    list.replaceChildren(...hits.map((hit) => {
      const li = document.createElement('li');
      li.dataset.testid = 'hit';
      li.dataset.path = hit.path;
      li.dataset.name = hit.qualifiedName ?? hit.name ?? '';
      const why = [
        hit.keyword && `keyword #${hit.keyword.rank}`,
        hit.vector && `vector #${hit.vector.rank} (cos ${hit.vector.score.toFixed(3)})`,
      ].filter(Boolean).join(', ');
      li.textContent = `${hit.path}:${hit.startLine}–${hit.endLine} ${li.dataset.name} — ${why}`;
      return li;
    }));
    setStatus('ready', `${hits.length} hits for “${query}” (${mode}, ${engine.embedder.kind} embedder).`);
  } catch (error) {
    list.replaceChildren();
    setStatus('error', error.message);
  }
  searches += 1;
  list.dataset.searches = String(searches);
}

function indexText(path, text) {
  try {
    const file = engine.indexFile(path, text);
    renderFile(file, text);
    renderStats();
    setStatus('ready', `Indexed ${path}.`);
  } catch (error) {
    setStatus('error', error.message);
  }
}

async function indexFileObject(file) {
  const text = await file.text();
  $('path-input').value = file.name;
  $('source-text').value = text;
  indexText(file.name, text);
}

function wireInputs() {
  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    runSearch($('search-input').value, $('search-mode').value);
  });
  $('chunk-button').addEventListener('click', () => indexText($('path-input').value, $('source-text').value));
  $('source-text').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) $('chunk-button').click();
  });
  $('file-input').addEventListener('change', (event) => {
    const [file] = event.target.files;
    if (file) indexFileObject(file);
  });
  const zone = $('drop-zone');
  // Dropping anywhere on the page works; the zone only shows where.
  document.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    const [file] = event.dataTransfer?.files ?? [];
    if (file) indexFileObject(file);
  });
}

// Monaco is optional: the page works with the textarea alone when /monaco/ is not served.
function loadMonaco() {
  return new Promise((resolve) => {
    const script = document.createElement('script');
    script.src = '/monaco/vs/loader.js';
    script.onerror = () => resolve(null);
    script.onload = () => {
      window.require.config({ paths: { vs: '/monaco/vs' } });
      window.require(['vs/editor/editor.main'], () => resolve(window.monaco), () => resolve(null));
    };
    document.head.append(script);
  });
}

async function main() {
  try {
    await init();
    engine = new Engine({ positionEncoding: 'utf16' });
  } catch (error) {
    setStatus('error', `Could not load the engine: ${error.message}`);
    return;
  }
  // The table must be loaded before anything is indexed: an index holds one embedder's vectors.
  renderEmbedder(await loadTable());
  wireInputs();
  window.pilotfishDemo = { engine, indexText, runSearch, get editor() { return editor; } };
  setStatus('ready', 'Ready: paste code or drop a file.');
  const monaco = await loadMonaco();
  if (monaco) {
    const container = $('editor');
    container.hidden = false;
    editor = monaco.editor.create(container, { value: '', readOnly: true, automaticLayout: true, minimap: { enabled: false } });
    showInEditor();
    container.dataset.ready = 'true';
  }
}

main();
