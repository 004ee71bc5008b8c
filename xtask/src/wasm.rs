//! Building the browser packages: cargo (wasm32, size-optimised profile) → wasm-bindgen
//! `--target web` → npm binaryen's `wasm-opt -Oz` (Debian's binaryen 108 produces modules that
//! crash at init, see TOOLCHAIN.md). `plugin-wasm/pkg` is the default package (hashed embedder and
//! static table); `plugin-wasm/pkg-model` adds the MiniLM transformer (feature `local-model`) for
//! hosts that want the model itself in the tab and can afford the larger download;
//! `plugin-wasm/pkg-assistant` adds the assistant (feature `assistant`), which would take the default
//! package past its 2.5 MB gzipped budget (BENCHMARKS.md); `plugin-wasm/pkg-llm` is the local
//! language model (feature `llm`; the engine comes along, the facade links it), built for speed
//! rather than size.

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

/// Which package to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Package {
    /// `plugin-wasm/pkg`: hashed embedder and static table.
    Default,
    /// `plugin-wasm/pkg-model`: also the MiniLM transformer.
    Model,
    /// `plugin-wasm/pkg-assistant`: also the assistant (`buildPrompt`, `complete`, `chat`, ...).
    Assistant,
    /// `plugin-wasm/pkg-llm`: also the local language model (`LocalModel`), which the Web Worker
    /// in `plugin-wasm/llm-worker/` runs.
    Llm,
}

impl Package {
    pub fn dir(self) -> &'static str {
        match self {
            Package::Default => "plugin-wasm/pkg",
            Package::Model => "plugin-wasm/pkg-model",
            Package::Assistant => "plugin-wasm/pkg-assistant",
            Package::Llm => "plugin-wasm/pkg-llm",
        }
    }

    /// The cargo profile, and the matching `wasm-opt` level. The model is compute-bound: its
    /// package is compiled for speed (opt-level 3), the others for size. `wasm-opt -O1` for
    /// the model: `-O3` measured the same tokens/s (decode 51.0 vs 50.5, prefill 108 vs 106,
    /// BENCHMARKS.md "In the tab") for 113 s of CPU instead of 31 s in every CI run.
    fn profile(self) -> (&'static str, &'static str) {
        match self {
            Package::Llm => ("wasm-llm", "-O1"),
            _ => ("wasm-release", "-Oz"),
        }
    }
}

/// Builds the default package into `plugin-wasm/pkg` and returns the `.wasm`'s size.
pub fn build(root: &Path) -> Result<WasmSize> {
    build_package(root, Package::Default)
}

/// Builds one package and returns the optimised `.wasm`'s size.
pub fn build_package(root: &Path, package: Package) -> Result<WasmSize> {
    let (profile, opt_level) = package.profile();
    let mut cargo = cmd::cargo();
    cargo.args([
        "build",
        "-p",
        "pilotfish-plugin-wasm",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        profile,
        // The crate's default features are what its tests cover; each package names its own.
        "--no-default-features",
    ]);
    match package {
        Package::Default => {}
        Package::Model => {
            cargo.args(["--features", "local-model"]);
        }
        Package::Assistant => {
            cargo.args(["--features", "assistant"]);
        }
        Package::Llm => {
            cargo.args(["--features", "llm"]);
        }
    }
    cmd::run(&mut cargo)?;
    let built = target_dir(root)
        .join("wasm32-unknown-unknown")
        .join(profile)
        .join("plugin_wasm.wasm");
    let pkg = root.join(package.dir());
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
            .arg(opt_level)
            .arg("--strip-debug")
            .arg("--strip-producers")
            .arg(&module)
            .arg("-o")
            .arg(&module),
    )?;
    let size = measure(&module)?;
    println!(
        "{}/plugin_wasm_bg.wasm: {} raw, {} gzipped",
        package.dir(),
        human(size.raw),
        human(size.gzip)
    );
    Ok(size)
}

/// Where cargo puts build outputs: `CARGO_TARGET_DIR` when set (so builds in a private target
/// dir are found), else `target/`.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_relative() {
                root.join(dir)
            } else {
                dir
            }
        })
        .unwrap_or_else(|| root.join("target"))
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

/// The default package's download budget: module plus JS glue, gzipped (BENCHMARKS.md).
pub const BUDGET_GZIP_BYTES: usize = 2_500_000;

/// What a page downloads for a package: its `.wasm` and its JS glue (`plugin_wasm.js` and the
/// snippets wasm-bindgen copies beside it), each gzipped on its own as a server sends them.
pub fn download_size(root: &Path, package: Package) -> Result<WasmSize> {
    let dir = root.join(package.dir());
    let mut files = vec![dir.join("plugin_wasm_bg.wasm"), dir.join("plugin_wasm.js")];
    let snippets = dir.join("snippets");
    if snippets.is_dir() {
        let mut stack = vec![snippets];
        while let Some(folder) = stack.pop() {
            for entry in std::fs::read_dir(&folder)? {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "js") {
                    files.push(path);
                }
            }
        }
    }
    let mut total = WasmSize { raw: 0, gzip: 0 };
    for file in files {
        let size = measure(&file)?;
        total.raw += size.raw;
        total.gzip += size.gzip;
    }
    Ok(total)
}

/// Fails when the default package's download passes [`BUDGET_GZIP_BYTES`]; prints it, with the
/// assistant package's and the static table's (a separate download) beside it.
pub fn check_budget(root: &Path) -> Result<()> {
    let default = download_size(root, Package::Default)?;
    println!(
        "download: {} = {} gzipped (module + JS glue; budget {})",
        Package::Default.dir(),
        human(default.gzip),
        human(BUDGET_GZIP_BYTES)
    );
    if let Ok(assistant) = download_size(root, Package::Assistant) {
        println!(
            "download: {} = {} gzipped (module + JS glue; no budget: it carries the assistant)",
            Package::Assistant.dir(),
            human(assistant.gzip)
        );
    }
    let table = root.join(".cache/embed/minilm-static.pfst");
    if let Ok(size) = measure(&table) {
        println!(
            "download: the static table {} = {} gzipped (fetched when the host loads it)",
            table.display(),
            human(size.gzip)
        );
    }
    if default.gzip > BUDGET_GZIP_BYTES {
        bail!(
            "{} is {} gzipped, over its {} budget: BENCHMARKS.md says where room comes from",
            Package::Default.dir(),
            human(default.gzip),
            human(BUDGET_GZIP_BYTES)
        );
    }
    Ok(())
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
