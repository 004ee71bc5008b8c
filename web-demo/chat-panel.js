// The chat panel: a question about the project goes to the engine's `chat` (task chat, or
// explain for the code at the cursor), whose prompt the engine builds in the worker from the
// chunks it retrieves, labelled [n] path:start-end. The answer streams in as the proxy relays
// it; when it is done, its [n] become links and the chunks it could cite are listed: a click
// opens the file at those lines.

/** Wires the form. `ask(request, onText)` resolves to the engine's answer; `cursor()` gives
 * `{ path, text, offset }` of the editor; `open(path, start, end)` shows a place; `onDone()`
 * runs after each answer or failure. */
export function wireChat({ form, input, task, list }, { ask, cursor, open, onDone }) {
  const history = [];
  let asked = 0;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question && task.value === 'chat') return;
    input.value = '';
    const asking = question || 'Explain the code at the cursor.';
    list.append(message('user', asking));
    const reply = message('assistant', '');
    reply.dataset.testid = 'chat-answer';
    reply.dataset.state = 'streaming';
    list.append(reply);
    const body = reply.querySelector('.text');
    let pieces = 0;
    asked += 1;
    list.dataset.asked = String(asked);
    try {
      const answer = await ask(
        { ...cursor(), task: task.value, ...(question ? { question } : {}), history: [...history] },
        (_piece, soFar) => {
          pieces += 1;
          reply.dataset.pieces = String(pieces);
          body.textContent = soFar;
          list.scrollTop = list.scrollHeight;
        },
      );
      if (!answer) {
        reply.dataset.state = 'cancelled';
        body.textContent = '(cancelled)';
        return;
      }
      body.replaceChildren(...linked(answer.text, answer.citations, open));
      reply.append(sources(answer, open));
      reply.dataset.state = 'done';
      reply.dataset.source = answer.source;
      history.push({ role: 'user', content: asking }, { role: 'assistant', content: answer.text });
    } catch (error) {
      reply.dataset.state = 'error';
      body.textContent = error.message;
    } finally {
      list.scrollTop = list.scrollHeight;
      onDone();
    }
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
}

function message(role, text) {
  const li = document.createElement('li');
  li.className = role;
  const body = document.createElement('div');
  body.className = 'text';
  body.textContent = text;
  li.append(body);
  return li;
}

function citationLink(citation, open, text) {
  const link = document.createElement('a');
  link.href = '#';
  link.dataset.testid = 'citation';
  link.dataset.path = citation.path;
  link.dataset.startLine = String(citation.startLine);
  link.dataset.endLine = String(citation.endLine);
  link.title = `${citation.path}:${citation.startLine}-${citation.endLine} (${citation.why})`;
  link.textContent = text;
  link.addEventListener('click', (event) => {
    event.preventDefault();
    open(citation.path, citation.startLine, citation.endLine);
  });
  return link;
}

/** The answer's text with each `[n]` that names a citation made a link to it. */
function linked(text, citations, open) {
  const byLabel = new Map(citations.map((c) => [c.label, c]));
  const nodes = [];
  let at = 0;
  for (const match of text.matchAll(/\[(\d+)\]/g)) {
    const citation = byLabel.get(Number(match[1]));
    if (!citation) continue;
    nodes.push(text.slice(at, match.index), citationLink(citation, open, match[0]));
    at = match.index + match[0].length;
  }
  nodes.push(text.slice(at));
  return nodes;
}

/** The chunks the prompt gave the model: those the answer cites first, then the rest. */
function sources(answer, open) {
  const cited = new Set([...answer.text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
  const ordered = [...answer.citations].sort((a, b) => Number(cited.has(b.label)) - Number(cited.has(a.label)));
  const details = document.createElement('details');
  details.open = cited.size > 0;
  const summary = document.createElement('summary');
  summary.textContent = `Sources: ${answer.citations.length} chunks of the project were in the prompt`
    + (cited.size ? `, ${cited.size} cited` : '');
  const ul = document.createElement('ul');
  ul.className = 'sources';
  for (const c of ordered) {
    const li = document.createElement('li');
    if (cited.has(c.label)) li.className = 'cited';
    li.append(citationLink(c, open, `[${c.label}] ${c.path}:${c.startLine}-${c.endLine}`));
    ul.append(li);
  }
  details.append(summary, ul);
  return details;
}
