//! The native twin of `tests/bench/prompt.mjs`: the same kind of seeded synthetic Python project
//! (packages of modules importing each other's functions) indexed into the facade's `Engine`, and
//! `build_prompt_native` timed at seeded cursors. Natively the hot spots of the browser's prompt
//! build can be profiled (`perf record`), which the Chromium bench cannot show.
//!
//! Usage: `cargo run --release -p plugin-wasm --example prompt_native [PACKAGES MODULES CURSORS]`
//! (defaults 36 36 200: 1,296 files, as the browser bench).

use std::error::Error;
use std::time::Instant;

use plugin_wasm::Engine;
use plugin_wasm::options::{EngineOptions, PromptRequest};

/// mulberry32, as the browser benches seed their projects.
struct Seeded(u32);

impl Seeded {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x6d2b_79f5);
        let mut t = (self.0 ^ (self.0 >> 15)).wrapping_mul(1 | self.0);
        t = (t.wrapping_add((t ^ (t >> 7)).wrapping_mul(61 | t))) ^ t;
        f64::from(t ^ (t >> 14)) / 4_294_967_296.0
    }

    fn pick(&mut self, n: usize) -> usize {
        (self.next() * n as f64) as usize
    }
}

const FUNCS: usize = 6;

fn name(p: usize, m: usize, k: usize) -> String {
    format!("load_p{p}_m{m}_f{k}")
}

fn project(packages: usize, modules: usize, rng: &mut Seeded) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for p in 0..packages {
        for m in 0..modules {
            let imports: Vec<(usize, usize, usize)> = (0..2)
                .map(|_| (rng.pick(packages), rng.pick(modules), rng.pick(FUNCS)))
                .collect();
            let mut lines = vec!["import json".to_string(), String::new()];
            for (ip, im, k) in &imports {
                lines.push(format!(
                    "from pkg{ip}.mod{im} import {}",
                    name(*ip, *im, *k)
                ));
            }
            lines.extend([String::new(), String::new()]);
            for k in 0..FUNCS {
                let (ip, im, ik) = imports[k % 2];
                lines.extend([
                    format!("def {}(path, options=None):", name(p, m, k)),
                    format!("    \"\"\"Load item {k} of module {m} in package {p}.\"\"\""),
                    format!("    data = {}(path)", name(ip, im, ik)),
                    "    if options:".into(),
                    "        data.update(options)".into(),
                    "    result = []".into(),
                    "    for key, value in sorted(data.items()):".into(),
                    "        result.append((key, json.dumps(value)))".into(),
                    "    return result".into(),
                    String::new(),
                    String::new(),
                ]);
            }
            lines.extend([
                format!("class Store{p}x{m}:"),
                "    def __init__(self, root):".into(),
                "        self.root = root".into(),
                String::new(),
                "    def get(self, key):".into(),
                format!("        return {}(self.root + key)", name(p, m, 0)),
                String::new(),
            ]);
            files.push((format!("pkg{p}/mod{m}.py"), lines.join("\n")));
        }
    }
    files
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let (packages, modules, cursors) = match args.as_slice() {
        [] => (36, 36, 200),
        [p, m, c] => (*p, *m, *c),
        _ => return Err("usage: prompt_native [PACKAGES MODULES CURSORS]".into()),
    };
    let mut rng = Seeded(0x5eed_0002);
    let files = project(packages, modules, &mut rng);
    let mut engine = Engine::with_options(&EngineOptions::default())?;
    let start = Instant::now();
    for (path, text) in &files {
        engine.index_text(path, text)?;
    }
    println!(
        "{} files indexed in {:.2} s",
        files.len(),
        start.elapsed().as_secs_f64()
    );
    let mut requests = Vec::new();
    for _ in 0..cursors {
        let (path, text) = &files[rng.pick(files.len())];
        let lines: Vec<&str> = text.split('\n').collect();
        let candidates: Vec<usize> = (0..lines.len())
            .filter(|&n| lines[n].starts_with("    data = "))
            .collect();
        let line = candidates[rng.pick(candidates.len())];
        let before = format!("{}\n    value = ", lines[..=line].join("\n"));
        let text = format!("{before}\n{}", lines[line + 1..].join("\n"));
        requests.push((path.clone(), text, before.encode_utf16().count()));
    }
    for (mode, budget) in [("fim", 2048), ("fim", 8192), ("chat", 4096)] {
        let mut times = Vec::new();
        for (path, text, offset) in &requests {
            let request: PromptRequest = serde_json::from_value(serde_json::json!({
                "path": path, "text": text, "offset": offset, "mode": mode, "budget": budget,
            }))?;
            let start = Instant::now();
            let built = engine.build_prompt_native(&request)?;
            std::hint::black_box(serde_json::to_string(&built)?);
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((q * times.len() as f64) as usize).min(times.len() - 1)];
        println!(
            "{mode} {budget}: p50 {:.3} ms, p95 {:.3} ms, max {:.3} ms",
            at(0.5),
            at(0.95),
            times[times.len() - 1]
        );
    }
    Ok(())
}
