//! Benchmark corpora: real packages at pinned versions, fetched from the package registries into
//! the ignored `.cache/corpus/` the first time a benchmark needs them, never committed.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::packages::{self, Package, Source};

/// The chunking/indexing corpus: Python, C, JavaScript, TypeScript and Go, all real code. The
/// docstring-query sets of `pilotfish eval --corpus` are extracted from these packages too, so
/// none of them may train anything (see `table.rs`'s test).
pub const PACKAGES: &[Package] = &[
    Package::new("requests", Source::PyPi("requests==2.32.3")),
    Package::new("ujson", Source::PyPi("ujson==5.10.0")),
    // A docstring-rich Python package for the docstring-query sets (lab's docstring module).
    Package::new("boltons", Source::PyPi("boltons==24.1.0")),
    Package::new("lodash", Source::Npm("lodash@4.17.21")),
    Package::new("rxjs", Source::Npm("rxjs@7.8.1")),
    Package::new(
        "testify",
        Source::Debian("golang-github-stretchr-testify-dev"),
    ),
];

/// Fetches (once) and returns the corpus folder, one sub-folder per package.
pub fn ensure(root: &Path) -> Result<PathBuf> {
    let corpus = root.join(".cache/corpus");
    packages::ensure(&corpus, PACKAGES)?;
    Ok(corpus)
}
