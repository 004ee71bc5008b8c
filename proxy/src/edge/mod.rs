//! The real [`Edge`]: authentication, SSRF guard, rate limits and budgets, response cache,
//! cost accounting and metrics, plugged into the request path through `state::Edge`, and the
//! HTTP layers `app` wraps the router in (CORS, request ids and access logs).
//!
//! Each concern is one file below; this one assembles them. They see headers, the client's JSON
//! body, the caller and the resolved route, never the handlers, retries or upstreams.
//!
//! Built once from the validated config by [`ProxyEdge::from_config`]. Shared state (limits,
//! budgets, cache) goes through one [`store::Store`]: memory by default, Redis when
//! `cache.redis_url` is set, so several processes enforce one limit and share one cache.
//! With no `[[clients]]` in the config every request is refused (401): a gateway holding
//! provider keys must never be open by default.

pub mod auth;
pub mod cache;
pub mod cors;
pub mod cost;
pub mod guard;
pub mod limits;
pub mod logging;
pub mod metrics;
pub mod store;
pub mod tokens;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::http::HeaderMap;
use protocol::Usage;
use serde_json::Value;

use auth::{AuthError, Clients};
use cache::{Cached, Kind, ResponseCache};
use cors::{Allowlist, BadOrigin};
use cost::Pricing;
use limits::{LimitError, Limiter};
use metrics::Metrics;
use store::{Clock, StoreError, SystemClock};
use tokens::Issuers;

use crate::config::{Config, ModelRoute, StoreFailure};
use crate::error::AppError;
use crate::request::Endpoint;
use crate::state::{CachedReply, Caller, Client, Edge, Observation, Outcome, Reservation};

/// Why the edge could not be built from a config.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error(transparent)]
    Clients(#[from] auth::ClientsError),
    #[error(transparent)]
    Cors(#[from] BadOrigin),
    #[error("cache.redis_url: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Issuers(String),
}

/// The edge of one proxy process.
#[derive(Debug, Clone)]
pub struct ProxyEdge {
    clients: Clients,
    /// Verifiers of signed per-user tokens (`[[issuers]]`).
    issuers: Arc<Issuers>,
    /// `limits.on_store_failure`: refuse (503) or admit uncounted when the store fails.
    on_store_failure: StoreFailure,
    limiter: Limiter,
    cache: Option<ResponseCache>,
    pricing: Arc<HashMap<String, Pricing>>,
    metrics: Metrics,
    clock: Arc<dyn Clock>,
    /// `logging.log_bodies`: off by default, because prompts are user data.
    log_bodies: bool,
    /// `limits.refused_per_minute`: 401/403 answers per client address and minute (0 = no limit).
    refused_per_minute: u64,
}

impl From<AuthError> for AppError {
    fn from(_: AuthError) -> Self {
        AppError::Unauthorized
    }
}

impl From<guard::Violation> for AppError {
    fn from(v: guard::Violation) -> Self {
        AppError::InvalidRequestCode {
            message: v.to_string(),
            code: "upstream_override",
        }
    }
}

impl From<LimitError> for AppError {
    fn from(e: LimitError) -> Self {
        match e {
            LimitError::Requests {
                retry_after_secs, ..
            }
            | LimitError::Tokens {
                retry_after_secs, ..
            } => AppError::RateLimited { retry_after_secs },
            LimitError::Budget {
                retry_after_secs, ..
            } => AppError::BudgetExceeded { retry_after_secs },
            e @ LimitError::OverBudget { .. } => AppError::InvalidRequestCode {
                message: e.to_string(),
                code: "request_over_budget",
            },
            // The store is down, not the proxy: retry soon, as for any 503.
            LimitError::Store(_) => AppError::StoreUnavailable {
                retry_after_secs: STORE_RETRY_AFTER_SECS,
            },
        }
    }
}

/// `Retry-After` of a 503 for a store that did not answer: a stall or a restart of Redis is
/// short, and the store's own timeouts already bound every wait.
const STORE_RETRY_AFTER_SECS: u64 = 1;

impl ProxyEdge {
    /// Builds the edge with the wall clock and the store the config names (connecting to
    /// Redis if `cache.redis_url` is set).
    pub async fn from_config(config: &Config) -> Result<Self, EdgeError> {
        let cache = &config.cache;
        let store = store::open(
            cache.redis_url.as_deref(),
            store::Bounds {
                max_entries: cache.max_entries,
                max_bytes: cache.max_bytes,
                connect_timeout: config.redis_connect_timeout(),
                response_timeout: config.redis_response_timeout(),
            },
        )
        .await?;
        Self::with_parts(config, store, Arc::new(SystemClock))
    }

    /// Builds the edge on a given store and clock (tests use a `ManualClock`).
    pub fn with_parts(
        config: &Config,
        store: Arc<dyn store::Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, EdgeError> {
        Allowlist::parse(&config.cors.origins)?;
        let clients = Clients::new(config.clients.iter().map(|c| {
            (
                c.token_sha256.clone(),
                Client {
                    name: c.name.clone(),
                    label: c.name.clone(),
                    models: c.models.clone(),
                    rpm: u64::from(c.rpm),
                    tpm: c.tpm,
                    daily_budget_micro_usd: cost::usd_to_micro(c.daily_budget_usd),
                },
            )
        }))?;
        let pricing = config
            .models
            .iter()
            .map(|m| {
                (
                    m.alias.clone(),
                    Pricing {
                        input_usd_per_mtok: m.input_usd_per_mtok,
                        output_usd_per_mtok: m.output_usd_per_mtok,
                    },
                )
            })
            .collect();
        let cache = config.cache.enabled.then(|| {
            ResponseCache::new(
                store.clone(),
                Duration::from_secs(config.cache.ttl_secs.max(1)),
                config.cache.max_entry_bytes,
            )
        });
        Ok(Self {
            clients,
            issuers: Arc::new(Issuers::new(&config.issuers).map_err(EdgeError::Issuers)?),
            on_store_failure: config.limits.on_store_failure,
            limiter: Limiter::new(store),
            cache,
            pricing: Arc::new(pricing),
            metrics: Metrics::default(),
            clock,
            log_bodies: config.logging.log_bodies,
            refused_per_minute: config.limits.refused_per_minute,
        })
    }

    /// The metrics this edge records, for the admin listener.
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    fn client(caller: &Caller) -> Option<&Client> {
        caller.data.as_deref()
    }

    /// The prices of an alias (free when unpriced).
    fn price(&self, route: &ModelRoute) -> Pricing {
        self.pricing.get(&route.alias).copied().unwrap_or_default()
    }

    /// The `model` label for a request: a configured alias, `-` when the request failed before
    /// its model was known, and `other` for anything else. Clients choose the requested name
    /// (up to the body limit), so it must never become a label of its own: every new name would
    /// be a new series kept for the life of the process.
    fn model_label<'a>(&self, model: &'a str) -> &'a str {
        if model == "-" || self.pricing.contains_key(model) {
            model
        } else {
            OTHER
        }
    }
}

/// The label value for names that are not configured.
const OTHER: &str = "other";

/// A cached reply in its stored form: JSON as is, a stream as the SSE bytes it was sent as.
fn to_cached(reply: &CachedReply) -> Cached {
    match reply {
        CachedReply::Json(v) => Cached {
            kind: Kind::Json,
            body: v.to_string(),
        },
        CachedReply::Stream(events) => Cached {
            kind: Kind::Sse,
            body: format!("{events}{DONE_EVENT}"),
        },
    }
}

/// The event that ends every stored stream.
const DONE_EVENT: &str = "data: [DONE]\n\n";

fn from_cached(c: Cached) -> Option<CachedReply> {
    match c.kind {
        Kind::Json => serde_json::from_str(&c.body).ok().map(CachedReply::Json),
        Kind::Sse => {
            let mut events = c.body;
            // Only complete streams are stored; anything else is a corrupt entry, so a miss.
            events.truncate(events.strip_suffix(DONE_EVENT)?.len());
            Some(CachedReply::Stream(events))
        }
    }
}

#[async_trait]
impl Edge for ProxyEdge {
    fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, AppError> {
        let token = auth::presented_token(headers).ok_or(AuthError::Missing)?;
        // Static tokens first (one hash); only an unknown token shaped like a JWT is verified.
        let client = match self.clients.lookup(token) {
            Some(client) => client,
            None if !self.issuers.is_empty() && tokens::looks_like_jwt(token) => {
                let user = self
                    .issuers
                    .verify(token, self.clock.now_ms())
                    .map_err(|e| {
                        // The reason only: the token is a credential and never logged.
                        tracing::info!(reason = %e, "signed token refused");
                        AppError::TokenRejected {
                            reason: e.to_string(),
                            code: e.code(),
                        }
                    })?;
                Arc::new(user)
            }
            None => return Err(AuthError::Unknown.into()),
        };
        Ok(Caller {
            tenant: client.name.clone(),
            models: Some(client.models.clone()),
            data: Some(client),
        })
    }

    fn guard(&self, headers: &HeaderMap, body: &Value) -> Result<(), AppError> {
        guard::check(headers, body).map_err(|v| {
            tracing::warn!(violation = %v, "rejected a client-chosen upstream");
            AppError::from(v)
        })?;
        // The guard is the first edge step that sees the parsed body of every model route,
        // so the opt-in body log lives here. Bodies never hold tokens or provider keys.
        if self.log_bodies {
            tracing::info!(body = %body, "request body");
        }
        Ok(())
    }

    async fn admit(
        &self,
        caller: &Caller,
        route: &ModelRoute,
        body: &Value,
        completion_tokens: u64,
    ) -> Result<Reservation, AppError> {
        let Some(client) = Self::client(caller) else {
            return Ok(Reservation::default());
        };
        let usage = cost::Usage {
            prompt_tokens: cost::estimate_prompt_tokens(body),
            completion_tokens,
            estimated: true,
        };
        let micro = cost::cost_micro_usd(self.price(route), usage);
        let now_ms = self.clock.now_ms();
        match self
            .limiter
            .admit(client, usage.total(), micro, now_ms)
            .await
        {
            Ok(held) => Ok(Reservation {
                usage: Usage::new(usage.prompt_tokens, usage.completion_tokens),
                ..held
            }),
            Err(LimitError::Store(e)) if self.on_store_failure == StoreFailure::Open => {
                // Fail open: served uncounted (nothing reserved, so settling gives nothing
                // back), and said loudly, since limits and budgets do not hold meanwhile.
                self.metrics.store_failure("admitted");
                tracing::warn!(error = %e, client = %client.name, "store unavailable: admitted without limits (on_store_failure = open)");
                Ok(Reservation {
                    usage: Usage::new(usage.prompt_tokens, usage.completion_tokens),
                    at_ms: now_ms,
                    ..Reservation::default()
                })
            }
            Err(e) => {
                if let LimitError::Store(inner) = &e {
                    self.metrics.store_failure("refused");
                    tracing::warn!(error = %inner, client = %client.name, "store unavailable: refused (on_store_failure = closed)");
                }
                self.metrics.rejection(&client.label, e.code());
                tracing::info!(client = %client.name, reason = e.code(), "request refused by a limit");
                Err(e.into())
            }
        }
    }

    async fn cache_lookup(
        &self,
        caller: &Caller,
        endpoint: Endpoint,
        route: &ModelRoute,
        body: &Value,
    ) -> Option<CachedReply> {
        let cache = self.cache.as_ref()?;
        let key = cache::key(&caller.tenant, &route.alias, endpoint.route(), body)?;
        let hit = match cache.get(&key, self.clock.now_ms()).await {
            Ok(hit) => hit.and_then(from_cached),
            Err(e) => {
                tracing::warn!(error = %e, "cache lookup failed; serving from upstream");
                None
            }
        };
        self.metrics.cache(endpoint.route(), hit.is_some());
        hit
    }

    async fn cache_store(
        &self,
        caller: &Caller,
        endpoint: Endpoint,
        route: &ModelRoute,
        body: &Value,
        reply: CachedReply,
    ) {
        let Some(cache) = self.cache.as_ref() else {
            return;
        };
        let Some(key) = cache::key(&caller.tenant, &route.alias, endpoint.route(), body) else {
            return;
        };
        if let Err(e) = cache
            .put(&key, &to_cached(&reply), self.clock.now_ms())
            .await
        {
            tracing::warn!(error = %e, "cache store failed");
        }
    }

    async fn settle(
        &self,
        caller: &Caller,
        route: &ModelRoute,
        reservation: Reservation,
        outcome: Outcome,
    ) {
        let Some(client) = Self::client(caller) else {
            return;
        };
        let (used, estimated, how) = match outcome {
            Outcome::Used { usage, estimated } => (usage, estimated, "used"),
            Outcome::Abandoned => (reservation.usage, true, "abandoned"),
            Outcome::Nothing => (Usage::new(0, 0), false, "nothing"),
        };
        let usage = cost::Usage {
            prompt_tokens: used.prompt_tokens,
            completion_tokens: used.completion_tokens,
            estimated,
        };
        let micro = cost::cost_micro_usd(self.price(route), usage);
        let spent = self
            .limiter
            .settle(client, reservation, usage.total(), micro)
            .await;
        if usage.total() > 0 {
            self.metrics.usage(
                &client.label,
                &route.alias,
                usage.prompt_tokens,
                usage.completion_tokens,
                cost::micro_to_usd(micro),
            );
        }
        match spent {
            Ok(today) => tracing::info!(
                client = %client.name,
                model = %route.alias,
                outcome = how,
                prompt_tokens = usage.prompt_tokens,
                completion_tokens = usage.completion_tokens,
                estimated,
                cost_usd = cost::micro_to_usd(micro),
                spent_today_usd = cost::micro_to_usd(today),
                "usage"
            ),
            // The reservation stays counted: erring towards the limit, not past it.
            Err(e) => tracing::warn!(error = %e, "could not settle usage"),
        }
    }

    async fn refuse(&self, address: Option<IpAddr>, error: AppError) -> AppError {
        if self.refused_per_minute == 0 {
            return error;
        }
        // Without a peer address (a server started without connect info) all refusals share
        // one bucket; the binary always serves with connect info.
        let address = address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
        match self
            .limiter
            .refusal(&address, self.refused_per_minute, self.clock.now_ms())
            .await
        {
            Ok(()) => error,
            Err(LimitError::Store(e)) => {
                tracing::warn!(error = %e, "could not count a refused request");
                error
            }
            Err(e) => {
                self.metrics.rejection("-", "too_many_refusals");
                tracing::info!(%address, "refused requests rate-limited");
                e.into()
            }
        }
    }

    fn observe(&self, o: &Observation) {
        let model = self.model_label(&o.model);
        self.metrics.request(o.route, model, o.status, o.latency);
        if let Some(t) = o.time_to_first_token {
            self.metrics.first_token(o.route, model, t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn streams_round_trip_through_their_sse_form() {
        let reply = CachedReply::Stream("data: {\"a\":1}\n\ndata: {\"b\":\"x\"}\n\n".into());
        let stored = to_cached(&reply);
        assert_eq!(
            stored.body,
            "data: {\"a\":1}\n\ndata: {\"b\":\"x\"}\n\ndata: [DONE]\n\n"
        );
        assert!(cache::sse_completed(&stored.body));
        assert_eq!(from_cached(stored), Some(reply));
        let json = CachedReply::Json(json!({"id": "x"}));
        assert_eq!(from_cached(to_cached(&json)), Some(json));
    }

    #[test]
    fn limit_errors_map_to_openai_codes() {
        let e: AppError = LimitError::Budget {
            budget_usd: 1.0,
            retry_after_secs: 5,
        }
        .into();
        assert_eq!(e.parts().2, Some("budget_exceeded"));
        let e: AppError = LimitError::Requests {
            limit: 1,
            retry_after_secs: 5,
        }
        .into();
        assert_eq!(e.parts().0.as_u16(), 429);
    }
}
