//! Finding and loading the local MiniLM model for `index`, `search` and `eval`: an explicit
//! `--model DIR` (or `PILOTFISH_MODEL_DIR`) wins, else the folder the README's set-up
//! (`cargo xtask model`) unpacks under the current directory.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use engine::embed::minilm::{MiniLm, MiniLmConfig};

/// Where `cargo xtask model` puts the weights, relative to the project root.
pub const DEFAULT_MODEL_DIR: &str = ".cache/models/all-MiniLM-L6-v2";

/// The model folder to use: `explicit` when given, else [`DEFAULT_MODEL_DIR`] when it holds
/// weights, else `None`.
pub fn resolve_model_dir(explicit: Option<&Path>) -> Option<PathBuf> {
    match explicit {
        Some(dir) => Some(dir.to_path_buf()),
        None => {
            let dir = PathBuf::from(DEFAULT_MODEL_DIR);
            dir.join("model.safetensors").is_file().then_some(dir)
        }
    }
}

/// Loads the transformer from `model.safetensors`, `config.json` and `tokenizer.json` in `dir`.
pub fn load_minilm(dir: &Path) -> Result<MiniLm> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
    };
    MiniLm::from_bytes(
        &read("model.safetensors")?,
        &read("config.json")?,
        &read("tokenizer.json")?,
        MiniLmConfig::default(),
    )
    .with_context(|| format!("loading the model in {}", dir.display()))
}
