//! The state at the bottom of the request path: what every handler, the retry loop, the stream
//! and the edge share.
//!
//! [`AppState`] holds the validated config, the ONE outbound HTTP client (redirects off, connect
//! timeout), the upstream registry (provider name → [`Upstream`]) and the [`Edge`]: the seam
//! through which the edge concerns (authentication, SSRF guard, rate limits and budgets, response
//! cache, usage accounting, metrics) plug into the request path. The default [`PassThrough`] edge
//! admits everything and records nothing, so the request path works and is testable on its own.
//! This file names no handler and no router: `app.rs` assembles those on top of it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::http::HeaderMap;
use protocol::Usage;
use serde_json::Value;

use crate::config::{Config, ModelRoute};
use crate::error::AppError;
use crate::request::Endpoint;
use crate::upstream::{self, Upstream};

/// Who is calling, as the request path needs to know it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Tenant name: used for cache keys, limits, metrics and logs.
    pub tenant: String,
    /// Aliases (or upstream model names) this caller may use; `None` means every alias.
    pub models: Option<Vec<String>>,
    /// The configured client the edge authenticated, with its limits and budget, for the
    /// edge's later steps; `None` for callers no client table knows (the pass-through edge).
    pub data: Option<Arc<Client>>,
}

impl Caller {
    /// A caller allowed to use every alias (what the pass-through edge returns).
    pub fn anonymous() -> Self {
        Caller {
            tenant: "anonymous".to_owned(),
            models: None,
            data: None,
        }
    }

    /// Whether this caller may ask for `name` (an alias or an upstream model name).
    pub fn allows(&self, name: &str) -> bool {
        self.models
            .as_ref()
            .is_none_or(|m| m.iter().any(|a| a == name))
    }
}

/// One configured client (a `[[clients]]` entry) as the edge authenticated it. It lives here,
/// below the edge, because [`Caller::data`] carries it through the request path to the edge's
/// later steps (limits, budget, usage).
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    /// Who this is: the configured client's name, or `issuer/sub` for a user with a signed
    /// token. Used in limit, budget and cache keys and in logs, so each user has their own.
    pub name: String,
    /// The metrics label: the configured client or issuer name. Never the `sub`: users are
    /// unbounded in number, and each label value is a series kept for the life of the process.
    pub label: String,
    /// Model aliases (or allowed model names) this client may ask for.
    pub models: Vec<String>,
    /// Requests per minute; 0 means unlimited.
    pub rpm: u64,
    /// Tokens per minute; 0 means unlimited.
    pub tpm: u64,
    /// Daily budget in micro-dollars (UTC day); 0 means unlimited.
    pub daily_budget_micro_usd: u64,
}

impl Client {
    pub fn allows_model(&self, model: &str) -> bool {
        self.models.iter().any(|m| m == model)
    }
}

/// A cached answer: a JSON body, or a completed stream as the SSE text it was sent as (one
/// `data: {chunk}\n\n` event per chunk, without the closing `data: [DONE]`), replayed as is.
/// Text rather than parsed chunks, so a recording costs its bytes and no more.
#[derive(Debug, Clone, PartialEq)]
pub enum CachedReply {
    Json(Value),
    Stream(String),
}

/// What admission set aside against the caller's token limit and daily budget, held until the
/// request settles. The windows it holds are the ones of `at_ms`, so a request that ends in the
/// next minute or day corrects the counters it reserved in, not fresh ones.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Reservation {
    /// The estimate reserved: the prompt, and `n` × `max_tokens` of completion.
    pub usage: Usage,
    /// Tokens held in the minute's token window (0 when the client has no token limit).
    pub tokens: u64,
    /// Micro-dollars held in the day's spend (0 when the client has no budget).
    pub micro_usd: u64,
    /// When the reservation was made (Unix milliseconds of the edge's clock).
    pub at_ms: u64,
}

/// How an admitted request ended, for settling its reservation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// The upstream answered, completely or until the stream was cut: what it reported, or an
    /// estimate (`estimated`) from the text that passed.
    Used { usage: Usage, estimated: bool },
    /// The client left before the proxy saw any of the answer (a non-streaming request, or a
    /// stream before its first content). The upstream may have generated up to the limit, so
    /// the reservation is charged.
    Abandoned,
    /// Nothing was generated for the client: the upstream failed, or the cache answered.
    Nothing,
}

/// What the request path reports about one finished request (for metrics and logs).
#[derive(Debug, Clone)]
pub struct Observation {
    /// Route path, e.g. `/v1/chat/completions`.
    pub route: &'static str,
    /// Alias actually served (after fallbacks), or the requested name when unresolved.
    pub model: String,
    pub tenant: String,
    pub status: u16,
    /// Time until the response head (non-stream) or the whole request.
    pub latency: Duration,
    /// Time to the first streamed event, for streams.
    pub time_to_first_token: Option<Duration>,
    pub cache_hit: bool,
}

/// The edge of the request path. Every method has a pass-through default; the edge
/// implementation overrides what it provides. Called in this order by every handler:
/// authenticate → guard → (alias resolution) → admit → cache_lookup → (upstream) →
/// settle → cache_store → observe; `refuse` whenever the answer is 401 or 403. Every request
/// admitted is settled exactly once, whichever way it ends (`charge::Charge` sees to it).
#[async_trait]
pub trait Edge: Send + Sync + 'static {
    /// Who is calling; 401 for a missing or unknown token.
    fn authenticate(&self, _headers: &HeaderMap) -> Result<Caller, AppError> {
        Ok(Caller::anonymous())
    }

    /// A request about to be refused with 401 or 403 (`error`), from the peer `address` when
    /// the server knows it: the edge counts it and may answer 429 instead, so strangers and
    /// model-name probes are rate-limited too.
    async fn refuse(&self, _address: Option<IpAddr>, error: AppError) -> AppError {
        error
    }

    /// SSRF guard: rejects headers and top-level body fields that would choose an upstream.
    fn guard(&self, _headers: &HeaderMap, _body: &Value) -> Result<(), AppError> {
        Ok(())
    }

    /// Rate limit and budget check before the upstream call, reserving the request's estimate
    /// (its prompt, from the client's `body`, plus `completion_tokens`: `n` × `max_tokens`).
    async fn admit(
        &self,
        _caller: &Caller,
        _route: &ModelRoute,
        _body: &Value,
        _completion_tokens: u64,
    ) -> Result<Reservation, AppError> {
        Ok(Reservation::default())
    }

    /// A cached answer for this request, if any. `body` is the client's request.
    async fn cache_lookup(
        &self,
        _caller: &Caller,
        _endpoint: Endpoint,
        _route: &ModelRoute,
        _body: &Value,
    ) -> Option<CachedReply> {
        None
    }

    /// Stores a complete answer (only called for successful, complete answers).
    async fn cache_store(
        &self,
        _caller: &Caller,
        _endpoint: Endpoint,
        _route: &ModelRoute,
        _body: &Value,
        _reply: CachedReply,
    ) {
    }

    /// Settles a reservation once the request ended: charges what `outcome` says was used
    /// (priced at `route`, the alias that served it) and gives back the rest.
    async fn settle(
        &self,
        _caller: &Caller,
        _route: &ModelRoute,
        _reservation: Reservation,
        _outcome: Outcome,
    ) {
    }

    /// Metrics for one finished request.
    fn observe(&self, _observation: &Observation) {}
}

/// The edge that admits everything and records nothing.
#[derive(Debug, Default)]
pub struct PassThrough;

impl Edge for PassThrough {}

/// Everything handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// The one outbound client: redirects off, connect timeout from config.
    pub http: reqwest::Client,
    /// Provider name → upstream.
    pub upstreams: Arc<HashMap<String, Arc<dyn Upstream>>>,
    // part B: the edge implementation (auth, guard, limits, cache, cost, metrics).
    pub edge: Arc<dyn Edge>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("providers", &self.upstreams.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State with the pass-through edge.
    pub fn new(config: Config) -> Result<Self, AppError> {
        Self::with_edge(config, Arc::new(PassThrough))
    }

    /// State with a given edge.
    pub fn with_edge(config: Config, edge: Arc<dyn Edge>) -> Result<Self, AppError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.limits.connect_timeout())
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .map_err(|e| AppError::Internal(format!("http client: {e}")))?;
        let upstreams = config
            .providers
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    upstream::build(p, http.clone(), &config.limits),
                )
            })
            .collect();
        Ok(AppState {
            config: Arc::new(config),
            http,
            upstreams: Arc::new(upstreams),
            edge,
        })
    }

    /// The alias chain to try for a requested model name: the alias itself (or the alias whose
    /// upstream model has that name) followed by its fallbacks. 403 when the name is unknown or
    /// not allowed for the caller.
    pub fn resolve(&self, caller: &Caller, requested: &str) -> Result<Vec<ModelRoute>, AppError> {
        let cfg = &self.config;
        let primary = cfg
            .route(requested)
            .filter(|r| caller.allows(&r.alias))
            .or_else(|| {
                cfg.models.iter().find(|r| {
                    r.model == requested && (caller.allows(&r.alias) || caller.allows(&r.model))
                })
            })
            .ok_or_else(|| AppError::ModelNotAllowed(requested.to_owned()))?;
        let mut chain = vec![primary.clone()];
        for f in &primary.fallbacks {
            if let Some(r) = cfg.route(f)
                && !chain.iter().any(|c| c.alias == r.alias)
            {
                chain.push(r.clone());
            }
        }
        Ok(chain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn state() -> AppState {
        let toml = r#"
[[providers]]
name = "p"
kind = "openai-compatible"
base_url = "http://127.0.0.1:9/v1"
[[models]]
alias = "chat"
provider = "p"
model = "big-model"
fallbacks = ["small", "chat", "small"]
[[models]]
alias = "small"
provider = "p"
model = "small-model"
fallbacks = ["chat"]
"#;
        AppState::new(Config::from_toml(toml, |_| None).unwrap()).unwrap()
    }

    fn check(models: Option<&[&str]>, requested: &str, expect: Expect) {
        let caller = Caller {
            tenant: "t".into(),
            models: models.map(|m| m.iter().map(|s| s.to_string()).collect()),
            data: None,
        };
        let got = match state().resolve(&caller, requested) {
            Ok(chain) => chain
                .iter()
                .map(|r| format!("{}={}", r.alias, r.model))
                .collect::<Vec<_>>()
                .join(" -> "),
            Err(e) => format!("error: {e}"),
        };
        expect.assert_eq(&got);
    }

    #[test]
    fn aliases_resolve_to_deduplicated_fallback_chains() {
        check(None, "chat", expect!["chat=big-model -> small=small-model"]);
        check(
            None,
            "small",
            expect!["small=small-model -> chat=big-model"],
        );
        // The upstream model name works for callers allowed its alias.
        check(
            Some(&["small"]),
            "small-model",
            expect!["small=small-model -> chat=big-model"],
        );
        check(
            Some(&["small"]),
            "chat",
            expect!["error: model `chat` is not allowed"],
        );
        check(
            Some(&["small"]),
            "big-model",
            expect!["error: model `big-model` is not allowed"],
        );
        check(
            None,
            "gpt-4o",
            expect!["error: model `gpt-4o` is not allowed"],
        );
    }
}
