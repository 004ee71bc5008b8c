//! Installs every tool the demo and the tests need, idempotently: each step first checks whether
//! its tool is already present (at the right version) and returns at once when it is, so a warm
//! machine pays a few hundred milliseconds.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cmd;

/// The `openai` Python SDK version the compatibility test runs against.
const OPENAI_SDK: &str = "openai==3.57.0";

/// What setup produced that later steps need.
#[derive(Debug)]
pub struct Tools {
    /// Python interpreter of the venv holding the `openai` SDK.
    pub python: PathBuf,
    /// Folder holding all-MiniLM-L6-v2 (safetensors, config, tokenizer) for the local embedders.
    pub model_dir: PathBuf,
    /// SmolLM2-135M-Instruct (Q4_1 GGUF), the model `pilotfish-local` serves with no provider key.
    pub local_model: PathBuf,
}

pub fn all(root: &Path) -> Result<Tools> {
    apt_packages()?;
    wasm_target()?;
    wasm_bindgen_cli(root)?;
    node_packages(root)?;
    let python = python_venv(root)?;
    let model_dir = crate::model::ensure_model(root)?;
    let local_model = crate::local_model::ensure(root)?;
    Ok(Tools {
        python,
        model_dir,
        local_model,
    })
}

/// Debian packages, checked by the binary each provides.
fn apt_packages() -> Result<()> {
    let wanted = [
        ("clang", "clang"),
        ("chromium", "chromium"),
        ("chromedriver", "chromium-driver"),
        ("redis-server", "redis-server"),
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(bin, _)| !cmd::exists(bin))
        .map(|(_, pkg)| *pkg)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let as_root = cmd::output("id", &["-u"]).as_deref() == Some("0");
    let apt = |args: &[&str]| -> Command {
        let mut command = if as_root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.arg("apt-get");
            sudo
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        command
    };
    cmd::run(&mut apt(&["update", "-q"]))?;
    let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"]);
    install.args(&missing);
    cmd::run(&mut install)
}

fn wasm_target() -> Result<()> {
    let installed = cmd::output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    cmd::run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The wasm-bindgen version in Cargo.lock; the CLI must match it exactly.
pub fn wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_string());
        }
    }
    bail!("wasm-bindgen not found in Cargo.lock")
}

fn wasm_bindgen_cli(root: &Path) -> Result<()> {
    let version = wasm_bindgen_version(root)?;
    let current = cmd::output("wasm-bindgen", &["--version"]).unwrap_or_default();
    let runner = cmd::exists("wasm-bindgen-test-runner");
    if current.split_whitespace().nth(1) == Some(version.as_str()) && runner {
        return Ok(());
    }
    // Without --locked: with it, resolution fails against this registry's mirror (TOOLCHAIN.md).
    cmd::run(cmd::cargo().args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &version,
        "--force",
    ]))
}

/// `npm ci` from the root lock file, skipped when node_modules was installed from the same lock.
fn node_packages(root: &Path) -> Result<()> {
    let lock_path = root.join("package-lock.json");
    if !lock_path.exists() {
        return Ok(());
    }
    let stamp = root.join("node_modules/.pilotfish-lock-hash");
    let hash = content_hash(&[&std::fs::read(&lock_path)?]);
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(hash.as_str()) {
        return Ok(());
    }
    cmd::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            .current_dir(root),
    )?;
    std::fs::write(&stamp, hash)?;
    Ok(())
}

/// A venv in `.cache/venv` with the `openai` SDK, for the proxy's SDK compatibility test.
fn python_venv(root: &Path) -> Result<PathBuf> {
    let venv = root.join(".cache/venv");
    let python = venv.join("bin/python");
    let wanted = OPENAI_SDK.trim_start_matches("openai==");
    let installed = || {
        let python = python.to_string_lossy();
        cmd::output(
            &python,
            &[
                "-c",
                "import importlib.metadata as m; print(m.version('openai'))",
            ],
        )
    };
    if python.exists() && installed().as_deref() == Some(wanted) {
        return Ok(python);
    }
    if !python.exists() {
        cmd::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    cmd::run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        OPENAI_SDK,
    ]))?;
    Ok(python)
}

fn content_hash(parts: &[&[u8]]) -> String {
    let mut hasher = DefaultHasher::new();
    parts.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}
