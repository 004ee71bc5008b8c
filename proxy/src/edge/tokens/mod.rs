//! Short-lived per-user tokens: JWTs a host's backend signs for one user (`sub`) for a few
//! minutes, verified here against the `[[issuers]]` of the config with `jsonwebtoken`.
//!
//! Each issuer has exactly one algorithm and one key. The header is read first (its `kid`
//! picks the issuer, its `alg` must be that issuer's), so a token signed some other way is
//! refused with a reason rather than tried: `alg: none`, or the classic confusion of an HS256
//! token whose "secret" is an EdDSA issuer's public key. `exp` and `nbf` are checked here, on
//! the edge's clock with the issuer's small leeway, so tests move time without sleeping and
//! every time check in the proxy reads one clock.
//!
//! A verified token becomes a [`Client`] named `issuer/sub`: limits, budgets and the cache are
//! per user. Its metrics label is the issuer's name, because users are unbounded in number.
//! Limits a token carries (`rpm`, `tpm`, `daily_budget_usd`, `models`) can only narrow the
//! issuer's: a token never grants more than the config allows. Nothing here logs or returns the
//! token itself.

pub mod mint;

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;

use super::cost::usd_to_micro;
use crate::config::{Issuer, TokenAlgorithm, decoding_key};
use crate::state::Client;

/// Why a signed token was refused. The text is shown to the client and logged; it never
/// contains the token or anything the token's author chose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a well-formed JWT, or a claim of the wrong type")]
    Malformed,
    #[error("the token names no issuer (`kid` header) and several are configured")]
    NoIssuer,
    #[error("unknown issuer (`kid` header)")]
    UnknownIssuer,
    #[error("algorithm not accepted: issuer `{issuer}` signs with {expected}")]
    Algorithm {
        issuer: String,
        expected: &'static str,
    },
    #[error("bad signature")]
    Signature,
    #[error("expired")]
    Expired,
    #[error("not yet valid (nbf)")]
    NotYetValid,
    #[error("audience not accepted")]
    Audience,
    #[error("expires later than the issuer allows (max_ttl_secs)")]
    TooLong,
    #[error("missing or invalid claim `{0}`")]
    Claim(String),
}

impl TokenError {
    /// The OpenAI error `code`: `token_expired` tells a host to mint a new token.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Expired => "token_expired",
            _ => "invalid_token",
        }
    }
}

/// The claims the proxy reads. Others (`iat`, `iss`, `jti`, …) are allowed and ignored; `aud`
/// is checked by `jsonwebtoken`. `sub` and `exp` are required, but optional here so that a
/// token without them is refused as missing that claim rather than as malformed.
#[derive(Debug, Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    exp: Option<u64>,
    #[serde(default)]
    nbf: Option<u64>,
    #[serde(default)]
    rpm: Option<u64>,
    #[serde(default)]
    tpm: Option<u64>,
    #[serde(default)]
    daily_budget_usd: Option<f64>,
    #[serde(default)]
    models: Option<Vec<String>>,
}

/// The header fields that choose the issuer and algorithm.
#[derive(Debug, Deserialize)]
struct Head {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// The longest `sub` accepted: it becomes part of store keys.
const MAX_SUB_BYTES: usize = 256;

/// One issuer, ready to verify.
struct Verifier {
    algorithm: TokenAlgorithm,
    key: DecodingKey,
    validation: Validation,
    leeway_secs: u64,
    max_ttl_secs: u64,
    /// The issuer's ceilings, as a client named after the issuer.
    ceiling: Client,
}

/// Every configured issuer, by name.
#[derive(Default)]
pub struct Issuers {
    by_name: HashMap<String, Verifier>,
}

impl std::fmt::Debug for Issuers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The keys (an HS256 secret among them) never print.
        f.debug_struct("Issuers")
            .field("names", &self.by_name.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Whether a presented credential has the shape of a JWT (three base64url parts), so that a
/// static token that is unknown is not reported as a malformed JWT.
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && token.starts_with("eyJ")
}

impl Issuers {
    /// Builds the verifiers; the config has already checked every key.
    pub fn new(issuers: &[Issuer]) -> Result<Self, String> {
        let mut by_name = HashMap::new();
        for i in issuers {
            let key = decoding_key(i).map_err(|e| format!("issuer `{}`: {e}", i.name))?;
            let mut validation = Validation::new(i.algorithm.jwt());
            // Time is checked in `verify`, on the edge's clock.
            validation.validate_exp = false;
            validation.validate_nbf = false;
            validation.leeway = 0;
            // Without a configured audience `jsonwebtoken` refuses any token that has one.
            let mut required = vec!["exp", "sub"];
            if let Some(aud) = &i.audience {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            validation.set_required_spec_claims(&required);
            let ceiling = Client {
                name: i.name.clone(),
                label: i.name.clone(),
                models: i.models.clone(),
                rpm: u64::from(i.rpm),
                tpm: i.tpm,
                daily_budget_micro_usd: usd_to_micro(i.daily_budget_usd),
            };
            by_name.insert(
                i.name.clone(),
                Verifier {
                    algorithm: i.algorithm,
                    key,
                    validation,
                    leeway_secs: i.leeway_secs,
                    max_ttl_secs: i.max_ttl_secs,
                    ceiling,
                },
            );
        }
        Ok(Self { by_name })
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The user a token stands for, with the limits it may use, at `now_ms`.
    pub fn verify(&self, token: &str, now_ms: u64) -> Result<Client, TokenError> {
        let head = read_head(token)?;
        let verifier = match &head.kid {
            Some(kid) => self.by_name.get(kid).ok_or(TokenError::UnknownIssuer)?,
            None if self.by_name.len() == 1 => self.by_name.values().next().expect("one issuer"),
            None => return Err(TokenError::NoIssuer),
        };
        let ceiling = &verifier.ceiling;
        // Compared as text before any key is used: `none`, and an algorithm of another family
        // than the key's, never reach signature checking.
        if head.alg != verifier.algorithm.name() {
            return Err(TokenError::Algorithm {
                issuer: ceiling.name.clone(),
                expected: verifier.algorithm.name(),
            });
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &verifier.key, &verifier.validation)
            .map_err(|e| refusal(e.kind(), ceiling, verifier.algorithm))?
            .claims;
        let now = now_ms / 1000;
        let exp = claims.exp.ok_or_else(|| TokenError::Claim("exp".into()))?;
        let sub = claims.sub.ok_or_else(|| TokenError::Claim("sub".into()))?;
        if exp.saturating_add(verifier.leeway_secs) < now {
            return Err(TokenError::Expired);
        }
        if claims
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(verifier.leeway_secs))
        {
            return Err(TokenError::NotYetValid);
        }
        if exp > now + verifier.max_ttl_secs + verifier.leeway_secs {
            return Err(TokenError::TooLong);
        }
        if sub.is_empty() || sub.len() > MAX_SUB_BYTES || sub.chars().any(char::is_control) {
            return Err(TokenError::Claim("sub".into()));
        }
        let budget = match claims.daily_budget_usd {
            Some(usd) if !(usd.is_finite() && usd >= 0.0) => {
                return Err(TokenError::Claim("daily_budget_usd".into()));
            }
            Some(usd) => Some(usd_to_micro(usd)),
            None => None,
        };
        let models = match claims.models {
            Some(asked) => ceiling
                .models
                .iter()
                .filter(|m| asked.contains(m))
                .cloned()
                .collect(),
            None => ceiling.models.clone(),
        };
        Ok(Client {
            name: format!("{}/{sub}", ceiling.name),
            label: ceiling.label.clone(),
            models,
            rpm: capped(ceiling.rpm, claims.rpm),
            tpm: capped(ceiling.tpm, claims.tpm),
            daily_budget_micro_usd: capped(ceiling.daily_budget_micro_usd, budget),
        })
    }
}

/// A limit a token asks for, within the issuer's `ceiling` (0 = unlimited on both sides): a
/// token may lower the issuer's limit, never raise or lift it.
fn capped(ceiling: u64, asked: Option<u64>) -> u64 {
    match asked {
        None | Some(0) => ceiling,
        Some(a) if ceiling == 0 => a,
        Some(a) => a.min(ceiling),
    }
}

fn read_head(token: &str) -> Result<Head, TokenError> {
    let head = token.split('.').next().ok_or(TokenError::Malformed)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(head)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

fn refusal(kind: &ErrorKind, ceiling: &Client, algorithm: TokenAlgorithm) -> TokenError {
    match kind {
        ErrorKind::InvalidSignature => TokenError::Signature,
        ErrorKind::InvalidAudience => TokenError::Audience,
        ErrorKind::MissingRequiredClaim(c) | ErrorKind::InvalidClaimFormat(c) => {
            TokenError::Claim(c.clone())
        }
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => TokenError::Algorithm {
            issuer: ceiling.name.clone(),
            expected: algorithm.name(),
        },
        _ => TokenError::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_can_only_lower_the_issuers_limits() {
        assert_eq!(capped(60, None), 60);
        assert_eq!(capped(60, Some(0)), 60);
        assert_eq!(capped(60, Some(10)), 10);
        assert_eq!(capped(60, Some(600)), 60);
        assert_eq!(capped(0, Some(10)), 10);
        assert_eq!(capped(0, None), 0);
    }

    #[test]
    fn only_three_part_tokens_look_like_jwts() {
        assert!(looks_like_jwt("eyJhbGciOiJIUzI1NiJ9.eyJ9.sig"));
        assert!(!looks_like_jwt("pf-static-token"));
        assert!(!looks_like_jwt("eyJ.a"));
        assert_eq!(read_head("%%%.a.b").unwrap_err(), TokenError::Malformed);
    }
}
