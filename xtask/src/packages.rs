//! Real packages at pinned versions, fetched from the package registries into an ignored folder
//! under `.cache/` the first time something needs them, never committed: the benchmark and
//! evaluation corpus (`corpus.rs`) and the static table's training code (`table.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cmd;

/// Where a pinned package comes from.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// A PyPI source distribution (`pip download --no-binary`), as `name==version`.
    PyPi(&'static str),
    /// An npm package tarball (`npm pack`), as `name@version`.
    Npm(&'static str),
    /// A Debian binary package that ships source files (Go libraries do), unpacked with `dpkg -x`.
    Debian(&'static str),
}

impl Source {
    /// The registry's name for the package, without its version (what the tests compare).
    #[cfg(test)]
    pub fn registry_name(self) -> &'static str {
        match self {
            Source::PyPi(spec) => spec.split("==").next().unwrap_or(spec),
            Source::Npm(spec) => match spec.rfind('@') {
                Some(at) if at > 0 => &spec[..at],
                _ => spec,
            },
            Source::Debian(package) => package,
        }
    }
}

/// A pinned package and the folder (below the cache folder) it is unpacked into.
#[derive(Debug, Clone, Copy)]
pub struct Package {
    pub folder: &'static str,
    pub source: Source,
}

impl Package {
    pub const fn new(folder: &'static str, source: Source) -> Self {
        Package { folder, source }
    }
}

/// Marks a folder whose package was downloaded and unpacked completely.
const DONE: &str = ".pilotfish-fetched";

/// Fetches every package once into `dir/<folder>/`. A package counts as present only when its
/// marker file exists, and the marker is written last, after the download produced an archive and
/// the archive unpacked into something: an interrupted or empty fetch is redone, never trusted.
pub fn ensure(dir: &Path, packages: &[Package]) -> Result<()> {
    for package in packages {
        let into = dir.join(package.folder);
        if into.join(DONE).exists() {
            continue;
        }
        let download = dir.join(format!(".download-{}", package.folder));
        let _ = std::fs::remove_dir_all(&download);
        let _ = std::fs::remove_dir_all(&into);
        std::fs::create_dir_all(&download)
            .with_context(|| format!("creating {}", download.display()))?;
        std::fs::create_dir_all(&into)?;
        fetch(package.source, &download, &into)
            .with_context(|| format!("fetching {:?}", package.source))?;
        if std::fs::read_dir(&into)?.next().is_none() {
            bail!(
                "{:?} unpacked nothing into {}",
                package.source,
                into.display()
            );
        }
        std::fs::remove_dir_all(&download)?;
        std::fs::write(into.join(DONE), "")?;
    }
    Ok(())
}

/// Downloads one package into `download` and unpacks its archives into `into`.
fn fetch(source: Source, download: &Path, into: &Path) -> Result<()> {
    let (mut fetch, suffix) = match source {
        Source::PyPi(spec) => {
            let mut pip = Command::new("python3");
            pip.args(["-m", "pip", "download", "-q", "--no-deps"])
                .args(["--no-binary", ":all:", spec, "-d"])
                .arg(download);
            (pip, "gz")
        }
        Source::Npm(spec) => {
            let mut npm = Command::new("npm");
            npm.args(["pack", "-q", spec]).current_dir(download);
            (npm, "gz")
        }
        Source::Debian(package) => {
            let mut apt = Command::new("apt-get");
            apt.args(["download", package]).current_dir(download);
            (apt, ".deb")
        }
    };
    cmd::run(&mut fetch)?;
    let archives = files_with_suffix(download, suffix)?;
    if archives.is_empty() {
        bail!(
            "the download left no *{suffix} archive in {}",
            download.display()
        );
    }
    for archive in archives {
        let mut unpack = match source {
            Source::Debian(_) => {
                let mut dpkg = Command::new("dpkg");
                dpkg.arg("-x").arg(&archive).arg(into);
                dpkg
            }
            Source::PyPi(_) | Source::Npm(_) => {
                let mut tar = Command::new("tar");
                tar.arg("xzf").arg(&archive).arg("-C").arg(into);
                tar
            }
        };
        cmd::run(&mut unpack)?;
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

#[cfg(test)]
mod tests {
    use super::Source;

    #[test]
    fn registry_names_drop_the_version() {
        assert_eq!(
            Source::PyPi("python-dateutil==2.9.0").registry_name(),
            "python-dateutil"
        );
        assert_eq!(Source::Npm("express@4.19.2").registry_name(), "express");
        assert_eq!(
            Source::Npm("@scope/pkg@1.0.0").registry_name(),
            "@scope/pkg"
        );
        assert_eq!(
            Source::Debian("golang-x-dev").registry_name(),
            "golang-x-dev"
        );
    }
}
