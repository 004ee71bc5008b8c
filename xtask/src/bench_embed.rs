//! `cargo xtask bench embed`: the embedders in Chromium against the native build, in one run.
//! Builds both wasm packages (`pkg` with the static table, `pkg-model` with MiniLM), the static
//! table (`table::ensure`), the model (`model::ensure_model`) and the native side
//! (`plugin-wasm/examples/embed_native.rs`, release), serves them, and runs
//! `tests/bench/embed.mjs`, which prints the side-by-side table.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

use crate::{cmd, corpus, model, serve, table, wasm};

pub fn run(root: &Path) -> Result<()> {
    let table = table::ensure(root, None)?;
    let table_name = table
        .file_name()
        .and_then(|n| n.to_str())
        .context("the table path has no file name")?
        .to_string();
    model::ensure_model(root)?;
    let corpus = corpus::ensure(root)?;
    let default = wasm::build_package(root, wasm::Package::Default)?;
    let with_model = wasm::build_package(root, wasm::Package::Model)?;
    cmd::run(cmd::cargo().args([
        "build",
        "--release",
        "-q",
        "-p",
        "pilotfish-plugin-wasm",
        "--features",
        "local-model",
        "--example",
        "embed_native",
    ]))?;
    let native = wasm::target_dir(root).join("release/examples/embed_native");
    println!("\n## embedders in Chromium\n\n| package | raw | gzip |\n| --- | --- | --- |");
    for (name, size) in [
        ("plugin-wasm/pkg (hashed + static table)", default),
        ("plugin-wasm/pkg-model (+ MiniLM, candle)", with_model),
    ] {
        println!(
            "| {name} | {} | {} |",
            wasm::human(size.raw),
            wasm::human(size.gzip)
        );
    }
    let server = serve::start_static(root, 0)?;
    cmd::run(
        Command::new("node")
            .arg(root.join("tests/bench/embed.mjs"))
            .arg("--corpus")
            .arg(&corpus)
            .args([
                "--table",
                &table_name,
                "--count",
                "10000",
                "--minilm",
                "200",
            ])
            .arg("--native")
            .arg(&native)
            .env("PILOTFISH_DEMO_URL", &server.url),
    )
}
