//! The static token-embedding table the browser demo and the benchmarks load: built once from the
//! MiniLM model with the release `pilotfish` CLI into the ignored `.cache/embed/`, then reused.
//!
//! `ensure` returns the plain distilled table (a couple of minutes to build on 2 cores).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::{cmd, model};

/// The plain distilled table: every vocabulary token through MiniLM alone, SIF-weighted, centred.
const PLAIN: &str = "minilm-static.pfst";

/// Returns the path of the best static table in `.cache/embed/`, building it when missing.
/// Idempotent: an existing table is returned at once. The table is written under a temporary
/// name and renamed, so an interrupted build never leaves a file a later run would trust.
#[allow(dead_code)] // the demo and the Chromium bench call it; they are being wired in parallel
pub fn ensure(root: &Path) -> Result<PathBuf> {
    let dir = root.join(".cache/embed");
    let table = dir.join(PLAIN);
    if table.is_file() {
        return Ok(table);
    }
    let model = model::ensure_model(root)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let partial = dir.join(format!("{PLAIN}.partial"));
    eprintln!("distilling the static token table from MiniLM (a few minutes, once)");
    cmd::run(
        cmd::cargo()
            .args([
                "run",
                "--release",
                "-q",
                "-p",
                "pilotfish-cli",
                "--",
                "distill",
                "--model",
            ])
            .arg(&model)
            .arg("--out")
            .arg(&partial)
            .arg("--raw-cache")
            .arg(dir.join("minilm-static.raw")),
    )?;
    std::fs::rename(&partial, &table)
        .with_context(|| format!("renaming {} to {}", partial.display(), table.display()))?;
    Ok(table)
}
