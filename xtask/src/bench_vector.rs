//! `cargo xtask bench vector`: the vector-index tables. Natively, `pilotfish bench-vector`
//! (release) measures our f32 scan, int8 scan and HNSW; then one headless Chromium page
//! (`tests/bench/vector.mjs`) measures the same three from the wasm build next to hnswlib-wasm,
//! on the same vectors, plus the JS↔wasm boundary share of `Engine.search`.

use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

use crate::{cmd, serve, wasm};

/// The MiniLM vectors of CoSQA's functions, written by `pilotfish eval --model`.
const VECTORS: &str = ".cache/embed/cosqa-minilm-vectors.bin";

pub fn run(root: &Path) -> Result<()> {
    let vectors = root.join(VECTORS);
    if !vectors.is_file() {
        bail!(
            "{} is missing: run `cargo xtask bench retrieval` (or `pilotfish eval --model ...`) once to embed CoSQA with MiniLM",
            vectors.display()
        );
    }
    let cosqa = root
        .parent()
        .map(|p| p.join("shared/data/cosqa"))
        .unwrap_or_default();
    println!("\n## vector index, native (release)\n");
    cmd::run(
        cmd::pilotfish(cmd::Build::Release)
            .args(["bench-vector", "--vectors"])
            .arg(&vectors),
    )?;
    let size = wasm::build(root)?;
    println!(
        "\n## vector index in headless Chromium, side by side with hnswlib-wasm (module {} gzipped)\n",
        wasm::human(size.gzip)
    );
    let server = serve::start_static(root, 0)?;
    cmd::run(
        Command::new("node")
            .arg(root.join("tests/bench/vector.mjs"))
            .arg("--data")
            .arg(&cosqa)
            .env("PILOTFISH_DEMO_URL", &server.url)
            .env("PILOTFISH_BENCH_PKG", "/pkg/")
            .env("PILOTFISH_BENCH_VECTORS", "/embed/cosqa-minilm-vectors.bin"),
    )
}
