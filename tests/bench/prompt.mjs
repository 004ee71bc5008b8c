// buildPrompt latency in headless Chromium: a synthetic Python project (packages of modules that
// import each other's functions, seeded) is indexed into pkg-assistant's Engine, then buildPrompt
// runs at seeded cursors inside function bodies, each with the file's text edited at the cursor
// (as an editor would send it), in FIM and chat mode. Prints p50/p95/max milliseconds.
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
  packages: opt("--packages", 20),
  modules: opt("--modules", 20),
  cursors: opt("--cursors", 200),
  seed: 0x5eed0002,
};

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

// Runs inside the page: everything it needs is in its arguments.
async function runInPage({ pkg, packages, modules, cursors, seed }) {
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
  return { userAgent: navigator.userAgent, files: files.length, lines, chunks, indexMs, rows };
}
