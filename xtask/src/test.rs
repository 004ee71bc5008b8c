//! `cargo xtask test`: everything CI checks, in the order that fails fastest.
//!
//! Clippy lints inside the builds the tests need instead of in `cargo check` runs of its own: the
//! builds go through `clippy-driver` as cargo's workspace wrapper (exactly how `cargo clippy`
//! drives `cargo check`), so every workspace crate is linted with `-D warnings` and compiled in
//! the same rustc run, and every dependency is compiled once, for the tests. A separate
//! `cargo clippy` would first type-check all ~360 dependencies for nothing but the lints
//! (BENCHMARKS.md, "CI time"). The wrapper is part of what cargo fingerprints, so a plain
//! `cargo test` afterwards recompiles the workspace crates (not the dependencies) once.
//! The lint covers what `cargo clippy --workspace --all-targets --all-features` covers natively
//! (lib, bins, tests, benches and examples, each in test mode too), and on wasm32 the facade's
//! every target and the engine's library.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{cmd, code_tokenizer, corpus, e2e_stack, serve, setup, vscode, wasm};

const WASM32: &str = "wasm32-unknown-unknown";

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
    let clippy = Clippy::find()?;

    step("rustfmt", &mut || {
        cmd::run(cmd::cargo().args(["fmt", "--all", "--", "--check"]))
    })?;
    let mut built = Vec::new();
    step("clippy + build (native)", &mut || {
        // `cargo build --all-targets` builds what `cargo clippy --all-targets` checks: every
        // target, and the lib and bins once more as unit tests. What the end-to-end step runs
        // comes from this one build: the `pilotfish` binary distills the static table, and the
        // proxy and the fake upstream (an example) serve the assistant's browser tests.
        built = cmd::built_executables(
            clippy.lint(cmd::cargo().args([
                "build",
                "--workspace",
                "--all-targets",
                "--all-features",
            ])),
            &[
                "pilotfish",
                "pilotfish-proxy",
                "fake_upstream",
                "pilotfish-local",
            ],
        )?;
        Ok(())
    })?;
    let (cli, proxy, fake_upstream, local) = (&built[0], &built[1], &built[2], &built[3]);
    step("clippy + build (wasm32)", &mut || {
        // The pure crates' tests run natively; on wasm32 their libraries must build and lint
        // clean with their default features, and the facade (with the engine features it
        // enables) in every target, browser tests included. The facade's build is the one the
        // wasm tests run.
        cmd::run(cmd::cargo().args([
            "clippy",
            "-p",
            "pilotfish-engine",
            "-p",
            "pilotfish-assist",
            "-p",
            "pilotfish-analysis",
            "--lib",
            "--target",
            WASM32,
            "--",
            "-D",
            "warnings",
        ]))?;
        cmd::run(clippy.lint(cmd::cargo().args([
            "build",
            "-p",
            "pilotfish-plugin-wasm",
            "--all-targets",
            "--target",
            WASM32,
        ])))
    })?;
    step("native tests", &mut || {
        // The token estimate's error is checked against a real code tokenizer on the corpus.
        let code_tokenizer = code_tokenizer::ensure(root)?;
        let corpus = corpus::ensure(root)?;
        cmd::run(
            clippy
                .lint(cmd::cargo().args(["test", "--workspace", "--all-features"]))
                .env("PILOTFISH_CODE_TOKENIZER", &code_tokenizer)
                .env("PILOTFISH_CORPUS_DIR", &corpus)
                .env("PILOTFISH_PYTHON", &tools.python)
                .env("PILOTFISH_MODEL_DIR", &tools.model_dir)
                .env("PILOTFISH_LOCAL_MODEL", &tools.local_model),
        )
    })?;
    step("wasm tests in headless Chromium", &mut || {
        cmd::run(
            clippy
                .lint(cmd::cargo().args([
                    "test",
                    "-p",
                    "pilotfish-plugin-wasm",
                    "--target",
                    WASM32,
                ]))
                .env("CHROMEDRIVER", "/usr/bin/chromedriver"),
        )
    })?;
    step("build-wasm", &mut || {
        wasm::build(root)?;
        wasm::build_package(root, wasm::Package::Assistant)?;
        // The local model in the tab (tests/e2e/in-tab-model.test.mjs).
        wasm::build_package(root, wasm::Package::Llm)?;
        wasm::check_budget(root)
    })?;
    step("browser end-to-end (Playwright)", &mut || {
        // The chunk viewer's search test embeds with the static table and fails without it (the
        // hashed fallback has a test of its own), so a table that cannot be built fails here,
        // with the reason, rather than in the browser.
        serve::publish_table(root, Some(cli))
            .context("publishing the static table for the end-to-end tests")?;
        // The demo page's sample project (tests/e2e/demo.test.mjs opens it).
        serve::sample::ensure(root)?;
        let server = serve::start_static(root, 0)?;
        let stack = e2e_stack::start(fake_upstream, proxy, &root.join("target/e2e"))?;
        let tests = node_tests(root, "tests/e2e")?;
        if tests.is_empty() {
            bail!("no end-to-end tests found in tests/e2e");
        }
        cmd::run(
            Command::new("node")
                .arg("--test")
                // One file at a time: the assistant, Monaco, demo and sandbox tests script the one
                // fake upstream, so two files at once would answer each other's requests.
                .arg("--test-concurrency=1")
                .args(&tests)
                .env("PILOTFISH_DEMO_URL", &server.url)
                .env("PILOTFISH_E2E_PROXY", &stack.proxy)
                .env("PILOTFISH_E2E_CONTROL", &stack.control)
                .env("PILOTFISH_E2E_TOKEN", e2e_stack::TOKEN)
                // The in-tab model's test compares its answer with the native server's.
                .env("PILOTFISH_LOCAL_BIN", local)
                .env("PILOTFISH_LOCAL_MODEL", &tools.local_model),
        )
    })?;
    step("VS Code web extension in code-server", &mut || {
        // Its own proxy and fake upstream, so the counts it reads are its own.
        let stack = e2e_stack::start(fake_upstream, proxy, &root.join("target/e2e-vscode"))?;
        vscode::run_test(root, &stack)
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

/// The toolchain's `clippy-driver`, for linting inside cargo builds.
struct Clippy {
    driver: PathBuf,
}

impl Clippy {
    fn find() -> Result<Self> {
        let sysroot = cmd::output("rustc", &["--print", "sysroot"]).unwrap_or_default();
        let driver = Path::new(&sysroot).join("bin/clippy-driver");
        if !driver.is_file() {
            bail!(
                "no clippy-driver in the toolchain ({}): `rustup component add clippy`",
                driver.display()
            );
        }
        Ok(Clippy { driver })
    }

    /// Makes a cargo build or test command lint like `cargo clippy -- -D warnings`: cargo hands
    /// every workspace crate to `clippy-driver` (dependencies still go to plain rustc), and the
    /// driver reads its own arguments from `CLIPPY_ARGS`, each followed by the separator
    /// `cargo clippy` uses. Every command of one run sets the same two variables, so cargo sees
    /// the same compiler for the workspace crates and a later step rebuilds nothing.
    fn lint<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command.env("RUSTC_WORKSPACE_WRAPPER", &self.driver).env(
            "CLIPPY_ARGS",
            "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
        )
    }
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
