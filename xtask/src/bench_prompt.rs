//! `cargo xtask bench prompt`: `Engine.buildPrompt` and `Engine.complete` latency in headless
//! Chromium. Builds `plugin-wasm/pkg-assistant` (the package with the feature `assistant`) and
//! the proxy and fake upstream (dev profile: what is measured is the engine's side), starts them
//! and the static server, and runs `tests/bench/prompt.mjs`, which indexes a seeded synthetic
//! Python project of 1,296 files (≈102k lines) and prints p50/p95/max per mode and budget, then
//! the request overhead, plan time and cache-hit times of `complete`.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::{cmd, e2e_stack, serve, wasm};

pub fn run(root: &Path) -> Result<()> {
    let size = wasm::build_package(root, wasm::Package::Assistant)?;
    println!(
        "\n## buildPrompt in headless Chromium (pkg-assistant, {} gzipped)\n",
        wasm::human(size.gzip)
    );
    let stack = e2e_stack::build_and_start(&root.join("target/bench-prompt"))?;
    let server = serve::start_static(root, 0)?;
    cmd::run(
        Command::new("node")
            .arg(root.join("tests/bench/prompt.mjs"))
            .env("PILOTFISH_DEMO_URL", &server.url)
            .env("PILOTFISH_BENCH_PKG", "/pkg-assistant/")
            .env("PILOTFISH_E2E_PROXY", &stack.proxy)
            .env("PILOTFISH_E2E_CONTROL", &stack.control)
            .env("PILOTFISH_E2E_TOKEN", e2e_stack::TOKEN),
    )
}
