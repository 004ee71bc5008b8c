//! The static token-embedding table the browser demo and the benchmarks load: built once from the
//! MiniLM model with the release `pilotfish` CLI into the ignored `.cache/embed/`, then reused.
//!
//! `ensure` returns the plain distilled table (a couple of minutes to build on 2 cores), or, with
//! `PILOTFISH_TABLE=fitted`, the table fitted to the transformer on a training corpus (better
//! quality, but the teacher embeds ~37k texts: about an hour on 2 contended cores, resumable).
//! The fitted table is opt-in because a fresh `cargo xtask demo` must stay within minutes.
//!
//! Training packages are pinned and fetched from PyPI / npm into the ignored `.cache/train/`.
//! They must stay disjoint from every evaluation set: not CoSQA, not `corpus.rs`'s packages.

use std::path::{Path, PathBuf};

use std::process::Command;

use anyhow::{Context, Result};

use crate::{cmd, model};

/// The plain distilled table: every vocabulary token through MiniLM alone, SIF-weighted, centred.
const PLAIN: &str = "minilm-static.pfst";

/// The fitted table: `PLAIN`'s rows fitted to MiniLM's vectors of the training texts, then
/// re-weighted by SIF with token counts from those texts.
const FITTED: &str = "minilm-fitted.pfst";

/// Training packages: well-known pure-Python and JavaScript code with docstrings, pinned.
const TRAIN_PYPI: &[&str] = &[
    "click==8.1.7",
    "flask==3.0.3",
    "attrs==23.2.0",
    "jinja2==3.1.4",
    "rich==13.7.1",
    "werkzeug==3.0.3",
    "httpx==0.27.0",
    "more-itertools==10.3.0",
    "marshmallow==3.21.3",
    "toolz==0.12.1",
    "python-dateutil==2.9.0.post0",
    "networkx==3.3",
];
const TRAIN_NPM: &[&str] = &[
    "express@4.19.2",
    "commander@12.1.0",
    "axios@1.7.2",
    "moment@2.30.1",
    "yargs@17.7.2",
    "async@3.2.5",
];

/// Returns the path of the best static table in `.cache/embed/`, building it when missing.
/// Idempotent: an existing table is returned at once. The table is written under a temporary
/// name and renamed, so an interrupted build never leaves a file a later run would trust.
#[allow(dead_code)] // the demo and the Chromium bench call it; they are being wired in parallel
///
/// `cli` is a `pilotfish` binary already built with the workspace's test features (what
/// `cargo xtask test` has at hand); without it the plain table is distilled through `cargo run`,
/// which after a `cargo test --workspace --all-features` rebuilds candle and the engine with
/// other features: minutes of CI time for the same program.
pub fn ensure(root: &Path, cli: Option<&Path>) -> Result<PathBuf> {
    let dir = root.join(".cache/embed");
    let plain = ensure_plain(root, &dir, cli)?;
    if std::env::var("PILOTFISH_TABLE").as_deref() != Ok("fitted") {
        return Ok(plain);
    }
    let table = dir.join(FITTED);
    if table.is_file() {
        return Ok(table);
    }
    let model = model::ensure_model(root)?;
    let train = ensure_training_corpus(root)?;
    let partial = dir.join(format!("{FITTED}.partial"));
    eprintln!("fitting the static table to MiniLM (long: the teacher embeds every training text)");
    let mut command = cmd::cargo();
    command
        .args([
            "run",
            "--release",
            "-q",
            "-p",
            "pilotfish-cli",
            "--",
            "fit-table",
            "--reweight",
            "1e-3",
            "--model",
        ])
        .arg(&model)
        .arg("--out")
        .arg(&partial)
        .arg("--raw-cache")
        .arg(dir.join("minilm-static.raw"));
    // Sorted by name: the teacher cache is keyed by the ordered text list.
    let mut names: Vec<&str> = training_packages().map(|(name, _)| name).collect();
    names.sort_unstable();
    for name in names {
        command.arg("--corpus").arg(train.join(name));
    }
    cmd::run(&mut command)?;
    std::fs::rename(&partial, &table)
        .with_context(|| format!("renaming {} to {}", partial.display(), table.display()))?;
    Ok(table)
}

fn ensure_plain(root: &Path, dir: &Path, cli: Option<&Path>) -> Result<PathBuf> {
    let table = dir.join(PLAIN);
    if table.is_file() {
        return Ok(table);
    }
    let model = model::ensure_model(root)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let partial = dir.join(format!("{PLAIN}.partial"));
    eprintln!("distilling the static token table from MiniLM (a few minutes, once)");
    // A dev build on purpose: the workspace compiles candle, tokenizers and the engine at
    // opt-level 2 in dev, so the distillation runs about as fast as in release, while a release
    // build with LTO would add ~10 minutes to a fresh `cargo xtask test` or `demo`.
    let mut command = match cli {
        Some(binary) => Command::new(binary),
        None => {
            let mut cargo = cmd::cargo();
            cargo.args(["run", "-q", "-p", "pilotfish-cli", "--"]);
            cargo
        }
    };
    command
        .args(["distill", "--model"])
        .arg(&model)
        .arg("--out")
        .arg(&partial)
        .arg("--raw-cache")
        .arg(dir.join("minilm-static.raw"));
    cmd::run(&mut command)?;
    std::fs::rename(&partial, &table)
        .with_context(|| format!("renaming {} to {}", partial.display(), table.display()))?;
    Ok(table)
}

/// `(folder name, registry spec)` of every training package, in a fixed order.
fn training_packages() -> impl Iterator<Item = (&'static str, &'static str)> {
    let pypi = TRAIN_PYPI
        .iter()
        .map(|s| (s.split("==").next().unwrap_or(s), *s));
    let npm = TRAIN_NPM
        .iter()
        .map(|s| (s.split('@').next().unwrap_or(s), *s));
    pypi.chain(npm)
}

/// Fetches (once) every training package into `.cache/train/<name>/`; a marker file says a
/// package is complete, so an interrupted fetch is redone rather than trusted.
fn ensure_training_corpus(root: &Path) -> Result<PathBuf> {
    let train = root.join(".cache/train");
    for (name, spec) in training_packages() {
        let dir = train.join(name);
        if dir.join(".pilotfish-fetched").exists() {
            continue;
        }
        let download = train.join(format!(".download-{name}"));
        let _ = std::fs::remove_dir_all(&download);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&download)?;
        std::fs::create_dir_all(&dir)?;
        if TRAIN_PYPI.contains(&spec) {
            cmd::run(
                Command::new("python3")
                    .args(["-m", "pip", "download", "-q", "--no-deps"])
                    .args(["--no-binary", ":all:", spec, "-d"])
                    .arg(&download),
            )?;
        } else {
            cmd::run(
                Command::new("npm")
                    .args(["pack", "-q", spec])
                    .current_dir(&download),
            )?;
        }
        for entry in std::fs::read_dir(&download)? {
            let tarball = entry?.path();
            if tarball.to_string_lossy().ends_with("gz") {
                cmd::run(
                    Command::new("tar")
                        .arg("xzf")
                        .arg(&tarball)
                        .arg("-C")
                        .arg(&dir),
                )?;
            }
        }
        std::fs::remove_dir_all(&download)?;
        std::fs::write(dir.join(".pilotfish-fetched"), "")?;
    }
    Ok(train)
}
