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

use crate::packages::{self, Package, Source};
use crate::{cmd, model};

/// The plain distilled table: every vocabulary token through MiniLM alone, SIF-weighted, centred.
const PLAIN: &str = "minilm-static.pfst";

/// The fitted table: `PLAIN`'s rows fitted to MiniLM's vectors of the training texts, then
/// re-weighted by SIF with token counts from those texts.
const FITTED: &str = "minilm-fitted.pfst";

/// Training packages: well-known pure-Python and JavaScript code with docstrings, pinned, each in
/// `.cache/train/<folder>/`.
const TRAINING: &[Package] = &[
    Package::new("click", Source::PyPi("click==8.1.7")),
    Package::new("flask", Source::PyPi("flask==3.0.3")),
    Package::new("attrs", Source::PyPi("attrs==23.2.0")),
    Package::new("jinja2", Source::PyPi("jinja2==3.1.4")),
    Package::new("rich", Source::PyPi("rich==13.7.1")),
    Package::new("werkzeug", Source::PyPi("werkzeug==3.0.3")),
    Package::new("httpx", Source::PyPi("httpx==0.27.0")),
    Package::new("more-itertools", Source::PyPi("more-itertools==10.3.0")),
    Package::new("marshmallow", Source::PyPi("marshmallow==3.21.3")),
    Package::new("toolz", Source::PyPi("toolz==0.12.1")),
    Package::new(
        "python-dateutil",
        Source::PyPi("python-dateutil==2.9.0.post0"),
    ),
    Package::new("networkx", Source::PyPi("networkx==3.3")),
    Package::new("express", Source::Npm("express@4.19.2")),
    Package::new("commander", Source::Npm("commander@12.1.0")),
    Package::new("axios", Source::Npm("axios@1.7.2")),
    Package::new("moment", Source::Npm("moment@2.30.1")),
    Package::new("yargs", Source::Npm("yargs@17.7.2")),
    Package::new("async", Source::Npm("async@3.2.5")),
];

/// Returns the path of the best static table in `.cache/embed/`, building it when missing.
/// Idempotent: an existing table is returned at once. The table is written under a temporary
/// name and renamed, so an interrupted build never leaves a file a later run would trust.
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
    let mut command = cmd::pilotfish(cmd::Build::Release);
    command
        .args(["fit-table", "--reweight", "1e-3", "--model"])
        .arg(&model)
        .arg("--out")
        .arg(&partial)
        .arg("--raw-cache")
        .arg(dir.join("minilm-static.raw"));
    // Sorted by name: the teacher cache is keyed by the ordered text list.
    let mut names: Vec<&str> = TRAINING.iter().map(|p| p.folder).collect();
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
        None => cmd::pilotfish(cmd::Build::Dev),
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

/// Fetches (once) every training package into `.cache/train/<folder>/`.
fn ensure_training_corpus(root: &Path) -> Result<PathBuf> {
    let train = root.join(".cache/train");
    packages::ensure(&train, TRAINING)?;
    Ok(train)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::TRAINING;
    use crate::corpus;
    use crate::packages::Package;

    /// Names that could denote the same project: folders and registry names, lower-cased, with
    /// `_` and `.` read as `-` (PyPI treats them alike).
    fn names(packages: &[Package]) -> BTreeSet<String> {
        let normal = |name: &str| name.to_lowercase().replace(['_', '.'], "-");
        packages
            .iter()
            .flat_map(|p| [normal(p.folder), normal(p.source.registry_name())])
            .collect()
    }

    /// The invariant ARCHITECTURE.md states: no evaluation data trains the static table. The
    /// docstring-query sets are extracted from the corpus packages, so the table is fitted on none
    /// of them.
    #[test]
    fn training_packages_are_not_evaluation_packages() {
        let training = names(TRAINING);
        let evaluation = names(corpus::PACKAGES);
        assert!(!training.is_empty() && !evaluation.is_empty());
        let shared: Vec<&String> = training.intersection(&evaluation).collect();
        assert!(
            shared.is_empty(),
            "packages both trained on and evaluated on: {shared:?}"
        );
    }

    /// Each package has its own folder, so no fetch overwrites another.
    #[test]
    fn folders_are_distinct() {
        let folders: BTreeSet<&str> = TRAINING
            .iter()
            .chain(corpus::PACKAGES)
            .map(|p| p.folder)
            .collect();
        assert_eq!(folders.len(), TRAINING.len() + corpus::PACKAGES.len());
    }
}
