//! `pilotfish scan [--json] PATH...` and `pilotfish redact [--json] FILE`: the analysis the tab
//! runs, on files on disk. `scan` reports security rule findings (the tab's rule tables for
//! Python, JavaScript/TypeScript, Go and Java), secrets, invisible Unicode and files on the
//! secret-path denylist, one line each (`path:line: rule-id ...`, or with `--json` one object
//! per line), and exits 1 when there is any, like a linter. A file it cannot read is one line on
//! stderr; the other files are still scanned and the exit status is 1. `redact` prints a file
//! with its secrets replaced by `[REDACTED:rule-id]`, or with `--json` the secrets it found.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Serialize;
use syntax::Language;

use crate::source_files::{self, Refused};

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files or folders (folders are walked honouring .gitignore; hidden files are included).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// One JSON object per finding per line: path, kind, line, column, end_line, end_column,
    /// rule, cwe, severity, confidence, message, fix.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct RedactArgs {
    /// The file to print redacted (`-`: standard input).
    pub file: PathBuf,
    /// Print the secrets found instead, one JSON object per line: line, column, end_line,
    /// end_column, rule.
    #[arg(long)]
    pub json: bool,
}

/// One finding as `--json` prints it; field names are the CLI's public contract.
#[derive(Serialize)]
struct Record {
    path: String,
    /// `security`, `secret`, `invisible-unicode` or `secret-file`.
    kind: &'static str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    rule: String,
    cwe: String,
    severity: &'static str,
    confidence: &'static str,
    message: String,
    fix: Option<String>,
    /// The text line: `path:line: rule-id ...`.
    #[serde(skip)]
    text: String,
}

/// Scans `args.paths`; returns the exit code (1 when anything was found or a file was refused).
pub fn scan(args: &ScanArgs) -> Result<i32> {
    let (files, mut errors) = source_files::walk(&args.paths);
    let mut out = std::io::stdout().lock();
    let mut found = 0;
    for file in &files {
        let records = match scan_file(&file.path) {
            Ok(records) => records,
            Err(Refused::Binary | Refused::TooLarge) if !file.explicit => Vec::new(),
            Err(refused) => {
                errors.push(format!("{}: {refused}", file.path.display()));
                continue;
            }
        };
        for record in &records {
            if args.json {
                serde_json::to_writer(&mut out, record)?;
                writeln!(out)?;
            } else {
                writeln!(out, "{}", record.text)?;
            }
        }
        found += records.len();
    }
    out.flush()?;
    for error in &errors {
        eprintln!("error: {error}");
    }
    Ok(i32::from(found > 0 || !errors.is_empty()))
}

fn scan_file(path: &std::path::Path) -> Result<Vec<Record>, Refused> {
    let shown = path.display().to_string();
    let mut records = Vec::new();
    if let Some(reason) = analysis::paths::secret_path_reason(&path.to_string_lossy()) {
        records.push(Record {
            path: shown.clone(),
            kind: "secret-file",
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            rule: "secret-file".into(),
            cwe: "CWE-538".into(),
            severity: "medium",
            confidence: "medium",
            message: format!("{reason}: a file that holds secrets by convention"),
            fix: Some("Keep it out of the repository and out of prompts.".into()),
            text: format!("{shown}:1: secret-file ({reason})"),
        });
    }
    let text = match source_files::read_text(path) {
        Ok(text) => text,
        // The path alone was a finding: the file need not be readable for that.
        Err(Refused::Binary | Refused::TooLarge) if !records.is_empty() => return Ok(records),
        Err(refused) => return Err(refused),
    };
    if let Some(language) = Language::detect(&shown, &text) {
        for f in analysis::rules::check(language, &text) {
            records.push(Record {
                text: format!(
                    "{shown}:{}: {} ({}, {}): {}",
                    f.line,
                    f.rule_id,
                    f.cwe,
                    f.severity.name(),
                    f.message
                ),
                path: shown.clone(),
                kind: "security",
                line: f.line,
                column: f.column,
                end_line: f.end_line,
                end_column: f.end_column,
                rule: f.rule_id.into(),
                cwe: f.cwe.into(),
                severity: f.severity.name(),
                confidence: f.confidence.name(),
                message: f.message,
                fix: Some(f.fix.into()),
            });
        }
    }
    let scanner = analysis::Scanner::builtin();
    for f in scanner.scan(&text) {
        let (line, column) = position(&text, f.range.start);
        let (end_line, end_column) = position(&text, f.range.end);
        let description = scanner
            .rules()
            .iter()
            .find(|r| r.id == f.rule_id)
            .map_or("", |r| r.description.as_str());
        records.push(Record {
            path: shown.clone(),
            kind: "secret",
            line,
            column,
            end_line,
            end_column,
            rule: f.rule_id.into(),
            cwe: "CWE-798".into(),
            severity: "high",
            confidence: "medium",
            message: format!("a secret in the text: {description}"),
            fix: Some("Revoke it, and read it from the environment or a secret store.".into()),
            text: format!("{shown}:{line}: {}", f.rule_id),
        });
    }
    for invisible in analysis::find_invisible(&text) {
        let (line, column) = position(&text, invisible.offset);
        let code = u32::from(invisible.ch);
        records.push(Record {
            path: shown.clone(),
            kind: "invisible-unicode",
            line,
            column,
            end_line: line,
            end_column: column + invisible.ch.len_utf8(),
            rule: "invisible-unicode".into(),
            cwe: "CWE-451".into(),
            severity: "medium",
            confidence: "high",
            message: format!("invisible character U+{code:04X} can hide what the code does"),
            fix: Some("Remove it, or write it as an escape sequence.".into()),
            text: format!("{shown}:{line}: invisible-unicode (U+{code:04X})"),
        });
    }
    // Stable: at one position, the order above (path, rules, secrets, invisible) stays.
    records.sort_by_key(|r| (r.line, r.column));
    Ok(records)
}

/// 1-based line and column (UTF-8 bytes) of a byte offset.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (1 + before.matches('\n').count(), offset - line_start + 1)
}

/// A secret as `redact --json` prints it.
#[derive(Serialize)]
struct SecretLine<'a> {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    rule: &'a str,
}

/// Prints `args.file` redacted to stdout and the count by rule to stderr (or, with `--json`,
/// the secrets found).
pub fn redact(args: &RedactArgs) -> Result<()> {
    let text = if args.file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        text
    } else {
        source_files::read_text(&args.file)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("{}", args.file.display()))?
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        for f in analysis::scan(&text) {
            let (line, column) = position(&text, f.range.start);
            let (end_line, end_column) = position(&text, f.range.end);
            let record = SecretLine {
                line,
                column,
                end_line,
                end_column,
                rule: f.rule_id,
            };
            serde_json::to_writer(&mut out, &record)?;
            writeln!(out)?;
        }
        out.flush()?;
        return Ok(());
    }
    let visible = analysis::strip_invisible(&text);
    let redacted = analysis::redact(&visible);
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
