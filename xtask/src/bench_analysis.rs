//! `cargo xtask bench analysis`: our Python security rules against bandit and our secret
//! redactor against detect-secrets, side by side on the same files (`analysis/bench/run.py`,
//! which installs the peers from PyPI into the ignored `.cache/bench/venv`); then, in headless
//! Chromium with the release wasm, `Engine.analyze` on 100 KB of code and the Python type
//! checker's warm check against `pyright` from that venv (`tests/bench/analysis.mjs`), and the
//! sandbox's cold start and 10-test runs (the benchmark test of `tests/e2e/sandbox.test.mjs`).
//! The CLI for the first part is the dev build: that table is about what each tool finds, and
//! its times are per-file process runs, not the engine's speed.

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::{cmd, serve, wasm};

pub fn run(root: &Path) -> Result<()> {
    let built = cmd::built_executables(
        cmd::cargo().args(["build", "-p", "pilotfish-cli", "--bin", "pilotfish"]),
        &["pilotfish"],
    )?;
    println!("\n## analysis: security rules vs bandit, secrets vs detect-secrets\n");
    cmd::run(
        Command::new("python3")
            .arg(root.join("analysis/bench/run.py"))
            .arg("--pilotfish")
            .arg(&built[0])
            .arg("--out")
            .arg(root.join(".cache/bench")),
    )?;
    wasm::build_package(root, wasm::Package::Assistant)?;
    let server = serve::start_static(root, 0)?;
    println!("\n## analysis in the tab: analyze on 100 KB, type check vs pyright\n");
    cmd::run(
        Command::new("node")
            .arg(root.join("tests/bench/analysis.mjs"))
            .arg("--pyright")
            .arg(root.join(".cache/bench/venv/bin/pyright"))
            .env("PILOTFISH_DEMO_URL", &server.url),
    )?;
    println!("\n## the test sandbox: cold start and 10-test runs\n");
    cmd::run(
        Command::new("node")
            .args(["--test", "--test-name-pattern=benchmark"])
            .arg(root.join("tests/e2e/sandbox.test.mjs"))
            .env("PILOTFISH_DEMO_URL", &server.url),
    )
}
