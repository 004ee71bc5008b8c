// The chat's model choice: the proxy's model (what the header says answers), or the in-browser
// model, SmolLM2-135M running as WebAssembly in a Web Worker (plugin-wasm/llm-worker/), which
// `cargo xtask demo` builds and serves. With the in-browser model nothing leaves the tab: the
// model file is fetched once from the page's own server, the answer is computed here. It is a
// 135M model with no project context (the engine's retrieval prompt is sized for the proxy's
// models), so it answers the conversation and, for "explain", the code around the cursor.
import { createInTabModel } from '/plugin-wasm/llm-worker/index.js';

const MODEL_URL = '/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf';
/** Characters of the file on each side of the cursor that "explain" shows the model. */
const EXPLAIN_WINDOW = 600;
const OPTIONS = { maxTokens: 256, temperature: 0.2, topP: 0.9 };

/** Adds the model choice to the chat's controls and returns the `ask` the chat panel calls:
 * `askProxy` for the proxy's model, the in-browser model otherwise. */
export function wireInTabModel(controls, askProxy) {
  const select = document.createElement('select');
  select.dataset.testid = 'chat-model';
  select.setAttribute('aria-label', 'Model');
  select.append(new Option("the proxy's model", 'proxy'), new Option('in-browser model', 'in-tab'));
  const status = document.createElement('span');
  status.className = 'note';
  status.dataset.testid = 'chat-model-status';
  const say = () => {
    status.textContent = select.value === 'proxy'
      ? 'Answers: the model behind the proxy (see the header).'
      : `Answers: ${model ? model.name : 'SmolLM2-135M-Instruct'}, in this tab (WebAssembly worker); nothing leaves the page.`;
  };
  let model = null;
  let loading = null;
  const load = () => {
    loading ??= createInTabModel(MODEL_URL).then((loaded) => {
      model = loaded;
      say();
      return loaded;
    }, (error) => {
      loading = null;
      throw error;
    });
    return loading;
  };
  select.addEventListener('change', () => {
    say();
    if (select.value === 'in-tab') {
      status.textContent = 'Loading the in-browser model (about 100 MB, once)…';
      load().catch((error) => { status.textContent = `The in-browser model failed to load: ${error.message}`; });
    }
  });
  controls.prepend(select, status);
  say();

  return async (request, onText) => {
    if (select.value === 'proxy') return askProxy(request, onText);
    const loaded = await load();
    let soFar = '';
    const result = await loaded.chat(messagesFor(request), OPTIONS, (piece) => {
      soFar += piece;
      onText(piece, soFar);
    });
    return { text: result.text, citations: [], source: `in-tab: ${loaded.name}` };
  };
}

/** The conversation so far and the new question; "explain" quotes the code at the cursor. */
function messagesFor({ task, question, history, path, text, offset }) {
  let content = question ?? 'Explain this code.';
  if (task === 'explain') {
    const code = text.slice(Math.max(0, offset - EXPLAIN_WINDOW), offset + EXPLAIN_WINDOW);
    content = `${content}\n\nThe code, from ${path}:\n\`\`\`\n${code}\n\`\`\``;
  }
  return [...history, { role: 'user', content }];
}
