//! What the host passes to `configureAssistant`: where the proxy is, the client token, the
//! routing table, prices, cache bounds, where the cache persists and the debounce bounds. It
//! crosses as one JSON string, so a misspelt key is an error.

use assist::cache::CacheConfig;
use assist::debounce::DebounceConfig;
use assist::metrics::PriceTable;
use assist::routing::{RouteOverrides, Routes};
use serde::Deserialize;

use crate::error::Error;

/// `configureAssistant`'s argument.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssistantOptions {
    /// The proxy's origin (`http://127.0.0.1:8787`); a trailing `/v1` is accepted too.
    pub proxy_url: String,
    /// The client token the proxy knows this person by (sent as a bearer token, never logged).
    pub token: Option<String>,
    /// Task → alias (or escalation ladder) overrides, e.g. `{"chat": "chat-mini"}`.
    #[serde(default)]
    pub routes: RouteOverrides,
    /// Prices per alias, for the cost in `metrics()`.
    #[serde(default)]
    pub prices: PriceTable,
    #[serde(default)]
    pub cache: CacheOptions,
    /// The IndexedDB database the response cache persists in; absent: memory only.
    pub persist: Option<String>,
    #[serde(default)]
    pub debounce: DebounceOptions,
}

/// Bounds of the response cache (defaults: 512 entries, 4 MiB, 24 hours).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CacheOptions {
    pub max_entries: Option<usize>,
    pub max_bytes: Option<usize>,
    pub ttl_ms: Option<u64>,
}

/// Bounds of the adaptive debounce (defaults: 50–400 ms, 150 ms until typing is learned).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DebounceOptions {
    pub min_ms: Option<u64>,
    pub max_ms: Option<u64>,
    pub initial_ms: Option<u64>,
}

impl AssistantOptions {
    /// The proxy's origin without a trailing `/` or `/v1`; only http(s) URLs.
    pub fn proxy_base(&self) -> Result<String, Error> {
        let base = self
            .proxy_url
            .trim()
            .trim_end_matches('/')
            .trim_end_matches("/v1")
            .to_owned();
        let scheme_ok = ["http://", "https://"]
            .iter()
            .any(|scheme| base.len() > scheme.len() && base.starts_with(scheme));
        if !scheme_ok {
            return Err(Error::Argument {
                argument: "options.proxyUrl",
                message: format!("{:?} is not an http:// or https:// URL", self.proxy_url),
            });
        }
        Ok(base)
    }

    pub fn routes(&self) -> Result<Routes, Error> {
        Routes::with_overrides(&self.routes).map_err(|error| Error::Argument {
            argument: "options.routes",
            message: error.to_string(),
        })
    }

    pub fn cache_config(&self) -> CacheConfig {
        let default = CacheConfig::default();
        CacheConfig {
            max_entries: self.cache.max_entries.unwrap_or(default.max_entries),
            max_bytes: self.cache.max_bytes.unwrap_or(default.max_bytes),
            ttl_ms: self.cache.ttl_ms.or(default.ttl_ms),
        }
    }

    pub fn debounce_config(&self) -> DebounceConfig {
        let default = DebounceConfig::default();
        DebounceConfig {
            min_ms: self.debounce.min_ms.unwrap_or(default.min_ms),
            max_ms: self.debounce.max_ms.unwrap_or(default.max_ms),
            initial_ms: self.debounce.initial_ms.unwrap_or(default.initial_ms),
            ..default
        }
    }
}
