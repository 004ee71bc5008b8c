//! Upstream providers behind one trait. Every implementation takes the client's typed request
//! (`request::ModelRequest`, whose `extra` fields pass through) and returns the OpenAI wire
//! format as JSON values, translating internally when the provider speaks something else
//! (Anthropic). Timeouts for the response head live here; the
//! first-event and idle timeouts of streams are applied by the caller (`retry`, `stream`).

pub mod anthropic;
pub mod openai;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Serialize;
use serde_json::Value;

use crate::config::{Limits, Provider, ProviderKind};
use crate::error::AppError;
use crate::request::ModelRequest;

/// Streamed events, each already an OpenAI chunk object.
pub type EventStream = BoxStream<'static, Result<Value, UpstreamError>>;

/// Why an upstream call failed. Messages are for logs; clients see [`AppError`]'s words.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    #[error("upstream returned HTTP {status}: {}", message.as_deref().unwrap_or("(no structured error)"))]
    Status {
        status: u16,
        retry_after: Option<u64>,
        /// The `error.message` of the upstream's structured (JSON) error body, if it sent one.
        /// It can echo the prompt: logged at debug only (see [`UpstreamError::summary`]).
        message: Option<String>,
    },
    /// Anthropic `overloaded_error` (HTTP 529 or in-stream): retryable.
    #[error("upstream overloaded: {0}")]
    Overloaded(String),
    /// Any other error event inside a stream.
    #[error("upstream stream error: {0}")]
    InStream(String),
    #[error("timed out waiting for the upstream's first byte")]
    FirstByteTimeout,
    #[error("upstream stream went idle")]
    IdleTimeout,
    #[error("upstream stream ended before completion")]
    Truncated,
    #[error("upstream connection failed: {0}")]
    Transport(String),
    #[error("malformed upstream response: {0}")]
    Decode(String),
    /// The provider cannot serve this endpoint (e.g. FIM on Anthropic): a client error.
    #[error("{0}")]
    Unsupported(String),
}

impl UpstreamError {
    /// Worth another attempt at the same upstream (only ever before the first byte).
    pub fn is_retryable(&self) -> bool {
        match self {
            UpstreamError::Status { status, .. } => {
                matches!(status, 408 | 409 | 429 | 500 | 502 | 503 | 504 | 529)
            }
            UpstreamError::Overloaded(_) | UpstreamError::Transport(_) => true,
            _ => false,
        }
    }

    /// Worth trying the next alias in the fallback list: anything that is not the client's fault.
    pub fn allows_fallback(&self) -> bool {
        match self {
            UpstreamError::Status { status, .. } => {
                *status == 429 || *status >= 500 || *status == 401 || *status == 403
            }
            UpstreamError::Unsupported(_) => false,
            _ => true,
        }
    }

    /// The client-facing error.
    pub fn into_app_error(self) -> AppError {
        match self {
            UpstreamError::Status {
                status: 429,
                retry_after,
                ..
            } => AppError::UpstreamRateLimited {
                retry_after_secs: retry_after,
            },
            // The client's own request was refused: it gets the upstream's structured message
            // (about its own input), never an unstructured body (an HTML error page, a proxy's
            // text), which may carry anything.
            UpstreamError::Status {
                status: status @ (400 | 404 | 422),
                message,
                ..
            } => AppError::InvalidRequest(match message {
                Some(m) => format!("the upstream rejected the request: {m}"),
                None => format!("the upstream rejected the request (HTTP {status})"),
            }),
            UpstreamError::FirstByteTimeout | UpstreamError::IdleTimeout => {
                AppError::UpstreamTimeout
            }
            UpstreamError::Unsupported(m) => AppError::InvalidRequestCode {
                message: m,
                code: "unsupported_by_upstream",
            },
            other => AppError::UpstreamFailed(other.summary()),
        }
    }

    /// What went wrong without anything the upstream wrote: upstream error messages can echo
    /// prompt fragments, so logs at info and above carry this, and the detail (`Display`) is
    /// logged at debug only.
    pub fn summary(&self) -> String {
        match self {
            UpstreamError::Status { status, .. } => format!("upstream returned HTTP {status}"),
            UpstreamError::Overloaded(_) => "upstream overloaded".to_owned(),
            UpstreamError::InStream(_) => "upstream stream error".to_owned(),
            // serde's messages quote the offending value.
            UpstreamError::Decode(_) => "malformed upstream response".to_owned(),
            // Our own words, or a transport error chain (no upstream text).
            UpstreamError::Transport(_)
            | UpstreamError::Unsupported(_)
            | UpstreamError::FirstByteTimeout
            | UpstreamError::IdleTimeout
            | UpstreamError::Truncated => self.to_string(),
        }
    }
}

/// One provider. `request` already names the upstream's model (the retry loop set it).
pub trait Upstream: Send + Sync {
    /// A non-streaming call; returns the OpenAI-format response body.
    fn call<'a>(&'a self, request: &'a ModelRequest)
    -> BoxFuture<'a, Result<Value, UpstreamError>>;

    /// A streaming call; resolves once the response head arrived.
    fn stream<'a>(
        &'a self,
        request: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<EventStream, UpstreamError>>;
}

/// Builds the upstream for one configured provider.
pub fn build(provider: &Provider, http: reqwest::Client, limits: &Limits) -> Arc<dyn Upstream> {
    let conn = Connection {
        http,
        base: provider.base_url.as_str().trim_end_matches('/').to_owned(),
        api_key: provider.api_key.clone(),
        head_timeout: limits.first_byte_timeout(),
        body_timeout: limits.idle_timeout(),
    };
    match provider.kind {
        ProviderKind::Anthropic => Arc::new(anthropic::Anthropic { conn }),
        ProviderKind::Openai | ProviderKind::OpenaiCompatible | ProviderKind::Ollama => {
            Arc::new(openai::OpenAi { conn })
        }
    }
}

/// What every HTTP upstream needs: the shared client, its root URL, key and head timeouts.
#[derive(Clone)]
pub struct Connection {
    pub http: reqwest::Client,
    /// API root without a trailing slash.
    pub base: String,
    pub api_key: Option<secrecy::SecretString>,
    /// Deadline for the response head.
    pub head_timeout: Duration,
    /// Deadline for reading a non-streamed body after the head.
    pub body_timeout: Duration,
}

impl Connection {
    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path)
    }

    /// POSTs JSON and returns the response once its head arrived with a 2xx status.
    pub async fn post<B: Serialize + ?Sized>(
        &self,
        path: &str,
        headers: HeaderMap,
        body: &B,
    ) -> Result<reqwest::Response, UpstreamError> {
        let send = self
            .http
            .post(self.url(path))
            .headers(headers)
            .json(body)
            .send();
        let resp = tokio::time::timeout(self.head_timeout, send)
            .await
            .map_err(|_| UpstreamError::FirstByteTimeout)?
            .map_err(|e| UpstreamError::Transport(without_url(&e)))?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let text = tokio::time::timeout(self.body_timeout, resp.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let message = error_message(&text);
        if message.is_none() {
            let head: String = text.chars().take(200).collect();
            tracing::debug!(status, body = %head, "unstructured upstream error body");
        }
        Err(UpstreamError::Status {
            status,
            retry_after,
            message,
        })
    }

    /// Reads a whole JSON body within the body timeout, refusing bodies above
    /// [`MAX_UPSTREAM_BODY`] so a broken upstream cannot exhaust the proxy's memory.
    pub async fn json(&self, resp: reqwest::Response) -> Result<Value, UpstreamError> {
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_UPSTREAM_BODY as u64)
        {
            return Err(UpstreamError::Decode("upstream body too large".into()));
        }
        let read = async {
            let mut body = Vec::new();
            let mut chunks = resp.bytes_stream();
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk.map_err(|e| UpstreamError::Transport(without_url(&e)))?;
                if body.len() + chunk.len() > MAX_UPSTREAM_BODY {
                    return Err(UpstreamError::Decode("upstream body too large".into()));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        };
        let bytes = tokio::time::timeout(self.body_timeout, read)
            .await
            .map_err(|_| UpstreamError::IdleTimeout)??;
        serde_json::from_slice(&bytes).map_err(|e| UpstreamError::Decode(e.to_string()))
    }
}

/// Largest non-streamed upstream body read (embeddings of large batches are the big ones).
pub const MAX_UPSTREAM_BODY: usize = 64 * 1024 * 1024;

/// reqwest errors print the URL; upstream URLs are config, not for logs shipped to clients.
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "connect"
    } else if e.is_timeout() {
        "timeout"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    format!("{kind} error: {detail}")
}

/// The `error.message` of an OpenAI/Anthropic error body; `None` for anything unstructured.
fn error_message(text: &str) -> Option<String> {
    serde_json::from_str::<Value>(text).ok().and_then(|v| {
        v.pointer("/error/message")
            .and_then(Value::as_str)
            .map(str::to_owned)
    })
}

/// Seconds since the Unix epoch, for the `created` field of translated responses.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
