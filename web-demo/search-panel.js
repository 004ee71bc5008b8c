// The search panel: the engine's hybrid search (in the worker) over the project, each hit shown
// with its place, its explanation (the engine ranks and explains; this only words it) and the
// first lines of its code with the query's words marked. A click opens the file at the hit.

const SNIPPET_LINES = 6;

/** The engine's reasons for a hit, in words: which rankings found it, at which rank. */
export function explain(hit) {
  const reasons = [];
  if (hit.keyword) reasons.push(`keyword match #${hit.keyword.rank} (BM25 ${hit.keyword.score.toFixed(2)})`);
  if (hit.vector) reasons.push(`vector neighbour #${hit.vector.rank} (cosine ${hit.vector.score.toFixed(2)})`);
  if (reasons.length === 0) return `fused score ${hit.fused.toFixed(4)}`;
  const both = hit.keyword && hit.vector ? 'found by both, ' : 'only ';
  return `${both}${reasons.join(' + ')}; fused ${hit.fused.toFixed(4)}`;
}

/** Words too common to be worth marking (short ones are skipped anyway). */
const UNMARKED = new Set(['the', 'and', 'for', 'with', 'from', 'that', 'this', 'how', 'what', 'does']);

/** `text` as nodes, with every occurrence of the query's words (3+ letters, not the commonest)
 * in a <mark>. Built from text nodes, never HTML: the code is the project's, not the page's. */
export function marked(text, query) {
  const words = [...new Set(query.toLowerCase().match(/[a-z0-9]{3,}/g) ?? [])].filter((w) => !UNMARKED.has(w));
  const fragment = document.createDocumentFragment();
  if (words.length === 0) {
    fragment.append(text);
    return fragment;
  }
  // Longest first, so "headers" is marked whole rather than as "header" + "s".
  words.sort((a, b) => b.length - a.length);
  const pattern = new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi');
  let at = 0;
  for (const match of text.matchAll(pattern)) {
    fragment.append(text.slice(at, match.index));
    const mark = document.createElement('mark');
    mark.textContent = match[0];
    fragment.append(mark);
    at = match.index + match[0].length;
  }
  fragment.append(text.slice(at));
  return fragment;
}

/** Which embedder's vectors search, in words (the adapter's `handle.embedder`). */
export function describeEmbedder(embedder) {
  return embedder?.kind === 'static'
    ? `the static token table ${embedder.id} (${embedder.dimensions} dimensions, distilled from a transformer: words that mean alike land near)`
    : `the engine's default hashed-feature vectors (${embedder?.dimensions ?? '?'} dimensions, no model to download: closer to keywords)`;
}

/** Wires the form; `search(query)` resolves to hits, `textOf(path)` gives a file's text,
 * `open(path, start, end)` shows it; `embedder` (what searches) is said in `which`. */
export function wireSearch({ form, input, list, which }, { search, textOf, open, embedder }) {
  if (which) {
    which.dataset.kind = embedder?.kind ?? 'unknown';
    which.textContent = describeEmbedder(embedder);
  }
  let searches = 0;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const query = input.value.trim();
    if (!query) return;
    list.dataset.state = 'busy';
    let hits;
    try {
      hits = await search(query);
    } catch (error) {
      const li = document.createElement('li');
      li.className = 'error';
      li.textContent = error.message;
      list.replaceChildren(li);
      list.dataset.state = 'error';
      return;
    }
    list.replaceChildren(...hits.map((hit) => renderHit(hit, query, textOf, open)));
    if (hits.length === 0) list.textContent = 'No hits.';
    searches += 1;
    list.dataset.searches = String(searches);
    list.dataset.state = 'done';
  });
}

function renderHit(hit, query, textOf, open) {
  const li = document.createElement('li');
  li.dataset.testid = 'hit';
  li.dataset.path = hit.path;
  li.dataset.name = hit.qualifiedName ?? hit.name ?? '';
  li.dataset.startLine = String(hit.startLine);
  li.dataset.endLine = String(hit.endLine);

  const head = document.createElement('button');
  head.type = 'button';
  head.className = 'hit-head';
  const name = document.createElement('code');
  name.className = 'name';
  name.append(marked(li.dataset.name || hit.kind, query));
  const where = document.createElement('span');
  where.className = 'where';
  where.textContent = `${hit.kind} · ${hit.path}:${hit.startLine}–${hit.endLine}`;
  head.append(name, where);
  head.addEventListener('click', () => open(hit.path, hit.startLine, hit.endLine));

  const why = document.createElement('p');
  why.className = 'why';
  why.dataset.testid = 'hit-why';
  why.textContent = explain(hit);

  const code = document.createElement('pre');
  const lines = (textOf(hit.path) ?? '').split('\n').slice(hit.startLine - 1, hit.endLine);
  const shown = lines.slice(0, SNIPPET_LINES).join('\n') + (lines.length > SNIPPET_LINES ? '\n…' : '');
  code.append(marked(shown, query));

  li.append(head, why, code);
  return li;
}
