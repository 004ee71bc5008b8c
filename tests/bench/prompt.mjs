// buildPrompt latency in headless Chromium: a synthetic Python project (packages of modules that
// import each other's functions, seeded) is indexed into pkg-assistant's Engine, then buildPrompt
// runs at seeded cursors inside function bodies, each with the file's text edited at the cursor
// (as an editor would send it), in FIM and chat mode. Prints p50/p95/max milliseconds.
//
// With PILOTFISH_E2E_PROXY/_CONTROL/_TOKEN (a real proxy in front of the fake upstream, as
// `cargo xtask bench prompt` starts them), `complete` runs at the same cursors too: the engine's
// own time between the debounce deadline and the request leaving (metrics().request_overhead_ms),
// complete's synchronous part (plan_ms: caches, gathering, prompt building, which runs while the
// debounce waits), and the time to serve a suggestion from the prefix cache (the person typing
// into it) and from the response cache.
//
// `cargo xtask bench prompt` builds plugin-wasm/pkg-assistant, starts the static server and runs
// this. By hand, with any static server at the repo root:
//   PILOTFISH_DEMO_URL=http://127.0.0.1:8123/ PILOTFISH_BENCH_PKG=/plugin-wasm/pkg-assistant/ \
//     node tests/bench/prompt.mjs [--packages 20] [--modules 20] [--cursors 200]
import { chromium } from "playwright-core";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const base = process.env.PILOTFISH_DEMO_URL ?? "http://127.0.0.1:8123/";
const params = {
  pkg: process.env.PILOTFISH_BENCH_PKG ?? "/pkg-assistant/",
  packages: opt("--packages", 36),
  modules: opt("--modules", 36),
  cursors: opt("--cursors", 200),
  seed: 0x5eed0002,
  proxy: process.env.PILOTFISH_E2E_PROXY ?? null,
  token: process.env.PILOTFISH_E2E_TOKEN ?? null,
};
const control = process.env.PILOTFISH_E2E_CONTROL;
if (control) {
  // Every completion answers one short line in two pieces.
  const res = await fetch(`${control}/script`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text: "json.dumps(data)\n", chunks: 2 }),
  });
  if (res.status !== 204) throw new Error(`the fake upstream refused the script: ${res.status}`);
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
let result;
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => process.stderr.write(`[page error] ${e}\n`));
  await page.goto(new URL("tests/bench/prompt.html", base).href);
  result = await page.evaluate(runInPage, params);
} finally {
  await browser.close();
}

const f = (x, d = 1) => x.toFixed(d);
console.log(`\nChromium: ${result.userAgent}`);
console.log(
  `project: ${result.files} Python files, ${result.lines} lines, ${result.chunks} chunks; indexFiles ${f(result.indexMs / 1000, 2)} s\n`,
);
console.log("| mode | budget | cursors | p50 ms | p95 ms | max ms | mean tokens | mean definitions |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of result.rows) {
  console.log(
    `| ${r.mode} | ${r.budget} | ${r.n} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.max)} | ${f(r.tokens, 0)} | ${f(r.definitions)} |`,
  );
}
if (result.complete) {
  const c = result.complete;
  console.log(`\ncomplete() through the proxy and the fake upstream, ${c.n} cursors, debounce fixed at ${c.debounceMs} ms:\n`);
  console.log("| what | count | p50 ms | p95 ms | p99 ms | max ms |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  const row = (what, s) => console.log(`| ${what} | ${s.count} | ${f(s.p50, 2)} | ${f(s.p95, 2)} | ${f(s.p99, 2)} | ${f(s.max, 2)} |`);
  row("request overhead (debounce deadline → request sent)", c.overhead);
  row("plan (caches, gathering, FIM prompt; during the debounce)", c.plan);
  row("prefix-cache hit (typing into the suggestion), call → resolved", c.prefixHit);
  row("response-cache hit (same prompt again), call → resolved", c.responseHit);
  row("network answer, call → resolved (debounce included)", c.network);
}

// Runs inside the page: everything it needs is in its arguments.
async function runInPage({ pkg, packages, modules, cursors, seed, proxy, token }) {
  const { default: init, Engine } = await import(new URL(`${pkg}plugin_wasm.js`, location.href).href);
  await init();
  // mulberry32, as the other browser benches use.
  let a = seed | 0;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (n) => Math.floor(next() * n);
  const FUNCS = 6;
  const name = (p, m, k) => `load_p${p}_m${m}_f${k}`;
  // Each module imports two functions from other modules and defines FUNCS functions and a class
  // whose bodies call them, so definitions resolve across files.
  const files = [];
  for (let p = 0; p < packages; p++) {
    for (let m = 0; m < modules; m++) {
      const imports = [0, 1].map(() => [pick(packages), pick(modules), pick(FUNCS)]);
      const lines = ["import json", ""];
      for (const [ip, im, k] of imports) lines.push(`from pkg${ip}.mod${im} import ${name(ip, im, k)}`);
      lines.push("", "");
      for (let k = 0; k < FUNCS; k++) {
        const [ip, im, ik] = imports[k % 2];
        lines.push(
          `def ${name(p, m, k)}(path, options=None):`,
          `    """Load item ${k} of module ${m} in package ${p}."""`,
          `    data = ${name(ip, im, ik)}(path)`,
          "    if options:",
          "        data.update(options)",
          "    result = []",
          "    for key, value in sorted(data.items()):",
          "        result.append((key, json.dumps(value)))",
          "    return result",
          "",
          "",
        );
      }
      lines.push(
        `class Store${p}x${m}:`,
        "    def __init__(self, root):",
        "        self.root = root",
        "",
        "    def get(self, key):",
        `        return ${name(p, m, 0)}(self.root + key)`,
        "",
      );
      files.push({ path: `pkg${p}/mod${m}.py`, text: lines.join("\n") });
    }
  }
  const engine = new Engine();
  let start = performance.now();
  engine.indexFiles(files);
  const indexMs = performance.now() - start;
  const chunks = engine.stats().chunks;
  // Cursors: the start of a body line, with a new statement typed there.
  const requests = [];
  for (let i = 0; i < cursors; i++) {
    const file = files[pick(files.length)];
    const lines = file.text.split("\n");
    const candidates = lines.map((l, n) => (l.startsWith("    data = ") ? n : -1)).filter((n) => n >= 0);
    const line = candidates[pick(candidates.length)];
    const typed = "    value = ";
    const before = lines.slice(0, line + 1).join("\n") + "\n" + typed;
    const text = before + "\n" + lines.slice(line + 1).join("\n");
    requests.push({ path: file.path, text, offset: before.length });
  }
  const percentile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const rows = [];
  for (const [mode, budget] of [["fim", 2048], ["fim", 8192], ["chat", 4096]]) {
    const times = [];
    let tokens = 0;
    let definitions = 0;
    // Warm-up, so the first mode's row does not carry the wasm tier-up (one call was not enough:
    // its p95 was 3x the others').
    for (const request of requests.slice(0, 20)) engine.buildPrompt({ ...request, mode, budget });
    for (const request of requests) {
      start = performance.now();
      const built = engine.buildPrompt({ ...request, mode, budget });
      times.push(performance.now() - start);
      tokens += built.tokens;
      definitions += built.parts.filter((p) => p.kind === "definition").length;
    }
    times.sort((x, y) => x - y);
    rows.push({
      mode,
      budget,
      n: times.length,
      p50: percentile(times, 0.5),
      p95: percentile(times, 0.95),
      max: times.at(-1),
      tokens: tokens / times.length,
      definitions: definitions / times.length,
    });
  }
  const lines = files.reduce((n, f) => n + f.text.split("\n").length, 0);
  let complete = null;
  if (proxy) {
    const debounceMs = 30;
    await engine.configureAssistant({
      proxyUrl: proxy, token, debounce: { minMs: debounceMs, maxMs: debounceMs, initialMs: debounceMs },
    });
    const summary = (times) => {
      const sorted = [...times].sort((x, y) => x - y);
      return { count: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95),
        p99: percentile(sorted, 0.99), max: sorted.at(-1) };
    };
    const network = [];
    const prefixHit = [];
    const responseHit = [];
    for (const request of requests) {
      let t = performance.now();
      const shown = await engine.complete(request);
      network.push(performance.now() - t);
      if (!shown || shown.source !== "network" || shown.text.length < 2) {
        throw new Error(`no network suggestion at ${request.path}: ${JSON.stringify(shown)}`);
      }
      // The person types the suggestion's first character: served from the prefix cache.
      const typed = { ...request, text: request.text.slice(0, request.offset) + shown.text[0] + request.text.slice(request.offset), offset: request.offset + 1 };
      t = performance.now();
      const rest = await engine.complete(typed);
      prefixHit.push(performance.now() - t);
      if (rest?.source !== "prefix_cache") throw new Error(`expected a prefix-cache hit: ${JSON.stringify(rest)}`);
      // Dismissed, then asked again at the same cursor: the response cache.
      engine.acceptSuggestion(request.path);
      t = performance.now();
      const again = await engine.complete(request);
      responseHit.push(performance.now() - t);
      if (again?.source !== "response_cache") throw new Error(`expected a response-cache hit: ${JSON.stringify(again)}`);
    }
    const m = engine.metrics();
    const fromSketch = (s) => ({ count: s.count, p50: s.p50, p95: s.p95, p99: s.p99, max: s.max });
    complete = {
      n: requests.length, debounceMs,
      overhead: fromSketch(m.request_overhead_ms),
      plan: fromSketch(m.plan_ms),
      prefixHit: summary(prefixHit),
      responseHit: summary(responseHit),
      network: summary(network),
    };
  }
  return { userAgent: navigator.userAgent, files: files.length, lines, chunks, indexMs, rows, complete };
}
