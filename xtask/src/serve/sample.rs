//! The demo's sample project: a small real package at a pinned version, fetched from its registry
//! into the ignored `.cache/sample/` (never committed), plus the `files.json` the page reads to
//! list it. The static server mounts the folder at `/sample/`.
//!
//! requests is the sample because it is small (18 modules, about 5,600 lines), readable, and
//! known to everyone who would try the demo, so search and chat answers are easy to judge.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::packages::{self, Package, Source};

const PACKAGE: Package = Package::new("requests", Source::PyPi("requests==2.32.3"));
/// The package's import root inside the unpacked sdist, relative to the cache folder: the
/// engine's paths start below it (`requests/api.py`), as they would in the person's checkout.
const SOURCE_ROOT: &str = "requests/requests-2.32.3/src";

/// Fetches the package once, writes `.cache/sample/files.json` and returns the folder.
pub fn ensure(root: &Path) -> Result<PathBuf> {
    let dir = root.join(".cache/sample");
    packages::ensure(&dir, &[PACKAGE])?;
    let source = dir.join(SOURCE_ROOT);
    let mut files = Vec::new();
    collect(&source, &source, &mut files)?;
    if files.is_empty() {
        bail!(
            "the sample project in {} has no Python files",
            source.display()
        );
    }
    files.sort();
    let listing = serde_json::json!({
        "package": "requests",
        "version": "2.32.3",
        "registry": "PyPI",
        "base": format!("{SOURCE_ROOT}/"),
        "files": files,
    });
    // Written beside and renamed, so a page loading meanwhile never reads half a listing.
    let partial = dir.join(".files.json.partial");
    std::fs::write(&partial, serde_json::to_vec_pretty(&listing)?)?;
    std::fs::rename(&partial, dir.join("files.json"))?;
    Ok(dir)
}

/// The `.py` files below `dir`, as `/`-separated paths relative to `base`.
fn collect(base: &Path, dir: &Path, into: &mut Vec<String>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect(base, &path, into)?;
        } else if path.extension().is_some_and(|e| e == "py") {
            let relative = path.strip_prefix(base)?;
            let parts: Vec<_> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            into.push(parts.join("/"));
        }
    }
    Ok(())
}
