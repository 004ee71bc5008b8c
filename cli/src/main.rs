//! `pilotfish`: the native command line over the engine (chunk, index, search, eval, bench) and
//! the assistant (prompt, complete, chat through pilotfish-proxy).

use anyhow::Result;
use clap::{Parser, Subcommand};

mod bench_chunk_cmd;
mod bench_vector;
mod chat_cmd;
mod chunk_cmd;
mod complete_cmd;
mod cursor;
mod diagnose_cmd;
mod embed;
mod eval;
mod index_cmd;
mod model;
mod prompt_cmd;
mod remote;
mod scan_cmd;
mod search_cmd;
mod source_files;
mod stream_client;

#[derive(Debug, Parser)]
#[command(
    name = "pilotfish",
    version,
    about = "Pilotfish: code search and chunking from the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Chunk files into semantic units, one JSON object per chunk per line.
    Chunk(chunk_cmd::ChunkArgs),
    /// Index a project folder into a snapshot file.
    Index(index_cmd::IndexArgs),
    /// Search an index snapshot.
    Search(search_cmd::SearchArgs),
    /// Build the prompt a model would receive for a cursor in a file (text, or JSON with the
    /// parts included, why, and what was dropped for budget).
    Prompt(prompt_cmd::PromptArgs),
    /// Complete the code at a cursor through pilotfish-proxy (the ghost text the tab shows).
    Complete(complete_cmd::CompleteArgs),
    /// Ask about the code at a cursor through pilotfish-proxy; the answer streams to stdout.
    Chat(chat_cmd::ChatArgs),
    /// Find security issues (rules for Python, JS/TS, Go, Java), secrets, invisible Unicode and
    /// secret files: `path:line: rule-id ...` (or JSON lines), exit 1 if any.
    Scan(scan_cmd::ScanArgs),
    /// Print a file with its secrets replaced by `[REDACTED:rule-id]` (or the secrets as JSON).
    Redact(scan_cmd::RedactArgs),
    /// Print syntax errors: `path:line:column: message` (or JSON lines), exit 1 if any.
    Diagnose(diagnose_cmd::DiagnoseArgs),
    /// Measure retrieval quality and speed on CoSQA dev.
    Eval(eval::EvalArgs),
    /// Distil the static token-embedding table from the MiniLM model.
    Distill(embed::distill::DistillArgs),
    /// Measure the local embedders (transformer, static table) on CoSQA: MRR@10 and chunks/s.
    EmbedEval(embed::embed_eval::EmbedEvalArgs),
    /// Fit the static table to the transformer on a training corpus (tokenlearn-style).
    FitTable(embed::fit_table::FitTableArgs),
    /// Measure native chunking throughput against a bare tree-sitter parse.
    BenchChunk(bench_chunk_cmd::BenchChunkArgs),
    /// Measure the vector indexes (f32 scan, int8 scan, HNSW) natively: q/s, recall@10, build.
    BenchVector(bench_vector::BenchVectorArgs),
}

fn main() {
    // One line per error, causes joined with `: ` (anyhow's alternate form), not the multi-line
    // debug report: a person reads it in a terminal, a script greps it.
    if let Err(error) = run(Cli::parse().command) {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Chunk(args) => {
            let code = chunk_cmd::run(&args)?;
            if code != 0 {
                std::process::exit(code);
            }
            Ok(())
        }
        Command::Index(args) => index_cmd::run(args),
        Command::Search(args) => search_cmd::run(args),
        Command::Prompt(args) => prompt_cmd::run(args),
        Command::Complete(args) => complete_cmd::run(args),
        Command::Chat(args) => chat_cmd::run(args),
        Command::Scan(args) => {
            let code = scan_cmd::scan(&args)?;
            if code != 0 {
                std::process::exit(code);
            }
            Ok(())
        }
        Command::Redact(args) => scan_cmd::redact(&args),
        Command::Diagnose(args) => {
            let code = diagnose_cmd::run(&args)?;
            if code != 0 {
                std::process::exit(code);
            }
            Ok(())
        }
        Command::Eval(args) => eval::run(args),
        Command::Distill(args) => embed::distill::run(&args),
        Command::EmbedEval(args) => embed::embed_eval::run(&args),
        Command::FitTable(args) => embed::fit_table::run(&args),
        Command::BenchChunk(args) => bench_chunk_cmd::run(&args),
        Command::BenchVector(args) => bench_vector::run(&args),
    }
}
