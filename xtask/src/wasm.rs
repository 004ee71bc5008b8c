//! Building the browser package `plugin-wasm/pkg`: cargo (wasm32, size-optimised profile) →
//! wasm-bindgen `--target web` → npm binaryen's `wasm-opt -Oz` (Debian's binaryen 108 produces
//! modules that crash at init, see TOOLCHAIN.md).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::cmd;

/// Sizes of the optimised module.
#[derive(Debug, Clone, Copy)]
pub struct WasmSize {
    pub raw: usize,
    pub gzip: usize,
}

/// Builds the package into `plugin-wasm/pkg` and returns the `.wasm`'s size.
pub fn build(root: &Path) -> Result<WasmSize> {
    cmd::run(cmd::cargo().args([
        "build",
        "-p",
        "pilotfish-plugin-wasm",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]))?;
    let built = root.join("target/wasm32-unknown-unknown/wasm-release/plugin_wasm.wasm");
    let pkg = root.join("plugin-wasm/pkg");
    cmd::run(
        Command::new("wasm-bindgen")
            .args(["--target", "web", "--out-dir"])
            .arg(&pkg)
            .arg(&built),
    )?;
    let module = pkg.join("plugin_wasm_bg.wasm");
    let wasm_opt = wasm_opt(root)?;
    cmd::run(
        Command::new(&wasm_opt)
            .arg("-Oz")
            .arg("--strip-debug")
            .arg("--strip-producers")
            .arg(&module)
            .arg("-o")
            .arg(&module),
    )?;
    let size = measure(&module)?;
    println!(
        "plugin-wasm/pkg/plugin_wasm_bg.wasm: {} raw, {} gzipped",
        human(size.raw),
        human(size.gzip)
    );
    Ok(size)
}

fn wasm_opt(root: &Path) -> Result<PathBuf> {
    let path = root.join("node_modules/.bin/wasm-opt");
    if !path.exists() {
        bail!(
            "{} is missing: run `cargo xtask setup` (npm ci installs binaryen)",
            path.display()
        );
    }
    Ok(path)
}

pub fn measure(module: &Path) -> Result<WasmSize> {
    let bytes = std::fs::read(module).with_context(|| format!("reading {}", module.display()))?;
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&bytes)?;
    Ok(WasmSize {
        raw: bytes.len(),
        gzip: encoder.finish()?.len(),
    })
}

pub fn human(bytes: usize) -> String {
    format!("{:.2} MB", bytes as f64 / 1_000_000.0)
}
