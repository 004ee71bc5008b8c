//! `cargo xtask fuzz [--cases N]`: the property tests over hostile input that CI runs with
//! proptest's default 256 cases, run with many more. They are ordinary tests (proptest reads
//! `PROPTEST_CASES`), so a failure found here is reproduced by the same `cargo test` line. They
//! run in the dev profile on purpose: it keeps overflow checks on, so an arithmetic overflow is a
//! panic the fuzz sees rather than a silent wrap as in release.

use anyhow::{Context, Result, bail};

use crate::cmd;

/// Cases per property when `--cases` is not given: a few minutes on two cores.
const DEFAULT_CASES: u32 = 20_000;

/// The properties: (package, test target arguments, what they cover).
const TARGETS: &[(&str, &[&str], &str)] = &[
    (
        "pilotfish-engine",
        &["--lib", "snapshot::fuzz"],
        "restore of mutated, re-checksummed snapshots",
    ),
    (
        "pilotfish-engine",
        &["--test", "fuzz_chunker"],
        "the chunker and the project on random bytes and deeply nested text",
    ),
    (
        "pilotfish-assist",
        &["--test", "sse_fuzz"],
        "the SSE chunk parser on random bytes and cut streams",
    ),
];

pub fn run(args: &[String]) -> Result<()> {
    let cases = match args {
        [] => DEFAULT_CASES,
        [flag, n] if flag == "--cases" => n
            .parse()
            .with_context(|| format!("--cases takes a number, got {n:?}"))?,
        _ => bail!("usage: cargo xtask fuzz [--cases N]"),
    };
    for (package, target, what) in TARGETS {
        eprintln!("fuzz: {what} ({cases} cases per property)");
        cmd::run(
            cmd::cargo()
                .args(["test", "-p", package])
                .args(*target)
                .env("PROPTEST_CASES", cases.to_string()),
        )?;
    }
    Ok(())
}
