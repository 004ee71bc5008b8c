//! `pilotfish chunk FILE...`: prints every chunk of every file as one JSON object per line
//! (JSON Lines) on stdout; diagnostics go to stderr, one line each. An unreadable file is reported
//! on stderr and makes the exit code 1, after the other files have been processed.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;
use syntax::{Chunk, ChunkConfig, Chunker};

#[derive(Debug, Args)]
pub struct ChunkArgs {
    /// Files to chunk.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Size budget per chunk, in bytes: bigger units are split, tiny neighbours merged.
    #[arg(long, default_value_t = ChunkConfig::default().max_chunk_bytes)]
    pub max_chunk_bytes: usize,
}

/// The wire shape of one chunk line; field names are the CLI's public contract.
#[derive(Serialize)]
struct ChunkLine<'a> {
    path: &'a str,
    language: Option<&'static str>,
    kind: &'static str,
    name: Option<&'a str>,
    qualified_name: Option<&'a str>,
    start_line: usize,
    end_line: usize,
    start_byte: usize,
    end_byte: usize,
    docstring: Option<&'a str>,
    text: &'a str,
}

impl<'a> From<&'a Chunk> for ChunkLine<'a> {
    fn from(c: &'a Chunk) -> Self {
        ChunkLine {
            path: &c.path,
            language: c.language.map(|l| l.name()),
            kind: c.kind.name(),
            name: c.name.as_deref(),
            qualified_name: c.qualified_name.as_deref(),
            start_line: c.start_line,
            end_line: c.end_line,
            start_byte: c.start_byte,
            end_byte: c.end_byte,
            docstring: c.docstring.as_deref(),
            text: &c.text,
        }
    }
}

/// Runs the command; returns the process exit code (1 when any file could not be read).
pub fn run(args: &ChunkArgs) -> Result<i32> {
    let config = ChunkConfig {
        max_chunk_bytes: args.max_chunk_bytes,
        ..ChunkConfig::default()
    };
    let mut chunker = Chunker::default();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut code = 0;
    for file in &args.files {
        let display = file.display().to_string();
        let bytes = match std::fs::read(file) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("error: {display}: {error}");
                code = 1;
                continue;
            }
        };
        let chunked = chunker.chunk(&display, &bytes, &config);
        for diagnostic in &chunked.diagnostics {
            eprintln!("{:?}: {}", diagnostic.kind, diagnostic.message);
        }
        for chunk in &chunked.chunks {
            serde_json::to_writer(&mut out, &ChunkLine::from(chunk)).context("writing JSON")?;
            out.write_all(b"\n").context("writing stdout")?;
        }
    }
    out.flush().context("writing stdout")?;
    Ok(code)
}
