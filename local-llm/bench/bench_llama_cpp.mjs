// llama.cpp as the local model's side-by-side peer (issue 13's goals are ratios to it): the same
// GGUF, the same thread count and the same workload as bench_local.py measures on
// pilotfish-local: decode = 128 tokens after "Once upon a time" at temperature 0 (end of text
// ignored), prefill = the same ~1,000-token prompt (the same sentence repeated until the
// model's tokenizer counts about 1,000 tokens), first token of that prompt, peak RSS (VmHWM) of
// this process (node's own ~50 MB included). Medians of RUNS runs.
//
// llama.cpp comes from npm `node-llama-cpp` (its prebuilt linux-x64 binaries, CPU only; it has no
// HTTP server, so it is driven in-process here and the time is measured around its token
// generator). Install it outside the tree once (≈ 740 MB, never committed):
//   mkdir -p .cache/peers/llama && cd .cache/peers/llama && npm init -y &&
//   npm i -E node-llama-cpp@3.21.1 --ignore-scripts
// Run: node local-llm/bench/bench_llama_cpp.mjs MODEL.gguf [RUNS] [THREADS]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modelPath, runsArg = '5', threadsArg = '2'] = process.argv.slice(2);
if (!modelPath) throw new Error('usage: node local-llm/bench/bench_llama_cpp.mjs MODEL.gguf [RUNS] [THREADS]');
const runs = Number(runsArg);
const threads = Number(threadsArg);
const peers = resolve(process.env.PILOTFISH_PEERS ?? '.cache/peers/llama');
const { getLlama } = await import(pathToFileURL(join(peers, 'node_modules/node-llama-cpp/dist/index.js')).href);

// `build: 'never'`: the prebuilt binary or an error, never a 20-minute compile; `gpu: false`: the
// machine has none and the comparison is CPU to CPU.
const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false });
const model = await llama.loadModel({ modelPath });
// batchSize 512 is llama.cpp's default logical batch; the context holds the long prompt.
const context = await model.createContext({ contextSize: 2048, batchSize: 512, threads });
const sequence = context.getSequence();

const words = 'The quick brown fox jumps over the lazy dog while the compiler checks every borrow. ';
const scale = 1000 / model.tokenize(words.repeat(60)).length;
const longPrompt = model.tokenize(words.repeat(Math.round(60 * scale)));

/** Generates `count` tokens after `tokens` from an empty context: [seconds to the first token,
 * seconds from the first to the last]. */
async function generate(tokens, count) {
  await sequence.clearHistory();
  const start = performance.now();
  let first = null;
  let last = null;
  let n = 0;
  // `evaluate` yields sampled tokens until the caller stops it: end of text does not stop it.
  for await (const token of sequence.evaluate(tokens, { temperature: 0 })) {
    void token;
    last = performance.now();
    first ??= last;
    n += 1;
    if (n >= count) break;
  }
  return [(first - start) / 1000, (last - first) / 1000];
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const decode = [];
const firstToken = [];
const prefill = [];
const start = model.tokenize('Once upon a time');
for (let i = 0; i < runs; i++) {
  const [, span] = await generate(start, 128);
  decode.push(127 / span);
  const [ttft] = await generate(longPrompt, 2);
  firstToken.push(ttft);
  prefill.push(longPrompt.length / ttft);
}
const status = readFileSync('/proc/self/status', 'utf8');
const peakKb = Number(status.match(/^VmHWM:\s+(\d+)/m)[1]);
const round = (x, d) => Number(x.toFixed(d));
console.log(JSON.stringify({
  peer: 'llama.cpp via node-llama-cpp 3.21.1', threads, runs,
  decode_tokens_per_s: round(median(decode), 1), decode_all: decode.map((x) => round(x, 1)),
  prompt_tokens: longPrompt.length,
  first_token_s: round(median(firstToken), 3), first_token_all: firstToken.map((x) => round(x, 3)),
  prefill_tokens_per_s: round(median(prefill), 1),
  peak_rss_mb: round(peakKb / 1024, 1),
}));
await context.dispose();
await model.dispose();
await llama.dispose();
