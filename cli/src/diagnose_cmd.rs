//! `pilotfish diagnose [--json] PATH...`: the syntax errors the tab would show for generated
//! code, on files on disk: `path:line:column: message` per error (or with `--json` one object per
//! line), exit 1 when there is any. A file named on the command line whose language is unknown,
//! or that is binary or unreadable, is one line on stderr; the other files are still checked and
//! the exit status is 1. Files in a walked folder without a known language are skipped.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;
use syntax::Language;

use crate::source_files::{self, Refused};

#[derive(Debug, clap::Args)]
pub struct DiagnoseArgs {
    /// Files or folders (folders are walked honouring .gitignore).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// One JSON object per diagnostic per line: path, language, line, column, end_line,
    /// end_column, message.
    #[arg(long)]
    pub json: bool,
}

/// One diagnostic as `--json` prints it; field names are the CLI's public contract.
#[derive(Serialize)]
struct DiagnosticLine<'a> {
    path: &'a str,
    language: &'static str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
}

/// Checks `args.paths`; returns the exit code (1 when any error was found or a file refused).
pub fn run(args: &DiagnoseArgs) -> Result<i32> {
    let (files, mut errors) = source_files::walk(&args.paths);
    let mut out = std::io::stdout().lock();
    let mut found = 0;
    for file in &files {
        let shown = file.path.display().to_string();
        let text = match source_files::read_text(&file.path) {
            Ok(text) => text,
            Err(Refused::Binary | Refused::TooLarge) if !file.explicit => continue,
            Err(refused) => {
                errors.push(format!("{shown}: {refused}"));
                continue;
            }
        };
        let Some(language) = Language::detect(&shown, &text) else {
            if file.explicit {
                errors.push(format!("{shown}: unknown language"));
            }
            continue;
        };
        for d in analysis::diagnostics::diagnose(language, &text) {
            if args.json {
                let line = DiagnosticLine {
                    path: &shown,
                    language: language.name(),
                    line: d.line,
                    column: d.column,
                    end_line: d.end_line,
                    end_column: d.end_column,
                    message: &d.message,
                };
                serde_json::to_writer(&mut out, &line)?;
                writeln!(out)?;
            } else {
                writeln!(out, "{shown}:{}:{}: {}", d.line, d.column, d.message)?;
            }
            found += 1;
        }
    }
    out.flush()?;
    for error in &errors {
        eprintln!("error: {error}");
    }
    Ok(i32::from(found > 0 || !errors.is_empty()))
}
