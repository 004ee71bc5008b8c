// Vector search side by side in ONE headless Chromium page: our wasm VectorIndex (f32 scan, int8
// scan + f32 re-rank, binary Hamming prefilter + re-rank, HNSW via instant-distance) against hnswlib-wasm 0.8.2 (M 16,
// efConstruction 200, several efSearch), at 6k real CoSQA MiniLM vectors and synthetic corpora up
// to 100k; then the JS↔wasm boundary share of Engine.search latency. Prints markdown tables.
//
// The page is served by the xtask static server (`cargo xtask bench vector` starts it and sets
// PILOTFISH_DEMO_URL). By hand, any static server at the repo root works:
//   python3 -m http.server 8123 &   # from the repo root
//   PILOTFISH_DEMO_URL=http://127.0.0.1:8123/ PILOTFISH_BENCH_PKG=/plugin-wasm/pkg/ \
//     node tests/bench/vector.mjs [--sizes 6000,20000] [--min-ms 500] [--hnsw-max 100000] [--our-hnsw-max 50000]
import { readFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const base = process.env.PILOTFISH_DEMO_URL ?? "http://127.0.0.1:8123/";
const sizes = opt("--sizes", "6000,5000,10000,20000,50000,100000").split(",").map(Number);
const minMs = Number(opt("--min-ms", "1000"));
const hnswMax = Number(opt("--hnsw-max", "100000"));
// Our graph is skipped above this size (its build in one tab takes minutes at 100k; the binary
// prefilter answers there with no build). hnswlib still runs up to --hnsw-max.
const ourHnswMax = Number(opt("--our-hnsw-max", "100000"));
// hnswlib's efSearch, swept finely enough to find the smallest value reaching recall@10 >= 0.99.
const efs = opt("--efs", "32,48,64,80,96,112,128,160,192,224,256").split(",").map(Number);
// Our HNSW's efSearch is fixed at build time (instant-distance), so one value per run.
const ourEf = Number(opt("--our-ef", "64"));
const ourEfc = Number(opt("--our-efc", "100"));
const cosqaDir = path.resolve(opt("--data", process.env.PILOTFISH_COSQA ?? "../shared/data/cosqa"));

const codeMap = JSON.parse(readFileSync(path.join(cosqaDir, "code_idx_map.txt"), "utf8"));
const code = [];
for (const [text, id] of Object.entries(codeMap)) code[id] = text;
const queries = JSON.parse(
  readFileSync(path.join(cosqaDir, "cosqa-retrieval-dev-500.json"), "utf8"),
).map((q) => q.doc);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
let result;
try {
  const page = await browser.newPage();
  page.on("console", (m) => process.stderr.write(`[page] ${m.text()}\n`));
  page.on("pageerror", (e) => process.stderr.write(`[page error] ${e}\n`));
  await page.goto(new URL("tests/bench/vector.html", base).href);
  await page.waitForFunction(() => window.benchReady === true);
  result = await page.evaluate((params) => window.runVectorBench(params), {
    pkg: process.env.PILOTFISH_BENCH_PKG ?? "/pkg/",
    hnswlib: "/node_modules/hnswlib-wasm/dist/hnswlib.js",
    vectors: process.env.PILOTFISH_BENCH_VECTORS ?? "/.cache/embed/cosqa-minilm-vectors.bin",
    // Unset: the 267 held-out function vectors (what the binary shortlist was tuned on).
    queryVectors: process.env.PILOTFISH_BENCH_QUERY_VECTORS,
    sizes,
    minMs,
    hnswMax,
    ourHnswMax,
    efs,
    ourEf,
    ourEfc,
    cosqa: { code, queries },
  });
} finally {
  await browser.close();
}

const f = (x, d = 0) => (x === undefined ? "–" : x.toFixed(d));
console.log(`\nChromium: ${result.userAgent}`);
console.log(`queries: ${result.queries} ${process.env.PILOTFISH_BENCH_QUERY_VECTORS ? "CoSQA dev query vectors (not tuned on)" : "held-out function vectors (the binary shortlist was tuned on these)"}; every q/s is the median of ${result.runs} runs`);
console.log(`hnswlib-wasm 0.8.2: M 16, efConstruction 200, efSearch ${efs.join("/")} (the table shows the smallest efSearch with recall@10 ≥ 0.99); ours: int8 re-rank 40, binary shortlist max(400, 40k, n/100) then int8 re-rank 40, HNSW efConstruction ${ourEfc} efSearch ${ourEf}, select_heuristic(None)\n`);
console.log(
  "| corpus | vectors | f32 scan q/s | f32 GB/s | int8 q/s | int8 R@10 | binary q/s | binary R@10 | HNSW build s | HNSW q/s | HNSW R@10 | hnswlib build s | hnswlib ef | hnswlib q/s | hnswlib R@10 | best ours / hnswlib | paired ratio (ours mode, median of alternating runs) |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of result.rows) {
  // The smallest efSearch reaching recall@10 >= 0.99 (the sweep is in increasing order); none: the
  // largest swept, shown with its recall.
  const peer = (r.peer ?? []).find((p) => p.recall >= 0.99) ?? r.peer?.at(-1);
  const ours = Math.max(
    r.exactQps,
    r.int8Recall >= 0.99 ? r.int8Qps : 0,
    r.binaryRecall >= 0.99 ? r.binaryQps : 0,
    r.hnswRecall >= 0.99 ? r.hnswQps : 0,
  );
  console.log(
    `| ${r.corpus} | ${r.n} | ${f(r.exactQps)} | ${f(r.exactGBs, 1)} | ${f(r.int8Qps)} | ${f(r.int8Recall, 4)} | ${f(r.binaryQps)} | ${f(r.binaryRecall, 4)} | ${f(r.hnswBuildMs && r.hnswBuildMs / 1000, 2)} | ${f(r.hnswQps)} | ${f(r.hnswRecall, 4)} | ${f(r.peerBuildMs && r.peerBuildMs / 1000, 2)} | ${peer?.ef ?? "–"} | ${f(peer?.qps)} | ${f(peer?.recall, 4)} | ${peer ? f(ours / peer.qps, 2) + "×" : "–"} | ${r.paired ? `${f(r.paired.ratio, 2)}× (${r.paired.mode})` : "–"} |`,
  );
}
for (const r of result.rows) {
  if (r.peer) console.log(`hnswlib at ${r.n}: ${r.peer.map((p) => `ef ${p.ef}: ${f(p.qps)} q/s R@10 ${f(p.recall, 4)}`).join("; ")}`);
}
if (result.boundary) {
  const b = result.boundary;
  console.log(`\nJS↔wasm boundary share of Engine.search (${b.chunks ?? "?"} chunks, ${queries.length} CoSQA queries, median of 9 alternating rounds)\n`);
  console.log("| mode | per query from JS µs | inside wasm µs | boundary share |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const mode of ["hybrid", "vector", "keyword"]) {
    const m = b[mode];
    console.log(`| ${mode} | ${f(m.jsUs, 1)} | ${f(m.coreUs, 1)} | ${f(100 * m.share, 1)} % |`);
  }
}
