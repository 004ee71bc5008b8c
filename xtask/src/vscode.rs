//! The VS Code web extension (`plugin-wasm/vscode/`): `cargo xtask vsix` bundles it with esbuild
//! and packages it with `@vscode/vsce` (both from the root package.json, offline) into
//! `target/vscode/pilotfish.vsix`; `cargo xtask test-vscode` also installs code-server and runs
//! `tests/e2e/vscode.e2e.mjs`, which installs that `.vsix` into code-server and drives it in
//! Chromium against the real proxy and the fake upstream. `cargo xtask test` runs [`run_test`] as
//! its last step.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};

use crate::{cmd, code_server, e2e_stack, setup, wasm};

/// The end-to-end test of the extension (not a `*.test.mjs`, so the browser step's glob does not
/// run it without code-server; see [`run_test`]).
pub const TEST: &str = "tests/e2e/vscode.e2e.mjs";

/// `cargo xtask vsix`: set up, build the assistant package, bundle and package.
pub fn vsix_command(root: &Path) -> Result<()> {
    setup::all(root)?;
    wasm::build_package(root, wasm::Package::Assistant)?;
    vsix(root).map(|_| ())
}

/// Bundles the extension (`build.mjs`) and packages it; needs `plugin-wasm/pkg-assistant/`.
/// Returns the `.vsix`'s path and prints its size.
pub fn vsix(root: &Path) -> Result<PathBuf> {
    let extension = root.join("plugin-wasm/vscode");
    cmd::run(Command::new("node").arg(extension.join("build.mjs")))?;
    // Where the README says it is, whatever CARGO_TARGET_DIR is.
    let out = root.join("target/vscode/pilotfish.vsix");
    std::fs::create_dir_all(out.parent().expect("the .vsix has a folder"))?;
    // --no-dependencies: the bundle is self-contained, and vsce would otherwise run `npm list`.
    // No repository field yet: the flag keeps vsce from asking on a terminal. LICENSE is
    // build.mjs's.
    cmd::run(
        Command::new("node")
            .arg(root.join("node_modules/@vscode/vsce/vsce"))
            .args([
                "package",
                "--no-dependencies",
                "--allow-missing-repository",
                "--out",
            ])
            .arg(&out)
            .current_dir(&extension),
    )?;
    let size = wasm::measure(&out)?;
    println!("{}: {}", out.display(), wasm::human(size.raw));
    Ok(out)
}

/// `cargo xtask test-vscode`: everything the extension's test needs, built and started here.
pub fn test_alone(root: &Path) -> Result<()> {
    setup::all(root)?;
    code_server::ensure(root)?;
    wasm::build_package(root, wasm::Package::Assistant)?;
    let stack = e2e_stack::build_and_start(&root.join("target/e2e-vscode"))?;
    run_test(root, &stack)
}

/// Packages the extension, installs code-server when needed and runs the test against `stack`.
pub fn run_test(root: &Path, stack: &e2e_stack::Stack) -> Result<()> {
    let code_server = code_server::ensure(root)?;
    let vsix = vsix(root)?;
    if !root.join(TEST).is_file() {
        bail!("{TEST} is missing");
    }
    cmd::run(
        Command::new("node")
            .args(["--test", TEST])
            .env("PILOTFISH_CODE_SERVER_NODE", &code_server.node)
            .env("PILOTFISH_CODE_SERVER", &code_server.entry)
            .env("PILOTFISH_VSIX", &vsix)
            .env("PILOTFISH_E2E_PROXY", &stack.proxy)
            .env("PILOTFISH_E2E_CONTROL", &stack.control)
            .env("PILOTFISH_E2E_TOKEN", e2e_stack::TOKEN)
            .current_dir(root),
    )
}
