//! One streamed request to pilotfish-proxy (`complete`, `chat`): POST a body with
//! `stream: true`, decode the SSE answer with the engine's own parser (`assist::sse`, the one the
//! tab uses), hand each piece of text to the caller, and close the connection the moment the
//! caller has enough, so the proxy and the upstream stop generating too.
//!
//! The client token comes from `PILOTFISH_TOKEN` (never a flag, never printed). An error the
//! proxy reports, before the stream or inside it, is an error here, never printed as text.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use assist::sse::AnswerReader;
pub use assist::sse::{Flow, Streamed};
use futures::StreamExt;
use protocol::ErrorBody;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::remote::{DEFAULT_URL, TOKEN_ENV};

/// Where the proxy is and what to ask it for.
#[derive(Debug, Clone, clap::Args)]
pub struct ProxyArgs {
    /// The proxy's base URL (its origin; `/v1/...` is appended).
    #[arg(long, env = "PILOTFISH_PROXY_URL", default_value = DEFAULT_URL)]
    pub proxy: String,
    /// The proxy's model alias (default: the task's routing alias).
    #[arg(long)]
    pub alias: Option<String>,
    /// The most tokens the model may write.
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
    /// Seconds to wait for the next byte of the answer.
    #[arg(long, default_value_t = 60)]
    pub read_timeout: u64,
}

/// A client for one proxy.
pub struct ProxyClient {
    base: String,
    token: Option<SecretString>,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl ProxyClient {
    pub fn new(args: &ProxyArgs) -> Result<Self> {
        let base = args
            .proxy
            .trim_end_matches('/')
            .trim_end_matches("/v1")
            .to_owned();
        let url =
            reqwest::Url::parse(&base).with_context(|| format!("--proxy {base:?} is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            bail!("--proxy {base:?} must be an http:// or https:// URL");
        }
        let token = std::env::var(TOKEN_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .map(|t| SecretString::from(t.trim().to_owned()));
        let http = reqwest::Client::builder()
            // The token must only ever go to the address the user named.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            // A stream may run long; a silent one may not.
            .read_timeout(Duration::from_secs(args.read_timeout.max(1)))
            .build()
            .context("building the HTTP client")?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        Ok(ProxyClient {
            base,
            token,
            http,
            runtime,
        })
    }

    /// POSTs `body` (which must ask for `stream: true`) to `{proxy}{path}` and calls `on_text`
    /// with choice 0's text as it arrives, until the stream ends or `on_text` says enough.
    pub fn stream(
        &self,
        path: &str,
        body: &Value,
        mut on_text: impl FnMut(&str) -> Flow,
    ) -> Result<Streamed> {
        let endpoint = format!("{}{path}", self.base);
        self.runtime.block_on(async {
            let started = Instant::now();
            let mut request = self.http.post(&endpoint).json(body);
            if let Some(token) = &self.token {
                request = request.bearer_auth(token.expose_secret());
            }
            let response = request
                .send()
                .await
                .with_context(|| format!("cannot reach {endpoint}"))?;
            let status = response.status();
            if !status.is_success() {
                let bytes = response.bytes().await.unwrap_or_default();
                bail!("{}", self.refusal(&endpoint, status.as_u16(), &bytes, body));
            }
            let mut reader = AnswerReader::new(0.0);
            let mut body_stream = response.bytes_stream();
            while let Some(bytes) = body_stream.next().await {
                let bytes = bytes.with_context(|| format!("reading the answer from {endpoint}"))?;
                if reader.feed(&bytes, ms(started), &mut on_text)? == Flow::Enough {
                    break;
                }
            }
            // Dropping the body closes the connection: the proxy sees the client go away and
            // stops the upstream's generation.
            drop(body_stream);
            let streamed = reader.finish(ms(started))?;
            Ok(streamed)
        })
    }

    /// The one-line error for a refused request.
    fn refusal(&self, endpoint: &str, status: u16, bytes: &[u8], body: &Value) -> String {
        let message = serde_json::from_slice::<ErrorBody>(bytes)
            .map(|b| b.error.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into());
        let model = body["model"].as_str().unwrap_or_default();
        match status {
            401 if self.token.is_none() => {
                format!("{endpoint} needs a client token (401: {message}); set {TOKEN_ENV}")
            }
            401 => format!("{endpoint} rejected the client token in {TOKEN_ENV} (401: {message})"),
            403 => format!(
                "{endpoint} does not allow model {model:?} for this token (403: {message}); pass --alias with one it may use"
            ),
            404 => format!(
                "{endpoint} was not found (404: {message}); is --proxy the proxy's address?"
            ),
            _ => format!("{endpoint} answered {status}: {message}"),
        }
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}
