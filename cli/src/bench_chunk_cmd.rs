//! `pilotfish bench-chunk DIR`: native chunking throughput on a real corpus, side by side with a
//! bare tree-sitter parse of the same files (the floor any tree-sitter chunker pays), per language.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use syntax::{ChunkConfig, Language};

#[derive(Debug, clap::Args)]
pub struct BenchChunkArgs {
    /// Folder of source files (walked recursively, .gitignore respected).
    pub dir: PathBuf,
    /// Passes over the corpus per measurement; the best pass is reported.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
}

pub fn run(args: &BenchChunkArgs) -> Result<()> {
    let mut by_language: BTreeMap<Language, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    for entry in ignore::WalkBuilder::new(&args.dir).hidden(false).build() {
        let entry = entry?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path().to_string_lossy().into_owned();
        let bytes = std::fs::read(entry.path()).with_context(|| format!("reading {path}"))?;
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if let Some(language) = Language::detect(&path, text) {
            by_language.entry(language).or_default().push((path, bytes));
        }
    }
    println!("| language | files | MB | tree-sitter parse MB/s | parse + chunk MB/s | ratio |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let config = ChunkConfig::default();
    let mut chunker = syntax::Chunker::default();
    for (language, files) in &by_language {
        let Some(grammar) = syntax::grammar::grammar(*language) else {
            continue;
        };
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&grammar)?;
        let megabytes = files.iter().map(|(_, b)| b.len()).sum::<usize>() as f64 / 1e6;
        let parse = best_of(args.rounds, || {
            for (_, bytes) in files {
                std::hint::black_box(parser.parse(bytes, None));
            }
        });
        let chunk = best_of(args.rounds, || {
            for (path, bytes) in files {
                std::hint::black_box(chunker.chunk(path, bytes, &config));
            }
        });
        println!(
            "| {} | {} | {:.2} | {:.1} | {:.1} | {:.2} |",
            language.name(),
            files.len(),
            megabytes,
            megabytes / parse,
            megabytes / chunk,
            parse / chunk
        );
    }
    Ok(())
}

/// Seconds of the fastest of `rounds` runs (the least disturbed by other work on the machine).
fn best_of(rounds: usize, mut f: impl FnMut()) -> f64 {
    (0..rounds.max(1))
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}
