//! Benchmark corpora: real packages at pinned versions, fetched from the package registries into
//! the ignored `.cache/corpus/` the first time a benchmark needs them, never committed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::cmd;

/// Where a pinned package comes from.
enum Source {
    /// A PyPI source distribution (`pip download --no-binary`).
    PyPi(&'static str),
    /// An npm package tarball (`npm pack`).
    Npm(&'static str),
    /// A Debian binary package that ships source files (Go libraries do), unpacked with `dpkg -x`.
    Debian(&'static str),
}

/// The chunking/indexing corpus: Python, C, JavaScript, TypeScript and Go, all real code. The
/// docstring-query sets of `pilotfish eval --corpus` are extracted from these packages too.
const PACKAGES: &[(&str, Source)] = &[
    ("requests", Source::PyPi("requests==2.32.3")),
    ("ujson", Source::PyPi("ujson==5.10.0")),
    // A docstring-rich Python package for the docstring-query sets (engine::search::docstring);
    // not one the static table is trained on (those live in .cache/train/).
    ("boltons", Source::PyPi("boltons==24.1.0")),
    ("lodash", Source::Npm("lodash@4.17.21")),
    ("rxjs", Source::Npm("rxjs@7.8.1")),
    (
        "testify",
        Source::Debian("golang-github-stretchr-testify-dev"),
    ),
];

/// Fetches (once) and returns the corpus folder, one sub-folder per package.
pub fn ensure(root: &Path) -> Result<PathBuf> {
    let corpus = root.join(".cache/corpus");
    for (name, source) in PACKAGES {
        let dir = corpus.join(name);
        let done = dir.join(".pilotfish-fetched");
        if done.exists() {
            continue;
        }
        let download = corpus.join(format!(".download-{name}"));
        let _ = std::fs::remove_dir_all(&download);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&download)?;
        std::fs::create_dir_all(&dir)?;
        match source {
            Source::PyPi(spec) => {
                cmd::run(
                    Command::new("python3")
                        .args([
                            "-m",
                            "pip",
                            "download",
                            "-q",
                            "--no-deps",
                            "--no-binary",
                            ":all:",
                            spec,
                            "-d",
                        ])
                        .arg(&download),
                )?;
                unpack_tarballs(&download, &dir)?;
            }
            Source::Npm(spec) => {
                cmd::run(
                    Command::new("npm")
                        .args(["pack", "-q", spec])
                        .current_dir(&download),
                )?;
                unpack_tarballs(&download, &dir)?;
            }
            Source::Debian(package) => {
                cmd::run(
                    Command::new("apt-get")
                        .args(["download", package])
                        .current_dir(&download),
                )?;
                for deb in files_with_suffix(&download, ".deb")? {
                    cmd::run(Command::new("dpkg").arg("-x").arg(&deb).arg(&dir))?;
                }
            }
        }
        std::fs::remove_dir_all(&download)?;
        std::fs::write(&done, "")?;
    }
    Ok(corpus)
}

fn unpack_tarballs(from: &Path, into: &Path) -> Result<()> {
    for tarball in files_with_suffix(from, "gz")? {
        cmd::run(
            Command::new("tar")
                .arg("xzf")
                .arg(&tarball)
                .arg("-C")
                .arg(into),
        )?;
    }
    Ok(())
}

fn files_with_suffix(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.to_string_lossy().ends_with(suffix) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
