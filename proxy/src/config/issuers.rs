//! `[[issuers]]`: who may mint the short-lived per-user tokens (JWTs) the proxy accepts besides
//! the static `[[clients]]` tokens, with the key that verifies them and the ceilings no token
//! can pass.
//!
//! An issuer is the host's backend: it signs a token per user (`sub`) for a few minutes, and the
//! browser tab carries that instead of a long-lived shared secret. The HS256 secret is read from
//! the environment variable `secret_env` names (like provider keys, never from the file); EdDSA
//! and ES256 issuers give a public key in the file, since a public key is no secret. Keys are
//! parsed here, at load, so a bad key is a config error and not a 401 at the first request.

use std::collections::HashSet;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{Client, ConfigError, is_amount};

/// The signature algorithms an issuer may use. One per issuer: a token is checked against its
/// issuer's algorithm only, so a token signed with another one (an HS256 token made with an
/// EdDSA issuer's public key, or `alg: none`) is refused rather than tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TokenAlgorithm {
    HS256,
    EdDSA,
    ES256,
}

impl TokenAlgorithm {
    /// The name in a JWT header's `alg`.
    pub fn name(self) -> &'static str {
        match self {
            TokenAlgorithm::HS256 => "HS256",
            TokenAlgorithm::EdDSA => "EdDSA",
            TokenAlgorithm::ES256 => "ES256",
        }
    }

    pub fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            TokenAlgorithm::HS256 => jsonwebtoken::Algorithm::HS256,
            TokenAlgorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
            TokenAlgorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        }
    }
}

/// One token issuer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issuer {
    /// The issuer's name: the `kid` its tokens carry in their header, and the `client` label of
    /// their metrics (never the `sub`, which would make one series per user).
    pub name: String,
    pub algorithm: TokenAlgorithm,
    /// HS256: the environment variable holding the shared secret (at least 32 bytes).
    #[serde(default)]
    pub secret_env: Option<String>,
    /// EdDSA / ES256: the public key as PEM (`-----BEGIN PUBLIC KEY-----`).
    #[serde(default)]
    pub public_key_pem: Option<String>,
    /// When set, tokens must carry this `aud`. When not, tokens carrying any `aud` are refused:
    /// they were minted for some other service.
    #[serde(default)]
    pub audience: Option<String>,
    /// Clock skew allowed on `exp` and `nbf`, in seconds (at most 300).
    #[serde(default = "default_leeway")]
    pub leeway_secs: u64,
    /// The longest a token may still have to live when it is presented, in seconds: a token
    /// minted for a day by mistake is refused instead of becoming a long-lived secret.
    #[serde(default = "default_max_ttl")]
    pub max_ttl_secs: u64,
    /// Aliases its users may use; a token's `models` can only narrow this.
    #[serde(default)]
    pub models: Vec<String>,
    /// Requests per minute for each user (0 = unlimited); a token's `rpm` can only lower it.
    #[serde(default)]
    pub rpm: u32,
    /// Tokens per minute for each user (0 = unlimited); a token's `tpm` can only lower it.
    #[serde(default)]
    pub tpm: u64,
    /// Dollars per UTC day for each user (0 = unlimited); a token's `daily_budget_usd` can
    /// only lower it.
    #[serde(default)]
    pub daily_budget_usd: f64,
    /// The HS256 secret, read from `secret_env` at load; never in the file.
    #[serde(skip)]
    pub secret: Option<SecretString>,
}

fn default_leeway() -> u64 {
    30
}

fn default_max_ttl() -> u64 {
    3_600
}

/// The most clock skew an issuer may allow: more would keep expired tokens alive for minutes.
pub const MAX_LEEWAY_SECS: u64 = 300;
/// The longest `max_ttl_secs`: these tokens are meant to be short-lived; a day is plenty.
pub const MAX_TOKEN_TTL_SECS: u64 = 86_400;
/// The shortest HS256 secret: RFC 7518 asks for a key at least as long as the hash.
pub const MIN_SECRET_BYTES: usize = 32;

/// Reads each HS256 issuer's secret from the environment.
pub(super) fn resolve_secrets(
    issuers: &mut [Issuer],
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    for i in issuers {
        if let Some(var) = &i.secret_env {
            match env(var) {
                Some(v) if !v.trim().is_empty() => {
                    i.secret = Some(SecretString::from(v.trim().to_owned()))
                }
                _ => {
                    return Err(ConfigError::Invalid(format!(
                        "issuer `{}`: environment variable {var} (secret_env) is not set or empty",
                        i.name
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Checks the issuers against each other, the aliases and the clients.
pub(super) fn validate(
    issuers: &[Issuer],
    aliases: &HashSet<&str>,
    clients: &[Client],
) -> Result<(), ConfigError> {
    let mut names = HashSet::new();
    for i in issuers {
        let bad = |what: String| ConfigError::Invalid(format!("issuer `{}`: {what}", i.name));
        // The name is a store key prefix (`name/sub`) and a metrics label: keep it plain.
        let plain = !i.name.is_empty()
            && i.name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !plain {
            return Err(bad("name must be letters, digits, `-`, `_` or `.`".into()));
        }
        if !names.insert(i.name.as_str()) {
            return Err(ConfigError::Invalid(format!(
                "duplicate issuer name `{}`",
                i.name
            )));
        }
        // Limits, budgets and the cache are keyed by client name and by `issuer/sub`: the two
        // spaces must not meet.
        if let Some(c) = clients
            .iter()
            .find(|c| c.name == i.name || c.name.starts_with(&format!("{}/", i.name)))
        {
            return Err(bad(format!("clashes with client name `{}`", c.name)));
        }
        if i.leeway_secs > MAX_LEEWAY_SECS {
            return Err(bad(format!(
                "leeway_secs must be at most {MAX_LEEWAY_SECS}, got {}",
                i.leeway_secs
            )));
        }
        if !(1..=MAX_TOKEN_TTL_SECS).contains(&i.max_ttl_secs) {
            return Err(bad(format!(
                "max_ttl_secs must be between 1 and {MAX_TOKEN_TTL_SECS}, got {}",
                i.max_ttl_secs
            )));
        }
        if let Some(m) = i.models.iter().find(|m| !aliases.contains(m.as_str())) {
            return Err(bad(format!("allows unknown model alias `{m}`")));
        }
        if !is_amount(i.daily_budget_usd) {
            return Err(bad(format!(
                "daily_budget_usd must be a finite number >= 0, got {}",
                i.daily_budget_usd
            )));
        }
        if i.audience.as_deref().is_some_and(str::is_empty) {
            return Err(bad("audience must not be empty".into()));
        }
        decoding_key(i).map_err(bad)?;
    }
    Ok(())
}

/// The key that verifies an issuer's tokens, or why its config cannot give one.
pub fn decoding_key(i: &Issuer) -> Result<jsonwebtoken::DecodingKey, String> {
    use jsonwebtoken::DecodingKey;
    match (i.algorithm, &i.secret, &i.public_key_pem) {
        (TokenAlgorithm::HS256, Some(secret), None) => {
            let secret = secret.expose_secret().as_bytes();
            if secret.len() < MIN_SECRET_BYTES {
                return Err(format!(
                    "the HS256 secret must be at least {MIN_SECRET_BYTES} bytes"
                ));
            }
            DecodingKey::from_secret(secret).map_err(|_| "unusable HS256 secret".to_owned())
        }
        (TokenAlgorithm::HS256, _, _) => {
            Err("HS256 needs secret_env and no public_key_pem".to_owned())
        }
        (alg, None, Some(pem)) => {
            let key = match alg {
                TokenAlgorithm::EdDSA => DecodingKey::from_ed_pem(pem.as_bytes()),
                _ => DecodingKey::from_ec_pem(pem.as_bytes()),
            };
            key.map_err(|_| format!("public_key_pem is not a PEM {} public key", alg.name()))
        }
        (alg, _, _) => Err(format!(
            "{} needs public_key_pem and no secret_env",
            alg.name()
        )),
    }
}
