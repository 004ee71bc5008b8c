//! Shared test support: the fake upstream and a proxy served on a loopback socket.
//! Each integration test crate uses a different subset of these helpers.
#![allow(dead_code, unused_imports)]

pub mod binary;
pub mod fake_upstream;
pub mod keys;
pub mod redis_server;

use std::net::SocketAddr;
use std::sync::Arc;

pub use fake_upstream::{FakeUpstream, Mode};
use proxy::config::Config;
use proxy::state::{AppState, Edge, PassThrough};

/// The provider keys the test config reads from its (injected) environment.
pub const OPENAI_KEY: &str = "sk-test-openai-0123456789";
pub const ANTHROPIC_KEY: &str = "sk-ant-test-0123456789";

/// A config with three providers on the fake (OpenAI, Anthropic, Ollama) and aliases
/// `chat`, `claude`, `local`, `fim`, `local-fim`, `embed`; `extra` is appended verbatim (for
/// more aliases or clients). Timeouts are short so fault tests finish fast.
pub fn config_toml(fake: &FakeUpstream, extra: &str) -> String {
    format!(
        r#"
listen = "127.0.0.1:0"
[limits]
max_body_bytes = 4096
connect_timeout_ms = 1000
first_byte_timeout_ms = 1500
idle_timeout_ms = 1000
[retry]
max_attempts = 3
initial_backoff_ms = 5
max_backoff_ms = 50
[[providers]]
name = "openai"
kind = "openai"
base_url = "{v1}"
api_key_env = "TEST_OPENAI_KEY"
[[providers]]
name = "anthropic"
kind = "anthropic"
base_url = "{v1}"
api_key_env = "TEST_ANTHROPIC_KEY"
[[providers]]
name = "ollama"
kind = "ollama"
base_url = "{ollama}"
[[models]]
alias = "chat"
provider = "openai"
model = "gpt-4o-mini"
[[models]]
alias = "claude"
provider = "anthropic"
model = "claude-3-5-haiku-latest"
default_max_tokens = 256
[[models]]
alias = "local"
provider = "ollama"
model = "qwen2.5-coder:1.5b"
[[models]]
alias = "fim"
provider = "openai"
model = "gpt-3.5-turbo-instruct"
[[models]]
alias = "local-fim"
provider = "ollama"
model = "qwen2.5-coder:1.5b-base"
[[models]]
alias = "embed"
provider = "openai"
model = "text-embedding-3-small"
{extra}
"#,
        v1 = fake.v1(),
        ollama = fake.ollama_v1(),
    )
}

/// Parses a test config with the test keys as its environment.
pub fn load_config(toml: &str) -> Config {
    Config::from_toml(toml, |var| match var {
        "TEST_OPENAI_KEY" => Some(OPENAI_KEY.to_owned()),
        "TEST_ANTHROPIC_KEY" => Some(ANTHROPIC_KEY.to_owned()),
        _ => None,
    })
    .expect("test config is valid")
}

/// A proxy serving `proxy::app` on a free loopback port.
pub struct Proxy {
    pub addr: SocketAddr,
    pub state: AppState,
}

impl Proxy {
    /// Serves the given config with the pass-through edge.
    pub async fn start(config: Config) -> Proxy {
        Self::start_with_edge(config, Arc::new(PassThrough)).await
    }

    /// Serves the given config with a given edge.
    pub async fn start_with_edge(config: Config, edge: Arc<dyn Edge>) -> Proxy {
        let state = AppState::with_edge(config, edge).expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = proxy::app(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Proxy { addr, state }
    }

    /// `http://127.0.0.1:PORT` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// A fake upstream and a proxy in front of it with the standard test config.
pub async fn start_pair(extra: &str) -> (FakeUpstream, Proxy) {
    let fake = FakeUpstream::start().await;
    let proxy = Proxy::start(load_config(&config_toml(&fake, extra))).await;
    (fake, proxy)
}

/// The `data:` payloads of an SSE body, in order.
pub fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|ev| {
            let data: Vec<&str> = ev
                .lines()
                .filter_map(|l| {
                    l.strip_prefix("data:")
                        .map(|d| d.strip_prefix(' ').unwrap_or(d))
                })
                .collect();
            (!data.is_empty()).then(|| data.join("\n"))
        })
        .collect()
}

/// The concatenated `delta.content` (chat) or `text` (completions) of SSE payloads.
pub fn sse_text(payloads: &[String]) -> String {
    payloads
        .iter()
        .filter_map(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .flat_map(|v| {
            v.get("choices")
                .and_then(|c| c.as_array())
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|c| {
            c.pointer("/delta/content")
                .or_else(|| c.get("text"))
                .and_then(|t| t.as_str())
                .map(str::to_owned)
        })
        .collect()
}
