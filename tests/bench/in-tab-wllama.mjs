// The in-tab model's peer: wllama (llama.cpp compiled to wasm, npm `@wllama/wllama`) in the same
// headless Chromium, on the same GGUF, with the workload of tests/bench/in-tab-model.mjs: decode
// = 128 tokens after "Once upon a time" (temperature 0, end of text ignored), prefill = the
// repeated sentence calibrated to about 1,000 tokens. Times are wllama's own (`timings` of its
// llama-server-style answer: `prompt_per_second`, `predicted_per_second`), as ours come from our
// worker. Single-threaded (`n_threads: 1`): the page is not cross-origin isolated, as ours is
// not, and our package runs on one thread. Its docs' set-up otherwise: the ES module and
// `esm/wasm/wllama.wasm` served beside the page, the model loaded from a URL.
//
// wllama is installed outside the tree (never committed), beside the llama.cpp peer:
//   cd .cache/peers/llama && npm i -E @wllama/wllama@3.13.0
// Usage: node tests/bench/in-tab-wllama.mjs [RUNS]   (from the repository root, after
// `cargo xtask setup` has unpacked the model). Prints one JSON object of medians.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const runs = Number(process.argv[2] ?? 3);
const root = resolve('.');
const WLLAMA = '/.cache/peers/llama/node_modules/@wllama/wllama/esm';
const MODEL = '/.cache/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf';
const WORDS = 'The quick brown fox jumps over the lazy dog while the compiler checks every borrow. ';
const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

// Only the two folders the page needs are served.
const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>wllama bench</title>');
    return;
  }
  if (!path.startsWith(WLLAMA) && path !== MODEL) return res.writeHead(404).end();
  const file = join(root, path);
  try {
    const { size } = await stat(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': size });
    createReadStream(file).pipe(res);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const base = `http://127.0.0.1:${server.address().port}`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, digits = 1) => Number(x.toFixed(digits));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  await page.goto(base);
  const result = await page.evaluate(async ({ wllamaUrl, modelUrl, runs, words }) => {
    const { Wllama } = await import(`${wllamaUrl}/index.js`);
    const wllama = new Wllama({ default: `${wllamaUrl}/wasm/wllama.wasm` });
    const started = performance.now();
    await wllama.loadModelFromUrl(modelUrl, { n_threads: 1, n_ctx: 2048, n_batch: 512 });
    const loadMs = performance.now() - started;
    const complete = (prompt, max) => wllama.createCompletion({ prompt, max_tokens: max, temperature: 0, ignore_eos: true, cache_prompt: false });
    const probe = await complete(words.repeat(60), 1);
    const prompt = words.repeat(Math.round(60 * 1000 / probe.usage.prompt_tokens));
    const decode = [];
    const prefill = [];
    let promptTokens = 0;
    let decoded = 0;
    for (let i = 0; i < runs; i += 1) {
      // `cache_prompt: false` above: every run evaluates its whole prompt (llama-server reuses a
      // cached prefix by default, and the calibration probe is a prefix of the long prompt).
      const d = await complete('Once upon a time', 128);
      decoded = d.timings.predicted_n;
      decode.push(d.timings.predicted_per_second);
      const p = await complete(prompt, 1);
      promptTokens = p.timings.prompt_n;
      prefill.push(p.timings.prompt_per_second);
    }
    await wllama.exit();
    return { loadMs, decode, prefill, promptTokens, decoded, version: Wllama.getLibllamaVersion?.() };
  }, { wllamaUrl: `${base}${WLLAMA}`, modelUrl: `${base}${MODEL}`, runs, words: WORDS });
  console.log(JSON.stringify({
    peer: `wllama 3.13.0 (libllama ${result.version}), 1 thread`,
    runs,
    load_ms: round(result.loadMs, 0),
    decoded_tokens: result.decoded,
    decode_tokens_per_s: round(median(result.decode)),
    decode_all: result.decode.map((x) => round(x)),
    prompt_tokens: result.promptTokens,
    prefill_tokens_per_s: round(median(result.prefill)),
    prefill_all: result.prefill.map((x) => round(x)),
  }));
} finally {
  await browser.close();
  server.close();
}
