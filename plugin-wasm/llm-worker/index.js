// The page's side of the in-tab language model: `createInTabModel(url)` starts worker.js (a module
// worker beside this file), has it fetch and load the GGUF at `url`, and resolves to a model whose
// `chat` and `complete` stream text through `onToken` and resolve to the whole answer. An
// AbortSignal stops a generation between two tokens; it then resolves with finishReason
// "cancelled" and the text so far. Nothing leaves the tab but the request for the model file.

/**
 * @param {string} url  where the GGUF is served (llama architecture, e.g. SmolLM2-135M-Instruct)
 * @param {{ workerUrl?: string | URL }} [options]  where worker.js is, if not beside this module
 * @returns {Promise<InTabModel>}
 */
export async function createInTabModel(url, { workerUrl = new URL('./worker.js', import.meta.url) } = {}) {
  const worker = new Worker(workerUrl, { type: 'module' });
  const calls = new Map();
  let nextId = 1;
  const info = await new Promise((resolve, reject) => {
    worker.onerror = (event) => reject(new Error(`the model worker failed to start: ${event.message ?? 'error'}`));
    worker.onmessage = ({ data }) => {
      if (data.loaded) resolve(data.loaded);
      else if (data.loadError) reject(new Error(data.loadError));
    };
    worker.postMessage({ load: new URL(url, location.href).href });
  }).catch((error) => {
    worker.terminate();
    throw error;
  });
  worker.onmessage = ({ data }) => {
    const call = calls.get(data.id);
    if (!call) return;
    if (data.text !== undefined) {
      call.onToken?.(data.text);
    } else {
      calls.delete(data.id);
      call.signal?.removeEventListener('abort', call.abort);
      if (data.error !== undefined) call.reject(new Error(data.error));
      else call.resolve(data.result);
    }
  };

  function run(method, input, { signal, ...options } = {}, onToken) {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const abort = () => worker.postMessage({ id, stop: true });
      calls.set(id, { resolve, reject, onToken, signal, abort });
      worker.postMessage({ id, method, args: [input, options] });
      if (signal?.aborted) abort();
      else signal?.addEventListener('abort', abort, { once: true });
    });
  }

  return {
    /** The GGUF's `general.name`. */
    name: info.name,
    contextLength: info.contextLength,
    /** What loading took: `{ bytes, fetchMs, loadMs }`. */
    loading: { bytes: info.bytes, fetchMs: info.fetchMs, loadMs: info.loadMs },
    /** `messages`: [{ role, content }]; options: { maxTokens, temperature, topP, seed, stop, signal }. */
    chat: (messages, options, onToken) => run('chat', messages, options, onToken),
    /** A plain-text continuation of `prompt`, with the same options. */
    complete: (prompt, options, onToken) => run('complete', prompt, options, onToken),
    /** Stops the worker; pending generations reject. */
    terminate: () => {
      worker.terminate();
      for (const call of calls.values()) call.reject(new Error('the in-tab model was terminated'));
      calls.clear();
    },
  };
}
