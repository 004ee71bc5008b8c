//! The files `scan`, `diagnose` and `redact` read: command-line paths walked (folders honour
//! .gitignore; hidden files are included, `.git` is not), and each file read as text or refused
//! with a one-line reason. A file named on the command line that cannot be handled is an error
//! the command reports; one found by walking a folder is skipped quietly, since a folder holds
//! images and data as a matter of course.

use std::path::{Path, PathBuf};

/// Files above this size are not source: generated data, bundles, dumps.
pub const MAX_BYTES: u64 = 8 * 1024 * 1024;

/// One file to process.
pub struct SourceFile {
    pub path: PathBuf,
    /// Named on the command line (not found by walking a folder).
    pub explicit: bool,
}

/// Why a file was not processed.
#[derive(Debug)]
pub enum Refused {
    Unreadable(String),
    Binary,
    TooLarge,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Unreadable(why) => write!(f, "unreadable: {why}"),
            Refused::Binary => f.write_str("binary file"),
            Refused::TooLarge => write!(f, "larger than {} MiB", MAX_BYTES >> 20),
        }
    }
}

/// Every file under `paths`, in path order per argument; walking errors come back as lines for
/// stderr.
pub fn walk(paths: &[PathBuf]) -> (Vec<SourceFile>, Vec<String>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
        if !root.exists() {
            errors.push(format!("{}: no such file or folder", root.display()));
            continue;
        }
        let explicit = root.is_file();
        let walk = ignore::WalkBuilder::new(root)
            .hidden(false)
            .filter_entry(|e| e.file_name() != ".git")
            .sort_by_file_path(Path::cmp)
            .build();
        for entry in walk {
            match entry {
                Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                    files.push(SourceFile {
                        path: entry.into_path(),
                        explicit,
                    });
                }
                Ok(_) => {}
                Err(error) => errors.push(format!("{}: {error}", root.display())),
            }
        }
    }
    (files, errors)
}

/// The file's text (invalid UTF-8 replaced), or why it was not read.
pub fn read_text(path: &Path) -> Result<String, Refused> {
    let size = std::fs::metadata(path)
        .map_err(|e| Refused::Unreadable(e.to_string()))?
        .len();
    if size > MAX_BYTES {
        return Err(Refused::TooLarge);
    }
    let bytes = std::fs::read(path).map_err(|e| Refused::Unreadable(e.to_string()))?;
    // Git's test: a NUL in the first 8 KiB.
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(Refused::Binary);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
