//! `pilotfish-local --model GGUF [--host H] [--port P] [--threads N] [--queue N]`: loads the model
//! and serves the OpenAI-compatible API until Ctrl-C / SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use local_llm::Model;
use local_llm::server::{AppState, QueueConfig, app};

/// A local OpenAI-compatible model server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// A GGUF model file (llama architecture, byte-level BPE vocabulary).
    #[arg(long)]
    model: PathBuf,
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// 0 picks a free port; the chosen address is printed on the first line of stdout.
    #[arg(long, default_value_t = 8089)]
    port: u16,
    /// Threads the model's kernels use (default: one per physical core).
    #[arg(long)]
    threads: Option<usize>,
    /// Requests that may wait while one generates; one more is answered 429.
    #[arg(long, default_value_t = QueueConfig::default().capacity)]
    queue: usize,
    /// The model id `/v1/models` lists (default: the file name without `.gguf`).
    #[arg(long)]
    model_id: Option<String>,
}

/// candle sizes its kernel thread pool once, from `CANDLE_NUM_THREADS`, the first time a kernel
/// runs, and has no setter. Setting the variable in this process would need `unsafe`
/// (`std::env::set_var`), so `--threads` re-executes the binary with it set instead.
const THREADS_VAR: &str = "CANDLE_NUM_THREADS";

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(threads) = args.threads
        && std::env::var(THREADS_VAR).ok() != Some(threads.to_string())
    {
        return reexec_with_threads(threads);
    }
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pilotfish-local: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(unix)]
fn reexec_with_threads(threads: usize) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let error = std::process::Command::new(
        std::env::current_exe().unwrap_or_else(|_| "pilotfish-local".into()),
    )
    .args(std::env::args_os().skip(1))
    .env(THREADS_VAR, threads.to_string())
    .env("RAYON_NUM_THREADS", threads.to_string())
    .exec();
    eprintln!("pilotfish-local: re-executing with {THREADS_VAR}={threads} failed: {error}");
    ExitCode::FAILURE
}

#[cfg(not(unix))]
fn reexec_with_threads(_threads: usize) -> ExitCode {
    eprintln!("pilotfish-local: --threads needs a Unix system here; set {THREADS_VAR} instead");
    ExitCode::FAILURE
}

#[tokio::main]
async fn run(args: Args) -> anyhow::Result<()> {
    let path = args.model.clone();
    let model = tokio::task::spawn_blocking(move || Model::load_file(&path))
        .await?
        .with_context(|| format!("loading {}", args.model.display()))?;
    let model_id = args.model_id.unwrap_or_else(|| {
        let name = args.model.file_name().unwrap_or_default().to_string_lossy();
        name.trim_end_matches(".gguf").to_owned()
    });
    let state = AppState::start(
        model,
        model_id,
        QueueConfig {
            capacity: args.queue,
        },
    )?;
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .context("--host and --port must form a socket address")?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    // Scripts (xtask demo, benchmarks) read this line to learn the port.
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
