//! The proxy's configuration: one TOML file, parsed with serde (`deny_unknown_fields` so a typo is
//! an error, not a silently ignored key) and validated once at start. Provider keys are read from
//! the environment variables the file names and held as `SecretString`, so they never print.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

mod issuers;
pub use issuers::{Issuer, TokenAlgorithm, decoding_key};

/// Everything that can be wrong with a config file; each message names the offending entry.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid config: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("provider `{provider}`: environment variable {var} (api_key_env) is not set or empty")]
    MissingEnv { provider: String, var: String },
    #[error("provider `{provider}`: base_url `{url}` is not an http(s) URL")]
    BadUrl { provider: String, url: String },
    #[error("duplicate provider name `{0}`")]
    DuplicateProvider(String),
    #[error("duplicate model alias `{0}`")]
    DuplicateAlias(String),
    #[error("model alias `{alias}` references unknown provider `{provider}`")]
    UnknownProvider { alias: String, provider: String },
    #[error("model alias `{alias}` lists unknown fallback alias `{fallback}`")]
    UnknownFallback { alias: String, fallback: String },
    #[error("client `{client}` allows unknown model alias `{model}`")]
    UnknownClientModel { client: String, model: String },
    #[error(
        "client `{client}`: token_sha256 must be 64 hex characters (the SHA-256 of the bearer token)"
    )]
    BadTokenHash { client: String },
    #[error("clients `{first}` and `{second}` have the same token")]
    DuplicateToken { first: String, second: String },
    #[error("duplicate client name `{0}`")]
    DuplicateClient(String),
    #[error("cache.redis_url `{0}` is not a redis:// or rediss:// URL")]
    BadRedisUrl(String),
    #[error("{0}")]
    Invalid(String),
}

/// The whole config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address of the OpenAI-compatible API.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Address of the admin listener (`/metrics`); loopback by default.
    #[serde(default = "default_admin_listen")]
    pub admin_listen: SocketAddr,
    /// Allow `admin_listen` on a non-loopback address. `/metrics` carries client names and
    /// spend and has no authentication, so exposing it must be a deliberate choice.
    #[serde(default)]
    pub admin_allow_non_loopback: bool,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub retry: Retry,
    #[serde(default)]
    pub cors: Cors,
    #[serde(default)]
    pub cache: Cache,
    #[serde(default)]
    pub logging: Logging,
    #[serde(default)]
    pub providers: Vec<Provider>,
    #[serde(default)]
    pub models: Vec<ModelRoute>,
    #[serde(default)]
    pub clients: Vec<Client>,
    /// Backends that mint short-lived per-user tokens (JWTs); see `issuers.rs`.
    #[serde(default)]
    pub issuers: Vec<Issuer>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8787))
}

fn default_admin_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9787))
}

/// Size and time limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body accepted; larger bodies get 413 before any upstream call.
    pub max_body_bytes: usize,
    /// TCP+TLS connect timeout to upstreams.
    pub connect_timeout_ms: u64,
    /// Time from sending the upstream request to its first event (stream) or headers.
    pub first_byte_timeout_ms: u64,
    /// Longest silence allowed between two chunks of a stream (and while reading a body).
    pub idle_timeout_ms: u64,
    /// Refused requests (401, 403) one client address may make per minute before further
    /// refusals become 429 (0 = unlimited). Requests that authenticate and are allowed are
    /// never counted nor blocked, so clients sharing an address (NAT, a reverse proxy) are not
    /// locked out by one misconfigured neighbour.
    pub refused_per_minute: u64,
    /// Bytes of stream events held back before the first content (role preambles, reasoning
    /// deltas) so that a failure there can still be retried. Past this the held events are sent
    /// and the stream is relayed as it comes: memory per stream stays bounded, and a long
    /// reasoning phase reaches the client instead of failing.
    pub max_held_bytes: usize,
    /// Most completions one request may ask for (`n`, or a legacy completion's `best_of`).
    pub max_n: u64,
    /// Most completion tokens one request may ask for (`max_tokens`, `max_completion_tokens`).
    pub max_tokens: u64,
    /// What admission does when the shared store (Redis) cannot answer: refuse with 503
    /// (`closed`, the default: limits and budgets hold) or admit uncounted (`open`).
    pub on_store_failure: StoreFailure,
}

/// Rate limits and budgets when the shared store fails: a gateway that spends money on every
/// request refuses by default; `open` keeps serving when availability matters more than the
/// limits during an outage of the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreFailure {
    #[default]
    Closed,
    Open,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1024 * 1024,
            connect_timeout_ms: 5_000,
            first_byte_timeout_ms: 30_000,
            idle_timeout_ms: 30_000,
            refused_per_minute: 30,
            max_held_bytes: 256 * 1024,
            max_n: 8,
            max_tokens: 65_536,
            on_store_failure: StoreFailure::Closed,
        }
    }
}

impl Limits {
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }
    pub fn first_byte_timeout(&self) -> Duration {
        Duration::from_millis(self.first_byte_timeout_ms)
    }
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }
}

/// Retries of one upstream before the first byte reached the client.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retry {
    /// Total attempts per upstream (1 = no retry).
    pub max_attempts: usize,
    /// First backoff delay; doubles each attempt, with jitter.
    pub initial_backoff_ms: u64,
    /// Cap on one backoff delay.
    pub max_backoff_ms: u64,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            max_attempts: 3,
            initial_backoff_ms: 100,
            max_backoff_ms: 2_000,
        }
    }
}

/// Browser origins allowed by CORS (exact, or `*` patterns like `https://*.vscode-cdn.net`,
/// `http://localhost:*`). CORS is not authentication.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cors {
    pub origins: Vec<String>,
}

/// Response cache (and, when `redis_url` is set, the shared store for rate limits and budgets).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cache {
    pub enabled: bool,
    pub ttl_secs: u64,
    /// Most answers the in-memory cache holds.
    pub max_entries: u64,
    /// Most bytes the in-memory cache holds (answers and keys), whatever their number.
    pub max_bytes: u64,
    /// Largest answer stored, as the JSON body or the SSE text of a stream. A stream that grows
    /// past it is still relayed in full; it stops being recorded and is not stored.
    pub max_entry_bytes: usize,
    pub redis_url: Option<String>,
    /// Longest wait for a (re)connection to Redis.
    pub redis_connect_timeout_ms: u64,
    /// Longest wait for one Redis command's answer; a request never waits longer on the store.
    pub redis_response_timeout_ms: u64,
}

/// The longest Redis timeout a config may set: the store sits on every request's path.
pub const MAX_REDIS_TIMEOUT_MS: u64 = 60_000;

impl Default for Cache {
    fn default() -> Self {
        Cache {
            enabled: true,
            ttl_secs: 3_600,
            max_entries: 10_000,
            max_bytes: 64 * 1024 * 1024,
            max_entry_bytes: 1024 * 1024,
            redis_url: None,
            redis_connect_timeout_ms: 1_000,
            redis_response_timeout_ms: 500,
        }
    }
}

/// Logging.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Logging {
    /// `tracing` filter, e.g. `info` or `proxy=debug,info`; `RUST_LOG` overrides it.
    pub level: String,
    /// Log request bodies (off by default: prompts are user data).
    pub log_bodies: bool,
}

impl Default for Logging {
    fn default() -> Self {
        Logging {
            level: "info".to_owned(),
            log_bodies: false,
        }
    }
}

/// Which wire protocol an upstream speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    Openai,
    Anthropic,
    OpenaiCompatible,
    Ollama,
}

/// One upstream provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub name: String,
    pub kind: ProviderKind,
    /// API root including the version segment, e.g. `https://api.openai.com/v1`,
    /// `https://api.anthropic.com/v1`, `http://127.0.0.1:11434/v1`.
    pub base_url: Url,
    /// Environment variable holding the key; optional for local servers.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Ask this (OpenAI-wire) upstream for the final usage chunk of every stream
    /// (`stream_options.include_usage`), so cost is exact. Turn off for servers that reject the
    /// field; usage is then estimated unless the client asked for it.
    #[serde(default = "yes")]
    pub stream_usage: bool,
    /// The key itself, read from `api_key_env` by [`Config::load`]; never in the file.
    #[serde(skip)]
    pub api_key: Option<SecretString>,
}

/// One model alias clients may ask for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRoute {
    pub alias: String,
    pub provider: String,
    /// The model name sent upstream.
    pub model: String,
    #[serde(default)]
    pub input_usd_per_mtok: f64,
    #[serde(default)]
    pub output_usd_per_mtok: f64,
    /// Other aliases tried, in order, when this one fails before the first byte.
    #[serde(default)]
    pub fallbacks: Vec<String>,
    /// `max_tokens` sent to upstreams that require one (Anthropic) when the client gave none.
    #[serde(default = "default_max_tokens")]
    pub default_max_tokens: u32,
}

fn yes() -> bool {
    true
}

fn default_max_tokens() -> u32 {
    4096
}

/// One API client.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub name: String,
    /// Lower-case hex SHA-256 of the bearer token; the token itself is never stored.
    pub token_sha256: String,
    /// Aliases this client may use.
    #[serde(default)]
    pub models: Vec<String>,
    /// Requests per minute (0 = unlimited).
    #[serde(default)]
    pub rpm: u32,
    /// Tokens per minute (0 = unlimited).
    #[serde(default)]
    pub tpm: u64,
    /// Dollars per UTC day (0 = unlimited).
    #[serde(default)]
    pub daily_budget_usd: f64,
}

/// The longest upstream timeout a config may set: one hour.
pub const MAX_TIMEOUT_MS: u64 = 3_600_000;

/// The largest byte cap a config may set for one answer or one held-back stream head: 1 GiB.
/// More is a typo, and the in-memory cache weighs entries in `u32`.
pub const MAX_ONE_ANSWER_BYTES: usize = 1 << 30;

/// A dollar amount a config may hold: finite and not negative (NaN and infinity would poison
/// every sum they enter).
fn is_amount(usd: f64) -> bool {
    usd.is_finite() && usd >= 0.0
}

impl Config {
    /// Reads, parses and validates a config file, reading provider keys from the process
    /// environment.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::from_toml(&text, |var| std::env::var(var).ok())
    }

    /// Parses and validates config text; `env` looks up environment variables (injected so tests
    /// need not mutate the process environment).
    pub fn from_toml(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text)?;
        issuers::resolve_secrets(&mut config.issuers, &env)?;
        config.resolve_keys(env)?;
        config.validate()?;
        Ok(config)
    }

    fn resolve_keys(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        for p in &mut self.providers {
            if let Some(var) = &p.api_key_env {
                match env(var) {
                    Some(v) if !v.trim().is_empty() => {
                        p.api_key = Some(SecretString::from(v.trim().to_owned()))
                    }
                    _ => {
                        return Err(ConfigError::MissingEnv {
                            provider: p.name.clone(),
                            var: var.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !self.admin_listen.ip().is_loopback() && !self.admin_allow_non_loopback {
            return Err(ConfigError::Invalid(format!(
                "admin_listen `{}` is not a loopback address; /metrics has no authentication and \
                 shows client names and spend: set admin_allow_non_loopback = true to serve it there",
                self.admin_listen
            )));
        }
        for (field, ms) in [
            ("limits.connect_timeout_ms", self.limits.connect_timeout_ms),
            (
                "limits.first_byte_timeout_ms",
                self.limits.first_byte_timeout_ms,
            ),
            ("limits.idle_timeout_ms", self.limits.idle_timeout_ms),
        ] {
            // Zero would fail every request; more than an hour is a typo (seconds written as
            // milliseconds twice over) that would let a stalled upstream hold a request forever.
            if !(1..=MAX_TIMEOUT_MS).contains(&ms) {
                return Err(ConfigError::Invalid(format!(
                    "{field} must be between 1 and {MAX_TIMEOUT_MS} (1 hour), got {ms}"
                )));
            }
        }
        if self.limits.max_body_bytes == 0 {
            return Err(ConfigError::Invalid(
                "limits.max_body_bytes must be > 0".into(),
            ));
        }
        self.validate_sizes()?;
        if self.retry.max_attempts == 0 {
            return Err(ConfigError::Invalid(
                "retry.max_attempts must be >= 1".into(),
            ));
        }
        let mut providers = HashSet::new();
        for p in &self.providers {
            if !providers.insert(p.name.as_str()) {
                return Err(ConfigError::DuplicateProvider(p.name.clone()));
            }
            if !matches!(p.base_url.scheme(), "http" | "https") || p.base_url.host().is_none() {
                return Err(ConfigError::BadUrl {
                    provider: p.name.clone(),
                    url: p.base_url.to_string(),
                });
            }
        }
        let mut aliases = HashSet::new();
        for m in &self.models {
            if !aliases.insert(m.alias.as_str()) {
                return Err(ConfigError::DuplicateAlias(m.alias.clone()));
            }
            if !providers.contains(m.provider.as_str()) {
                return Err(ConfigError::UnknownProvider {
                    alias: m.alias.clone(),
                    provider: m.provider.clone(),
                });
            }
            for (field, price) in [
                ("input_usd_per_mtok", m.input_usd_per_mtok),
                ("output_usd_per_mtok", m.output_usd_per_mtok),
            ] {
                if !is_amount(price) {
                    return Err(ConfigError::Invalid(format!(
                        "model alias `{}`: {field} must be a finite number >= 0, got {price}",
                        m.alias
                    )));
                }
            }
        }
        for m in &self.models {
            if let Some(f) = m.fallbacks.iter().find(|f| !aliases.contains(f.as_str())) {
                return Err(ConfigError::UnknownFallback {
                    alias: m.alias.clone(),
                    fallback: f.clone(),
                });
            }
        }
        let mut tokens: HashMap<String, &str> = HashMap::new();
        let mut names = HashSet::new();
        for c in &self.clients {
            if !names.insert(c.name.as_str()) {
                return Err(ConfigError::DuplicateClient(c.name.clone()));
            }
            let hash = c.token_sha256.to_ascii_lowercase();
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ConfigError::BadTokenHash {
                    client: c.name.clone(),
                });
            }
            if let Some(first) = tokens.insert(hash, &c.name) {
                return Err(ConfigError::DuplicateToken {
                    first: first.to_owned(),
                    second: c.name.clone(),
                });
            }
            if let Some(m) = c.models.iter().find(|m| !aliases.contains(m.as_str())) {
                return Err(ConfigError::UnknownClientModel {
                    client: c.name.clone(),
                    model: m.clone(),
                });
            }
            if !is_amount(c.daily_budget_usd) {
                return Err(ConfigError::Invalid(format!(
                    "client `{}`: daily_budget_usd must be a finite number >= 0, got {}",
                    c.name, c.daily_budget_usd
                )));
            }
        }
        issuers::validate(&self.issuers, &aliases, &self.clients)?;
        for (field, ms) in [
            (
                "cache.redis_connect_timeout_ms",
                self.cache.redis_connect_timeout_ms,
            ),
            (
                "cache.redis_response_timeout_ms",
                self.cache.redis_response_timeout_ms,
            ),
        ] {
            // Zero would fail every store call; a long one would hold every request when Redis
            // stalls, which is what the timeout is for.
            if !(1..=MAX_REDIS_TIMEOUT_MS).contains(&ms) {
                return Err(ConfigError::Invalid(format!(
                    "{field} must be between 1 and {MAX_REDIS_TIMEOUT_MS}, got {ms}"
                )));
            }
        }
        if let Some(r) = &self.cache.redis_url {
            let ok = Url::parse(r)
                .map(|u| matches!(u.scheme(), "redis" | "rediss" | "redis+unix"))
                .unwrap_or(false);
            if !ok {
                return Err(ConfigError::BadRedisUrl(r.clone()));
            }
        }
        Ok(())
    }

    /// The byte caps that bound memory: each must hold something, and one answer must fit in
    /// the whole cache.
    fn validate_sizes(&self) -> Result<(), ConfigError> {
        let (limits, cache) = (&self.limits, &self.cache);
        // A held-back head smaller than a role preamble would commit every stream to its first
        // upstream before the first content, so retries before the first byte would be lost.
        if !(1024..=MAX_ONE_ANSWER_BYTES).contains(&limits.max_held_bytes) {
            return Err(ConfigError::Invalid(format!(
                "limits.max_held_bytes must be between 1024 and {MAX_ONE_ANSWER_BYTES}, got {}",
                limits.max_held_bytes
            )));
        }
        // A cap of 0 would refuse every request that names the field.
        for (field, cap) in [
            ("limits.max_n", limits.max_n),
            ("limits.max_tokens", limits.max_tokens),
        ] {
            if cap == 0 {
                return Err(ConfigError::Invalid(format!("{field} must be >= 1")));
            }
        }
        if !(1..=MAX_ONE_ANSWER_BYTES).contains(&cache.max_entry_bytes) {
            return Err(ConfigError::Invalid(format!(
                "cache.max_entry_bytes must be between 1 and {MAX_ONE_ANSWER_BYTES}, got {}",
                cache.max_entry_bytes
            )));
        }
        if cache.max_bytes < cache.max_entry_bytes as u64 {
            return Err(ConfigError::Invalid(format!(
                "cache.max_bytes ({}) must be at least cache.max_entry_bytes ({})",
                cache.max_bytes, cache.max_entry_bytes
            )));
        }
        if cache.max_entries == 0 {
            return Err(ConfigError::Invalid(
                "cache.max_entries must be >= 1 (set cache.enabled = false to turn the cache off)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The route for an alias.
    pub fn route(&self, alias: &str) -> Option<&ModelRoute> {
        self.models.iter().find(|m| m.alias == alias)
    }

    /// The provider named `name`.
    pub fn provider(&self, name: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.name == name)
    }

    /// The issuer named `name`.
    pub fn issuer(&self, name: &str) -> Option<&Issuer> {
        self.issuers.iter().find(|i| i.name == name)
    }

    pub fn redis_connect_timeout(&self) -> Duration {
        Duration::from_millis(self.cache.redis_connect_timeout_ms)
    }

    pub fn redis_response_timeout(&self) -> Duration {
        Duration::from_millis(self.cache.redis_response_timeout_ms)
    }
}

#[cfg(test)]
mod tests;
