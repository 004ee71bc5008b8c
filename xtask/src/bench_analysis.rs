//! `cargo xtask bench analysis`: our Python security rules against bandit and our secret
//! redactor against detect-secrets, side by side on the same files (`analysis/bench/run.py`,
//! which installs the peers from PyPI into the ignored `.cache/bench/venv`). The CLI is the dev
//! build: the table is about what each tool finds, and the times it prints are per-file process
//! runs, not the engine's speed (that is `analysis`'s `redact_timing` example and the wasm bench).

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::cmd;

pub fn run(root: &Path) -> Result<()> {
    let built = cmd::built_executables(
        cmd::cargo().args(["build", "-p", "pilotfish-cli", "--bin", "pilotfish"]),
        &["pilotfish"],
    )?;
    println!("\n## analysis: security rules vs bandit, secrets vs detect-secrets\n");
    cmd::run(
        Command::new("python3")
            .arg(root.join("analysis/bench/run.py"))
            .arg("--pilotfish")
            .arg(&built[0])
            .arg("--out")
            .arg(root.join(".cache/bench")),
    )
}
