//! `cargo xtask bench [SECTION...]`: release-build measurements, each side by side with its peers
//! in one run, printed as tables to paste into BENCHMARKS.md. Sections: size, chunk, retrieval, proxy,
//! embed (see `bench_embed.rs`), vector, context, prompt (`bench_prompt.rs`), monaco (the Monaco
//! adapter on the corpus' first 100k lines, `tests/bench/monaco.mjs`), analysis (security rules
//! and secrets against bandit and detect-secrets, `bench_analysis.rs`).

use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

use crate::{bench_embed, cmd, corpus, serve, setup, wasm};

const SECTIONS: &[&str] = &[
    "size",
    "chunk",
    "retrieval",
    "proxy",
    "embed",
    "vector",
    "context",
    "prompt",
    "monaco",
    "analysis",
];

pub fn run(root: &Path, wanted: &[String]) -> Result<()> {
    for section in wanted {
        if !SECTIONS.contains(&section.as_str()) {
            bail!(
                "unknown bench section `{section}` (known: {})",
                SECTIONS.join(", ")
            );
        }
    }
    let selected = |name: &str| wanted.is_empty() || wanted.iter().any(|w| w == name);
    setup::all(root)?;
    let mut built = false;
    if selected("size") || selected("chunk") || selected("retrieval") {
        let size = wasm::build(root)?;
        built = true;
        println!("\n## wasm size\n\n| module | raw | gzip |\n| --- | --- | --- |");
        println!(
            "| plugin_wasm_bg.wasm (all 10 grammars) | {} | {} |",
            wasm::human(size.raw),
            wasm::human(size.gzip)
        );
    }
    if selected("chunk") {
        debug_assert!(built);
        let corpus = corpus::ensure(root)?;
        println!("\n## chunking throughput (corpus: {})\n", corpus.display());
        cmd::run(
            cmd::pilotfish(cmd::Build::Release)
                .arg("bench-chunk")
                .arg(&corpus),
        )?;
        let server = serve::start_static(root, 0)?;
        cmd::run(
            Command::new("node")
                .arg(root.join("tests/e2e/bench-chunk.mjs"))
                .env("PILOTFISH_DEMO_URL", &server.url)
                .env("PILOTFISH_BENCH_CORPUS", &corpus),
        )?;
    }
    if selected("retrieval") {
        let cosqa = root
            .parent()
            .map(|p| p.join("shared/data/cosqa"))
            .unwrap_or_default();
        // The end-to-end quality table: CoSQA dev and the docstring-query sets of the fetched
        // packages; every embedder (hashed, static table, MiniLM), the fusion grid, incremental.
        let corpus = corpus::ensure(root)?;
        let model = crate::model::ensure_model(root)?;
        let table = crate::table::ensure(root, None)?;
        println!(
            "\n## retrieval: CoSQA dev ({}) and docstring queries ({})\n",
            cosqa.display(),
            corpus.display()
        );
        cmd::run(
            cmd::pilotfish(cmd::Build::Release)
                .args(["eval", "--tune", "--data"])
                .arg(&cosqa)
                .arg("--corpus")
                .arg(&corpus)
                .arg("--table")
                .arg(&table)
                .arg("--model")
                .arg(&model)
                .arg("--cache-dir")
                .arg(root.join(".cache/embed")),
        )?;
        println!("\n### keyword search against the JS peers, in one Node process\n");
        cmd::run(
            Command::new("node")
                .arg(root.join("tests/bench/keyword.mjs"))
                .arg("--pkg")
                .arg(root.join("plugin-wasm/pkg"))
                .arg("--data")
                .arg(&cosqa),
        )?;
    }
    if selected("vector") {
        crate::bench_vector::run(root)?;
    }
    if selected("analysis") {
        crate::bench_analysis::run(root)?;
    }
    if selected("proxy") {
        println!(
            "\n## proxy (load generator on loopback, fake upstream with a 50 ms first byte)\n"
        );
        cmd::run(cmd::cargo().args(["bench", "-q", "-p", "pilotfish-proxy", "--bench", "load"]))?;
    }
    if selected("embed") {
        bench_embed::run(root)?;
    }
    if selected("context") {
        crate::bench_context::run(root)?;
    }
    if selected("prompt") {
        crate::bench_prompt::run(root)?;
    }
    if selected("monaco") {
        wasm::build_package(root, wasm::Package::Assistant)?;
        let corpus = corpus::ensure(root)?;
        let server = serve::start_static(root, 0)?;
        println!(
            "\n## Monaco adapter: a 100k-line project (corpus: {})\n",
            corpus.display()
        );
        cmd::run(
            Command::new("node")
                .arg(root.join("tests/bench/monaco.mjs"))
                .arg("--corpus")
                .arg(&corpus)
                .env("PILOTFISH_DEMO_URL", &server.url),
        )?;
    }
    Ok(())
}
