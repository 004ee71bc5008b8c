//! `cargo xtask bench context`: context recall at a 2,048-token prompt budget (see
//! `lab::context_recall`): for functions of real packages, the share of the cross-file
//! definitions a removed body used that the built prompt contains, for gathered context and the
//! two baselines (BM25 over the prefix window, as CrossCodeEval retrieves; imported definitions,
//! as Continue does), side by side in one run.

use std::path::Path;

use anyhow::Result;

use crate::cmd;
use crate::packages::{self, Package, Source};

/// Evaluation-only packages with code that imports across files (Python relative and absolute
/// imports; TypeScript ES modules shipped as `.ts` sources). None of them is a training package
/// of `table.rs` or a tuning set of `corpus.rs`.
pub const PACKAGES: &[Package] = &[
    Package::new("httpcore", Source::PyPi("httpcore==1.0.5")),
    Package::new("anyio", Source::PyPi("anyio==4.4.0")),
    Package::new("trpc-server", Source::Npm("@trpc/server@10.45.2")),
    Package::new("query-core", Source::Npm("@tanstack/query-core@5.51.1")),
];

/// Each package's language, table name and source folder inside its unpacked archive.
const SOURCES: &[(&str, &str, &str)] = &[
    ("python", "httpcore", "httpcore/httpcore-1.0.5/httpcore"),
    ("python", "anyio", "anyio/anyio-4.4.0/src/anyio"),
    ("typescript", "@trpc/server", "trpc-server/package/src"),
    (
        "typescript",
        "@tanstack/query-core",
        "query-core/package/src",
    ),
];

pub fn run(root: &Path) -> Result<()> {
    let corpus = root.join(".cache/context-corpus");
    packages::ensure(&corpus, PACKAGES)?;
    println!(
        "\n## context recall at a 2,048-token budget ({})\n",
        corpus.display()
    );
    let mut command = cmd::cargo();
    command.args([
        "run",
        "--release",
        "-q",
        "-p",
        "pilotfish-lab",
        "--example",
        "context_recall",
        "--",
        "--budget",
        "2048",
    ]);
    for (language, name, folder) in SOURCES {
        command.arg(format!(
            "{language}:{name}={}",
            corpus.join(folder).display()
        ));
    }
    cmd::run(&mut command)
}
