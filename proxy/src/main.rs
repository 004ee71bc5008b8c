//! `pilotfish-proxy --config FILE`: loads and validates the config (a bad config prints a clear
//! message and exits with code 2), then serves the API listener until Ctrl-C / SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// The Pilotfish LLM proxy.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Path to the TOML config file.
    #[arg(long, short)]
    config: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = match proxy::Config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pilotfish-proxy: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = proxy::edge::cors::Allowlist::parse(&config.cors.origins) {
        eprintln!("pilotfish-proxy: {e}");
        return ExitCode::from(2);
    }
    // JSON lines with the request id on every line of a request (see `proxy::edge::logging`).
    proxy::edge::logging::init(&config.logging.level);
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pilotfish-proxy: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: proxy::Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let edge = proxy::edge::ProxyEdge::from_config(&config).await?;
    let metrics = edge.metrics();
    let admin = tokio::net::TcpListener::bind(config.admin_listen).await?;
    let state = proxy::AppState::with_edge(config, std::sync::Arc::new(edge))?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!(addr = %listener.local_addr()?, "api listening");
    tracing::info!(addr = %admin.local_addr()?, "admin listening (/metrics)");
    tokio::spawn(async move {
        if let Err(e) = proxy::edge::metrics::serve_admin(admin, metrics).await {
            tracing::error!(error = %e, "admin listener failed");
        }
    });
    // Connect info gives handlers the peer address, which keys the limit on refused requests.
    let app = proxy::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
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
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
