//! What the CLI's proxy-backed tests share: serving a router on a loopback port, the REAL proxy
//! (`proxy::app` with its authenticating edge) in front of a fake upstream, and running the built
//! binary with a clean environment.
// Each test file uses the parts it needs.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use axum::Router;
use proxy::edge::ProxyEdge;
use proxy::edge::auth::token_sha256_hex;
use proxy::{AppState, Config};
use tokio::net::TcpListener;

/// Serves `router` on a free loopback port.
pub async fn serve(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

/// The proxy in front of an OpenAI-wire `upstream` holding `provider_key`, with `aliases`
/// (alias, upstream model) and one client `token` allowed the aliases in `allowed`. Its own
/// retries are off and its response cache disabled, so every request the fake counts is the
/// CLI's. Returns the proxy's base URL.
pub async fn proxy_in_front_of(
    upstream: SocketAddr,
    provider_key: &str,
    aliases: &[(&str, &str)],
    token: &str,
    allowed: &[&str],
) -> String {
    let models: String = aliases
        .iter()
        .map(|(alias, model)| {
            format!("[[models]]\nalias = \"{alias}\"\nprovider = \"fake\"\nmodel = \"{model}\"\n")
        })
        .collect();
    let toml = format!(
        r#"
[retry]
max_attempts = 1
[cache]
enabled = false
[[providers]]
name = "fake"
kind = "openai"
base_url = "http://{upstream}/v1"
api_key_env = "FAKE_KEY"
{models}
[[clients]]
name = "cli"
token_sha256 = "{}"
models = {allowed:?}
"#,
        token_sha256_hex(token)
    );
    let config = Config::from_toml(&toml, |var| {
        (var == "FAKE_KEY").then(|| provider_key.to_owned())
    })
    .expect("test config");
    let edge = ProxyEdge::from_config(&config).await.expect("edge");
    let state = AppState::with_edge(config, Arc::new(edge)).expect("state");
    format!("http://{}", serve(proxy::app(state)).await)
}

/// Runs the built `pilotfish` in `cwd` with none of the variables that would change what it does
/// (a backtrace would add lines to the one-line errors under test); `env` is set on top.
pub async fn pilotfish(cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_pilotfish"));
    cmd.current_dir(cwd)
        .env_remove("PILOTFISH_TOKEN")
        .env_remove("PILOTFISH_MODEL_DIR")
        .env_remove("PILOTFISH_REMOTE_URL")
        .env_remove("PILOTFISH_PROXY_URL")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .envs(env.iter().copied())
        .args(args);
    cmd.output().await.expect("run pilotfish")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
