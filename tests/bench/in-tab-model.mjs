// Tokens/s of the local language model in the tab: headless Chromium runs SmolLM2-135M in its Web
// Worker (plugin-wasm/llm-worker/, package pkg-llm) with the workload of
// local-llm/bench/bench_local.py, which measures the native server: decode is 128 tokens after the
// prompt "Once upon a time" (temperature 0, ignoreEos), prefill a prompt of about 1,000 tokens of
// the same repeated sentence. Times come from the worker (`prefillMs`, `decodeMs`), so decode
// includes the worker's postMessage per token, as a page sees it. Also prints the load time.
//
// Usage: PILOTFISH_DEMO_URL=<cargo xtask serve's URL> node tests/bench/in-tab-model.mjs [RUNS]
// (after `cargo xtask build-wasm --llm`). Prints one JSON object of medians.
import { chromium } from 'playwright-core';

const demoUrl = process.env.PILOTFISH_DEMO_URL;
if (!demoUrl) throw new Error('set PILOTFISH_DEMO_URL (cargo xtask serve prints it)');
const runs = Number(process.argv[2] ?? 3);
const MODEL_URL = '/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf';
const WORDS = 'The quick brown fox jumps over the lazy dog while the compiler checks every borrow. ';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, digits = 1) => Number(x.toFixed(digits));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  await page.goto(new URL('/tests/e2e/pages/in-tab-model.html', demoUrl).href);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
  const result = await page.evaluate(async ({ url, runs, words }) => {
    const started = performance.now();
    const model = await window.createInTabModel(url);
    const loadMs = performance.now() - started;
    // About 1,000 prompt tokens, calibrated as bench_local.py does.
    const probe = await model.complete(words.repeat(60), { maxTokens: 1, temperature: 0 });
    const prompt = words.repeat(Math.round(60 * 1000 / probe.promptTokens));
    const decode = [];
    const prefill = [];
    let promptTokens = 0;
    for (let i = 0; i < runs; i += 1) {
      const d = await model.complete('Once upon a time', { maxTokens: 128, temperature: 0, ignoreEos: true });
      decode.push((d.completionTokens - 1) / (d.decodeMs / 1000));
      const p = await model.complete(prompt, { maxTokens: 1, temperature: 0 });
      promptTokens = p.promptTokens;
      prefill.push(p.promptTokens / (p.prefillMs / 1000));
    }
    return { loadMs, loading: model.loading, decode, prefill, promptTokens };
  }, { url: MODEL_URL, runs, words: WORDS });
  console.log(JSON.stringify({
    runs,
    load_ms: round(result.loadMs, 0),
    fetch_ms: round(result.loading.fetchMs, 0),
    gguf_load_ms: round(result.loading.loadMs, 0),
    decode_tokens_per_s: round(median(result.decode)),
    decode_all: result.decode.map((x) => round(x)),
    prompt_tokens: result.promptTokens,
    prefill_tokens_per_s: round(median(result.prefill)),
    prefill_all: result.prefill.map((x) => round(x)),
  }));
} finally {
  await browser.close();
}
