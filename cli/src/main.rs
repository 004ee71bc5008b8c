//! `pilotfish`: the native command line over the engine (chunk, index, search, eval, bench).

use anyhow::Result;
use clap::{Parser, Subcommand};

mod eval_cmd;
mod index_cmd;
mod search_cmd;

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
    /// Index a project folder into a snapshot file.
    Index(index_cmd::IndexArgs),
    /// Search an index snapshot.
    Search(search_cmd::SearchArgs),
    /// Measure retrieval quality and speed on CoSQA dev.
    Eval(eval_cmd::EvalArgs),
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Index(args) => index_cmd::run(args),
        Command::Search(args) => search_cmd::run(args),
        Command::Eval(args) => eval_cmd::run(args),
    }
}
