//! `cargo xtask bench vector`: the vector-index tables. Natively, `pilotfish bench-vector`
//! (release) measures our f32 scan, int8 scan and HNSW; then one headless Chromium page
//! (`tests/bench/vector.mjs`) measures the same three from the wasm build next to hnswlib-wasm,
//! on the same vectors (queried with CoSQA's dev queries; hnswlib's `efSearch` swept from 32 to
//! 256; every q/s the median of 5 runs), plus the JS↔wasm boundary share of `Engine.search`.

use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

use crate::{cmd, serve, wasm};

/// The MiniLM vectors of CoSQA's functions, written by `pilotfish eval --model`.
const VECTORS: &str = ".cache/embed/cosqa-minilm-vectors.bin";
/// The MiniLM vectors of CoSQA's 500 dev queries, written beside them: the Chromium page's
/// queries, which no setting of ours was tuned on (the binary shortlist was tuned on the
/// held-out functions).
const QUERY_VECTORS: &str = ".cache/embed/cosqa-minilm-queries.bin";

pub fn run(root: &Path) -> Result<()> {
    let vectors = root.join(VECTORS);
    if !vectors.is_file() {
        bail!(
            "{} is missing: run `cargo xtask bench retrieval` (or `pilotfish eval --model ...`) once to embed CoSQA with MiniLM",
            vectors.display()
        );
    }
    if !root.join(QUERY_VECTORS).is_file() {
        bail!(
            "{} is missing: run `cargo xtask bench retrieval` (or `pilotfish eval --model ...`) once more to write it",
            root.join(QUERY_VECTORS).display()
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
            .env("PILOTFISH_BENCH_VECTORS", "/embed/cosqa-minilm-vectors.bin")
            .env(
                "PILOTFISH_BENCH_QUERY_VECTORS",
                "/embed/cosqa-minilm-queries.bin",
            ),
    )
}
