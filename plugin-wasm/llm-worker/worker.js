// The local language model in a Web Worker: fetches a GGUF by URL, loads it into the `pkg-llm`
// package (`cargo xtask build-wasm --llm`), and streams generated text back to the page. A module
// worker; index.js beside it is the page's side. Nothing leaves the tab: the only request is the
// model file's, to the URL the page gave.
//
// Protocol (structured-clone messages; one request id per generation, chosen by the page):
//   page → worker  { load: url }                 fetch and load the model (once, first)
//                  { id, method, args }          method "chat" (messages, options) or
//                                                "complete" (prompt, options)
//                  { id, stop: true }            stop generation `id` (no further token runs)
//   worker → page  { loaded: { name, contextLength, bytes, fetchMs, loadMs } } | { loadError }
//                  { id, text }                  one non-empty piece of the answer
//                  { id, result }                the end: { text, finishReason, promptTokens,
//                                                completionTokens, prefillMs, decodeMs }
//                  { id, error }                 the generation failed: the Error's message
// Generation is synchronous wasm, one token per call of `next()`: between tokens the worker
// yields to its event loop so a stop message is read at once. Generations run one at a time,
// in the order they were asked for.
import init, { LocalModel } from '../pkg-llm/plugin_wasm.js';

let model = null;
/** Ids the page asked to stop (before or while they run). */
const stopped = new Set();
/** The tail of the queue: each generation starts when the one before it ended. */
let queue = Promise.resolve();

const post = (message) => self.postMessage(message);

/** Resolves after pending messages were handled: a MessageChannel turn, not a clamped timer. */
function yieldToEvents() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = resolve;
    channel.port2.postMessage(null);
  });
}

async function load(url) {
  const started = performance.now();
  await init();
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching the model ${url}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const fetched = performance.now();
  model = LocalModel.load(bytes);
  const loaded = performance.now();
  return {
    name: model.name,
    contextLength: model.contextLength,
    bytes: bytes.length,
    fetchMs: fetched - started,
    loadMs: loaded - fetched,
  };
}

async function generate(id, method, args) {
  if (!model) throw new Error('no model loaded');
  if (stopped.delete(id)) return { text: '', finishReason: 'cancelled', promptTokens: 0, completionTokens: 0, prefillMs: 0, decodeMs: 0 };
  const started = performance.now();
  const [input, options] = args;
  const generation = method === 'chat'
    ? model.startChat(input, options ?? undefined)
    : model.startCompletion(input, options ?? undefined);
  const prefilled = performance.now();
  let text = '';
  try {
    for (;;) {
      const piece = generation.next();
      if (piece === undefined) break;
      if (piece) {
        text += piece;
        post({ id, text: piece });
      }
      await yieldToEvents();
      if (stopped.delete(id)) generation.stop();
    }
    return {
      text,
      finishReason: generation.finishReason,
      promptTokens: generation.promptTokens,
      completionTokens: generation.completionTokens,
      prefillMs: prefilled - started,
      decodeMs: performance.now() - prefilled,
    };
  } finally {
    generation.free();
  }
}

self.onmessage = ({ data }) => {
  if (data.load !== undefined) {
    load(data.load).then((loaded) => post({ loaded }), (error) => post({ loadError: error.message }));
    return;
  }
  const { id } = data;
  if (data.stop) {
    stopped.add(id);
    return;
  }
  queue = queue.then(() => generate(id, data.method, data.args)).then(
    (result) => post({ id, result }),
    (error) => post({ id, error: error.message }),
  );
};
