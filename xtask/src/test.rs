//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::Result;

use crate::{cmd, serve, setup, wasm};

pub fn all(root: &Path) -> Result<()> {
    let started = Instant::now();
    let mut timings = Vec::new();
    let mut step = |name: &str, f: &mut dyn FnMut() -> Result<()>| -> Result<()> {
        eprintln!("\n==> {name}");
        let t = Instant::now();
        f()?;
        timings.push((name.to_string(), t.elapsed().as_secs_f64()));
        Ok(())
    };

    let mut tools = None;
    step("setup", &mut || {
        tools = Some(setup::all(root)?);
        Ok(())
    })?;
    let tools = tools.expect("setup ran");

    step("rustfmt", &mut || {
        cmd::run(cmd::cargo().args(["fmt", "--all", "--", "--check"]))
    })?;
    step("clippy (native)", &mut || {
        cmd::run(cmd::cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("clippy (wasm32)", &mut || {
        // The engine's tests run natively; on wasm32 its library must build and lint clean, and
        // the facade's browser tests must compile.
        for (package, targets) in [
            ("pilotfish-engine", "--lib"),
            ("pilotfish-plugin-wasm", "--all-targets"),
        ] {
            cmd::run(cmd::cargo().args([
                "clippy",
                "-p",
                package,
                targets,
                "--target",
                "wasm32-unknown-unknown",
                "--",
                "-D",
                "warnings",
            ]))?;
        }
        Ok(())
    })?;
    let mut cli = None;
    step("native tests", &mut || {
        // Built first on its own to learn where the `pilotfish` binary is: the end-to-end step
        // distills the static table with it instead of building the CLI again.
        cli = Some(cmd::built_executable(
            cmd::cargo().args(["test", "--workspace", "--all-features", "--no-run"]),
            "pilotfish",
        )?);
        cmd::run(
            cmd::cargo()
                .args(["test", "--workspace", "--all-features"])
                .env("PILOTFISH_PYTHON", &tools.python)
                .env("PILOTFISH_MODEL_DIR", &tools.model_dir),
        )
    })?;
    step("wasm tests in headless Chromium", &mut || {
        cmd::run(
            cmd::cargo()
                .args([
                    "test",
                    "-p",
                    "pilotfish-plugin-wasm",
                    "--target",
                    "wasm32-unknown-unknown",
                ])
                .env("CHROMEDRIVER", "/usr/bin/chromedriver"),
        )
    })?;
    step("build-wasm", &mut || wasm::build(root).map(|_| ()))?;
    step("browser end-to-end (Playwright)", &mut || {
        // The demo's search test uses the static table when it can be built, and checks the
        // hashed-embedder notice when it cannot.
        if let Err(error) = serve::publish_table(root, cli.as_deref()) {
            eprintln!("warning: no static table for the end-to-end tests: {error:#}");
        }
        let server = serve::start_static(root, 0)?;
        let tests = node_tests(root, "tests/e2e")?;
        if tests.is_empty() {
            anyhow::bail!("no end-to-end tests found in tests/e2e");
        }
        cmd::run(
            Command::new("node")
                .arg("--test")
                .args(&tests)
                .env("PILOTFISH_DEMO_URL", &server.url),
        )
    })?;

    eprintln!(
        "\nAll checks passed in {:.0} s:",
        started.elapsed().as_secs_f64()
    );
    for (name, secs) in timings {
        eprintln!("  {secs:>7.1} s  {name}");
    }
    Ok(())
}

/// The `*.test.mjs` files of a folder, sorted.
fn node_tests(root: &Path, dir: &str) -> Result<Vec<String>> {
    let mut tests: Vec<String> = std::fs::read_dir(root.join(dir))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    tests.sort();
    Ok(tests)
}
