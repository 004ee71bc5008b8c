//! `cargo xtask bench prompt`: `Engine.buildPrompt` latency in headless Chromium. Builds
//! `plugin-wasm/pkg-assistant` (the package with the feature `prompt`), serves it, and runs
//! `tests/bench/prompt.mjs`, which indexes a seeded synthetic Python project of 400 files and
//! prints p50/p95/max per mode and budget.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::{cmd, serve, wasm};

pub fn run(root: &Path) -> Result<()> {
    let size = wasm::build_package(root, wasm::Package::Assistant)?;
    println!(
        "\n## buildPrompt in headless Chromium (pkg-assistant, {} gzipped)\n",
        wasm::human(size.gzip)
    );
    let server = serve::start_static(root, 0)?;
    cmd::run(
        Command::new("node")
            .arg(root.join("tests/bench/prompt.mjs"))
            .env("PILOTFISH_DEMO_URL", &server.url)
            .env("PILOTFISH_BENCH_PKG", "/pkg-assistant/"),
    )
}
