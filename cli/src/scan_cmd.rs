//! `pilotfish scan PATH...` and `pilotfish redact FILE`: the secret rules the tab applies to
//! every prompt, run on files on disk. `scan` prints one `path:line: rule-id` line per finding
//! (secrets, invisible Unicode, files on the secret-path denylist) and exits 1 when there is
//! any, like a linter; `redact` prints a file with its secrets replaced by `[REDACTED:rule-id]`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files or folders (folders are walked honouring .gitignore; hidden files are included).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RedactArgs {
    /// The file to print redacted (`-`: standard input).
    pub file: PathBuf,
}

/// Files above this size are skipped: generated data, not source.
const MAX_BYTES: u64 = 8 * 1024 * 1024;

/// Scans `args.paths`; returns the exit code (1 when anything was found).
pub fn scan(args: &ScanArgs) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    let mut found = 0;
    for root in &args.paths {
        let walk = ignore::WalkBuilder::new(root)
            .hidden(false)
            .filter_entry(|e| e.file_name() != ".git")
            .sort_by_file_path(Path::cmp)
            .build();
        for entry in walk {
            let entry = entry.with_context(|| format!("walking {}", root.display()))?;
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let path = entry.path();
            found += scan_file(path, &mut out)?;
        }
    }
    out.flush()?;
    Ok(i32::from(found > 0))
}

fn scan_file(path: &Path, out: &mut impl Write) -> Result<usize> {
    let shown = path.display();
    let mut found = 0;
    if let Some(reason) = analysis::paths::secret_path_reason(&path.to_string_lossy()) {
        writeln!(out, "{shown}:1: secret-file ({reason})")?;
        found += 1;
    }
    if std::fs::metadata(path)?.len() > MAX_BYTES {
        return Ok(found);
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {shown}"))?;
    if bytes[..bytes.len().min(8192)].contains(&0) {
        // Binary.
        return Ok(found);
    }
    let text = String::from_utf8_lossy(&bytes);
    for finding in analysis::scan(&text) {
        writeln!(out, "{shown}:{}: {}", finding.line, finding.rule_id)?;
        found += 1;
    }
    for invisible in analysis::find_invisible(&text) {
        let line = 1 + text[..invisible.offset].matches('\n').count();
        writeln!(
            out,
            "{shown}:{line}: invisible-unicode (U+{:04X})",
            u32::from(invisible.ch)
        )?;
        found += 1;
    }
    Ok(found)
}

/// Prints `args.file` redacted to stdout and the count by rule to stderr.
pub fn redact(args: &RedactArgs) -> Result<()> {
    let text = if args.file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        text
    } else {
        std::fs::read_to_string(&args.file)
            .with_context(|| format!("reading {}", args.file.display()))?
    };
    let visible = analysis::strip_invisible(&text);
    let redacted = analysis::redact(&visible);
    let mut out = std::io::stdout().lock();
    out.write_all(redacted.text.as_bytes())?;
    out.flush()?;
    let rules: Vec<String> = redacted
        .count_by_rule
        .iter()
        .map(|(rule, n)| format!("{rule} {n}"))
        .collect();
    let noun = if redacted.count() == 1 {
        "secret"
    } else {
        "secrets"
    };
    eprintln!("redacted {} {noun}: {}", redacted.count(), rules.join(", "));
    Ok(())
}
