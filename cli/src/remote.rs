//! `--embedder remote`: chunk and query vectors from an OpenAI-compatible `POST /v1/embeddings`,
//! meant to be pilotfish-proxy, which holds the provider key. The CLI sends only the client
//! token from `PILOTFISH_TOKEN` (an environment variable, never a flag, so it stays out of shell
//! history and process listings, and it is never printed).
//!
//! Inputs go out in batches (`input` arrays), a bounded number of requests at a time; 429, 5xx and
//! connection errors are retried with exponential backoff, honouring `Retry-After`. Every answer is
//! checked before it is used: one vector per input, `index` fields that are exactly `0..n`, and the
//! same dimension count throughout. Vectors are L2-normalised here, because the engine's vector
//! index scores by dot product and providers do not all normalise.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use backon::{ExponentialBuilder, Retryable};
use engine::embed::{EmbedError, Embedder};
use futures::{StreamExt, TryStreamExt};
use protocol::{EmbeddingRequest, EmbeddingResponse, ErrorBody};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

/// The demo proxy's address (`pilotfish-proxy` with its default `listen`).
pub const DEFAULT_URL: &str = "http://127.0.0.1:8787";
/// The environment variable holding the client token.
pub const TOKEN_ENV: &str = "PILOTFISH_TOKEN";
/// Embedder ids of remote indexes start with this; the rest names the model (and dimensions).
pub const ID_PREFIX: &str = "remote:";
/// The longest `Retry-After` waited for; a longer one ends the run with a clear error instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How to reach the endpoint (shared by `index` and `search`).
#[derive(Debug, Clone, clap::Args)]
pub struct RemoteConnection {
    /// Base URL of the OpenAI-compatible endpoint for `--embedder remote` (pilotfish-proxy);
    /// `/v1/embeddings` is appended. The client token is read from PILOTFISH_TOKEN.
    #[arg(long, env = "PILOTFISH_REMOTE_URL", default_value = DEFAULT_URL)]
    pub remote_url: String,
    /// Texts per embeddings request.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=2048))]
    pub remote_batch: u32,
    /// Embeddings requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub remote_concurrency: u32,
    /// Attempts per request when the endpoint answers 429 or 5xx or cannot be reached.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub remote_attempts: u32,
    /// First retry delay in milliseconds (doubles per attempt, with jitter, up to 10 s).
    #[arg(long, default_value_t = 250)]
    pub remote_backoff_ms: u64,
}

/// Which model the index asks for; recorded in the index's embedder id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteModel {
    /// The model (a proxy alias such as `embed`).
    pub name: String,
    /// Requested output size (OpenAI `dimensions`), when the model supports choosing it.
    pub dimensions: Option<usize>,
}

impl RemoteModel {
    /// The embedder id: `remote:MODEL` or `remote:MODEL?dimensions=N`.
    pub fn id(&self) -> String {
        match self.dimensions {
            Some(d) => format!("{ID_PREFIX}{}?dimensions={d}", self.name),
            None => format!("{ID_PREFIX}{}", self.name),
        }
    }

    /// Parses an embedder id written by [`RemoteModel::id`]; `None` for other embedders.
    pub fn from_id(id: &str) -> Option<RemoteModel> {
        let rest = id.strip_prefix(ID_PREFIX)?;
        Some(match rest.split_once("?dimensions=") {
            Some((name, d)) => RemoteModel {
                name: name.to_owned(),
                dimensions: Some(d.parse().ok()?),
            },
            None => RemoteModel {
                name: rest.to_owned(),
                dimensions: None,
            },
        })
    }
}

/// Something that went wrong with one request; the retryable kinds are retried.
#[derive(Debug, thiserror::Error)]
enum RequestError {
    /// 429 or 5xx, with the `Retry-After` seconds when sent.
    #[error("{status} {message}")]
    Transient {
        status: u16,
        message: String,
        retry_after: Option<u64>,
    },
    /// Connection refused, reset or timed out.
    #[error("{0}")]
    Connection(String),
    /// Anything retrying cannot fix (already a full sentence for the user).
    #[error("{0}")]
    Fatal(String),
}

impl RequestError {
    fn retryable(&self) -> bool {
        !matches!(self, RequestError::Fatal(_))
    }
}

/// The remote embedder. One HTTP client and one small async runtime serve all its requests.
pub struct RemoteEmbedder {
    endpoint: String,
    model: RemoteModel,
    id: String,
    token: Option<SecretString>,
    connection: RemoteConnection,
    /// The dimension count every vector must have: the requested one, else the first answer's.
    dimensions: OnceLock<usize>,
    requests: AtomicUsize,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for RemoteEmbedder {
    // Hand-written so the token can never reach a log or an error message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteEmbedder")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl RemoteEmbedder {
    /// An embedder for `model` at `connection.remote_url`, with the token from the environment.
    pub fn new(connection: &RemoteConnection, model: RemoteModel) -> Result<Self> {
        let token = std::env::var(TOKEN_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .map(|t| SecretString::from(t.trim().to_owned()));
        let base = connection.remote_url.trim_end_matches('/');
        let url = reqwest::Url::parse(base)
            .with_context(|| format!("--remote-url {base:?} is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            bail!("--remote-url {base:?} must be an http:// or https:// URL");
        }
        let http = reqwest::Client::builder()
            // The token must only ever go to the address the user named.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .context("building the HTTP client")?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let dimensions = OnceLock::new();
        if let Some(d) = model.dimensions {
            let _ = dimensions.set(d);
        }
        Ok(RemoteEmbedder {
            endpoint: format!("{base}/v1/embeddings"),
            id: model.id(),
            model,
            token,
            connection: connection.clone(),
            dimensions,
            requests: AtomicUsize::new(0),
            http,
            runtime,
        })
    }

    /// HTTP requests sent so far, retries included.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Embeds `texts` in batches, `--remote-concurrency` requests at a time, calling
    /// `progress(done)` with the number of texts embedded so far after each batch.
    pub fn embed_all(&self, texts: &[&str], progress: &dyn Fn(usize)) -> Result<Vec<Vec<f32>>> {
        let batch = self.connection.remote_batch as usize;
        let done = AtomicUsize::new(0);
        let batches = texts.chunks(batch).map(|b| async {
            let vectors = self.embed_batch(b).await?;
            progress(done.fetch_add(b.len(), Ordering::Relaxed) + b.len());
            Ok::<_, anyhow::Error>(vectors)
        });
        let results: Vec<Vec<Vec<f32>>> = self.runtime.block_on(
            futures::stream::iter(batches)
                .buffered(self.connection.remote_concurrency as usize)
                .try_collect(),
        )?;
        Ok(results.into_iter().flatten().collect())
    }

    async fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let attempts = self.connection.remote_attempts as usize;
        let first = Duration::from_millis(self.connection.remote_backoff_ms.max(1));
        let backoff = ExponentialBuilder::default()
            .with_min_delay(first)
            .with_max_delay(first.max(Duration::from_secs(10)))
            .with_max_times(attempts.saturating_sub(1))
            .with_jitter();
        let answer = (|| self.send(texts))
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(RequestError::retryable)
            .adjust(|e, planned| {
                // Only while attempts remain (`planned` is `None` once they are used up).
                let planned = planned?;
                match e {
                    RequestError::Transient {
                        retry_after: Some(secs),
                        ..
                    } => {
                        let wanted = Duration::from_secs(*secs);
                        (wanted <= MAX_RETRY_AFTER).then_some(wanted)
                    }
                    _ => Some(planned),
                }
            })
            .await;
        match answer {
            Ok(response) => self.check(texts.len(), response),
            Err(RequestError::Fatal(message)) => bail!(message),
            Err(RequestError::Transient {
                retry_after: Some(secs),
                status: 429,
                ..
            }) if Duration::from_secs(secs) > MAX_RETRY_AFTER => bail!(
                "{} is rate limited and asks to retry after {secs} s; try again later",
                self.endpoint
            ),
            Err(e) => bail!(
                "embedding request to {} failed after {attempts} attempt(s): {e}",
                self.endpoint
            ),
        }
    }

    /// One HTTP request; the answer is parsed but not yet checked.
    async fn send(&self, texts: &[&str]) -> Result<EmbeddingResponse, RequestError> {
        let mut extra = Map::new();
        extra.insert("encoding_format".into(), json!("float"));
        if let Some(d) = self.model.dimensions {
            extra.insert("dimensions".into(), json!(d));
        }
        let body = EmbeddingRequest {
            model: self.model.name.clone(),
            input: json!(texts),
            extra,
        };
        let mut request = self.http.post(&self.endpoint).json(&body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose_secret());
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = request
            .send()
            .await
            .map_err(|e| RequestError::Connection(error_chain(&e)))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = response
            .bytes()
            .await
            .map_err(|e| RequestError::Connection(error_chain(&e)))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| {
                RequestError::Fatal(format!(
                    "{} answered 200 with a body that is not an embeddings response: {e}",
                    self.endpoint
                ))
            });
        }
        let message = serde_json::from_slice::<ErrorBody>(&bytes)
            .map(|b| b.error.message)
            .unwrap_or_else(|_| snippet(&bytes));
        let model = &self.model.name;
        let code = status.as_u16();
        Err(match code {
            429 | 500..=599 => RequestError::Transient {
                status: code,
                message,
                retry_after,
            },
            401 if self.token.is_none() => RequestError::Fatal(format!(
                "{} needs a client token (401: {message}); set {TOKEN_ENV}",
                self.endpoint
            )),
            401 => RequestError::Fatal(format!(
                "{} rejected the client token in {TOKEN_ENV} (401: {message})",
                self.endpoint
            )),
            403 => RequestError::Fatal(format!(
                "{} does not allow model {model:?} for this token (403: {message}); pass --remote-model with an alias the token may use",
                self.endpoint
            )),
            404 => RequestError::Fatal(format!(
                "{} was not found (404: {message}); is --remote-url the proxy's address?",
                self.endpoint
            )),
            413 => RequestError::Fatal(format!(
                "{} refused a batch as too large (413: {message}); lower --remote-batch",
                self.endpoint
            )),
            400 => RequestError::Fatal(format!(
                "{} refused the request (400: {message})",
                self.endpoint
            )),
            _ => RequestError::Fatal(format!("{} answered {status} ({message})", self.endpoint)),
        })
    }

    /// Puts the vectors in input order and checks them; normalises each to unit length.
    fn check(&self, inputs: usize, response: EmbeddingResponse) -> Result<Vec<Vec<f32>>> {
        let endpoint = &self.endpoint;
        if response.data.len() != inputs {
            bail!(
                "{endpoint} returned {} embeddings for {inputs} inputs",
                response.data.len()
            );
        }
        let mut slots: Vec<Option<Vec<f32>>> = vec![None; inputs];
        for item in response.data {
            let i = item.index as usize;
            if i >= inputs || slots[i].is_some() {
                bail!(
                    "{endpoint} returned embeddings whose `index` fields do not line up with the inputs (index {i} for {inputs} inputs, or repeated)"
                );
            }
            let Value::Array(values) = item.embedding else {
                bail!("{endpoint} returned embedding {i} that is not an array of numbers");
            };
            let mut vector = Vec::with_capacity(values.len());
            for v in values {
                match v.as_f64() {
                    Some(x) if x.is_finite() => vector.push(x as f32),
                    _ => bail!("{endpoint} returned embedding {i} with a non-numeric component"),
                }
            }
            let expected = *self.dimensions.get_or_init(|| vector.len());
            if vector.len() != expected {
                bail!(
                    "{endpoint} returned a {}-dimensional embedding, expected {expected} dimensions (model {:?})",
                    vector.len(),
                    self.model.name
                );
            }
            if vector.is_empty() {
                bail!("{endpoint} returned an empty embedding");
            }
            normalise(&mut vector);
            slots[i] = Some(vector);
        }
        Ok(slots.into_iter().flatten().collect())
    }
}

impl Embedder for RemoteEmbedder {
    fn id(&self) -> &str {
        &self.id
    }

    fn dimensions(&self) -> usize {
        self.dimensions.get().copied().unwrap_or(0)
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_all(texts, &|_| {})
            .map_err(|e| EmbedError::Inference(format!("{e:#}")))
    }
}

/// Vectors embedded ahead of indexing (in large cross-file batches), served by text; anything
/// not prefetched (a file that changed in between) goes to the remote embedder.
#[derive(Debug)]
pub struct Prefetched<'a> {
    pub remote: &'a RemoteEmbedder,
    pub vectors: HashMap<String, Vec<f32>>,
}

impl Embedder for Prefetched<'_> {
    fn id(&self) -> &str {
        self.remote.id()
    }

    fn dimensions(&self) -> usize {
        self.remote.dimensions()
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let missing: Vec<&str> = texts
            .iter()
            .copied()
            .filter(|t| !self.vectors.contains_key(*t))
            .collect();
        let mut fresh = self.remote.embed(&missing)?.into_iter();
        Ok(texts
            .iter()
            .map(|t| match self.vectors.get(*t) {
                Some(v) => v.clone(),
                None => fresh.next().unwrap_or_default(),
            })
            .collect())
    }
}

fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// The error and its causes on one line (reqwest keeps the useful part, e.g. "connection
/// refused", in the source chain).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The start of a non-JSON error body, on one line.
fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    line.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_with_and_without_dimensions() {
        for model in [
            RemoteModel {
                name: "embed".into(),
                dimensions: None,
            },
            RemoteModel {
                name: "text-embedding-3-small".into(),
                dimensions: Some(256),
            },
        ] {
            assert_eq!(RemoteModel::from_id(&model.id()), Some(model));
        }
        assert_eq!(RemoteModel::from_id("minilm:abc"), None);
        assert_eq!(RemoteModel::from_id("remote:e?dimensions=x"), None);
    }

    #[test]
    fn normalise_gives_unit_length_and_leaves_zero_alone() {
        let mut v = vec![3.0, 4.0];
        normalise(&mut v);
        assert_eq!(v, vec![0.6, 0.8]);
        let mut z = vec![0.0, 0.0];
        normalise(&mut z);
        assert_eq!(z, vec![0.0, 0.0]);
    }
}
