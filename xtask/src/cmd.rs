//! Running commands with their command line echoed, and failing loudly with it when they fail.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};

/// Runs a command, inheriting stdio; fails with the command line if it exits non-zero.
pub fn run(command: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(command));
    let status = command
        .status()
        .with_context(|| format!("could not start `{}`", describe(command)))?;
    if !status.success() {
        bail!("`{}` failed with {status}", describe(command));
    }
    Ok(())
}

/// Runs a command quietly and returns its trimmed stdout, or None if it cannot start or fails.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Whether a program is on PATH.
pub fn exists(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// Runs a cargo build-like command (`build`, `test --no-run`) with JSON messages and returns the
/// executable it produced for the binary target `name` (not a test harness). Diagnostics are
/// still rendered to stderr.
pub fn built_executable(command: &mut Command, name: &str) -> Result<PathBuf> {
    let mut found = built_executables(command, &[name])?;
    Ok(found.remove(0))
}

/// Like [`built_executable`], for several binary or example targets of one build, in the order
/// of `names`.
pub fn built_executables(command: &mut Command, names: &[&str]) -> Result<Vec<PathBuf>> {
    command.arg("--message-format=json-render-diagnostics");
    eprintln!("$ {}", describe(command));
    let out = command
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not start `{}`", describe(command)))?;
    if !out.status.success() {
        bail!("`{}` failed with {}", describe(command), out.status);
    }
    let mut found: Vec<Option<PathBuf>> = vec![None; names.len()];
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let target = &message["target"];
        let runnable = target["kind"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "bin" || k == "example"));
        if message["reason"] == "compiler-artifact"
            && runnable
            && message["profile"]["test"] == false
            && let Some(path) = message["executable"].as_str()
            && let Some(i) = names.iter().position(|n| target["name"] == *n)
        {
            found[i] = Some(PathBuf::from(path));
        }
    }
    names
        .iter()
        .zip(found)
        .map(|(name, path)| {
            path.ok_or_else(|| anyhow!("`{}` built no `{name}` executable", describe(command)))
        })
        .collect()
}

pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Which build of the `pilotfish` CLI [`pilotfish`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// The release profile (LTO): what the benchmarks measure.
    Release,
    /// The dev profile, whose dependencies are optimised too (see the root Cargo.toml): minutes
    /// cheaper to build when the work is done by candle and tokenizers, not by our code.
    Dev,
}

/// The `pilotfish` CLI run through cargo (`cargo run -q -p pilotfish-cli --`), so it is built
/// first when needed; append the subcommand and its arguments.
pub fn pilotfish(build: Build) -> Command {
    let mut command = cargo();
    command.arg("run");
    if build == Build::Release {
        command.arg("--release");
    }
    command.args(["-q", "-p", "pilotfish-cli", "--"]);
    command
}

fn describe(command: &Command) -> String {
    let mut parts = vec![command.get_program().to_string_lossy().into_owned()];
    parts.extend(
        command
            .get_args()
            .map(OsStr::to_string_lossy)
            .map(|a| a.into_owned()),
    );
    parts.join(" ")
}
