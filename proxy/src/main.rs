//! `pilotfish-proxy --config FILE`: loads and validates the config (a bad config prints a clear
//! message and exits with code 2), then serves the API listener until Ctrl-C / SIGTERM.
//!
//! `pilotfish-proxy mint-token --config FILE --issuer NAME --sub USER --ttl 15m`: prints a
//! signed per-user token of a configured issuer, for development (see `edge::tokens::mint`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// The Pilotfish LLM proxy.
#[derive(Debug, Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Args {
    /// Path to the TOML config file.
    #[arg(long, short, required = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Print a signed short-lived token for one user (development; a host's backend mints its own).
    MintToken(MintArgs),
}

#[derive(Debug, clap::Args)]
struct MintArgs {
    #[arg(long, short)]
    config: PathBuf,
    /// The `[[issuers]]` name.
    #[arg(long)]
    issuer: String,
    /// The user (`sub` claim).
    #[arg(long)]
    sub: String,
    /// Lifetime: seconds or a number with s, m or h (at most the issuer's max_ttl_secs).
    #[arg(long, default_value = "15m")]
    ttl: String,
    /// `aud` claim (default: the issuer's audience).
    #[arg(long)]
    aud: Option<String>,
    /// PKCS#8 PEM private key file, for EdDSA and ES256 issuers.
    #[arg(long)]
    private_key: Option<PathBuf>,
    /// Per-user limits (capped by the issuer's).
    #[arg(long)]
    rpm: Option<u64>,
    #[arg(long)]
    tpm: Option<u64>,
    #[arg(long)]
    daily_budget_usd: Option<f64>,
    /// Allowed aliases, comma-separated (narrowing the issuer's).
    #[arg(long, value_delimiter = ',')]
    models: Option<Vec<String>>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let path = match (args.command, args.config) {
        (Some(Command::MintToken(mint)), _) => return mint_token(mint),
        (None, Some(path)) => path,
        (None, None) => unreachable!("clap requires --config"),
    };
    let config = match proxy::Config::load(&path) {
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

fn mint_token(args: MintArgs) -> ExitCode {
    match mint(args) {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pilotfish-proxy mint-token: {e}");
            ExitCode::from(2)
        }
    }
}

fn mint(args: MintArgs) -> anyhow::Result<String> {
    use proxy::edge::tokens::mint;
    let config = proxy::Config::load(&args.config)?;
    let issuer = config
        .issuer(&args.issuer)
        .ok_or_else(|| anyhow::anyhow!("no issuer `{}` in the config", args.issuer))?;
    let pem = args.private_key.map(std::fs::read_to_string).transpose()?;
    let key = mint::signing_key(issuer, pem.as_deref()).map_err(anyhow::Error::msg)?;
    let grant = mint::Grant {
        sub: args.sub,
        ttl: mint::parse_ttl(&args.ttl).map_err(anyhow::Error::msg)?,
        audience: args.aud,
        rpm: args.rpm,
        tpm: args.tpm,
        daily_budget_usd: args.daily_budget_usd,
        models: args.models,
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    mint::mint(issuer, &key, &grant, now.as_secs()).map_err(anyhow::Error::msg)
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
