//! Minting a token the way a host's backend would, for development and tests
//! (`pilotfish-proxy mint-token`). A production backend uses its own JWT library with the same
//! header (`alg`, `kid` = issuer name) and claims (`sub`, `exp`, optional `aud`, `nbf`, `rpm`,
//! `tpm`, `daily_budget_usd`, `models`).

use std::time::Duration;

use jsonwebtoken::{EncodingKey, Header};
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

use crate::config::{Issuer, TokenAlgorithm};

/// What to put in one token.
#[derive(Debug, Clone, Default)]
pub struct Grant {
    pub sub: String,
    pub ttl: Duration,
    /// `aud`; the issuer's `audience` when `None`.
    pub audience: Option<String>,
    /// Per-user limits (each capped by the issuer's when verified).
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub daily_budget_usd: Option<f64>,
    pub models: Option<Vec<String>>,
}

/// The signing key of an issuer: its HS256 secret from the config's environment, or the
/// PKCS#8 private key PEM given for EdDSA and ES256.
pub fn signing_key(issuer: &Issuer, private_key_pem: Option<&str>) -> Result<EncodingKey, String> {
    match (issuer.algorithm, &issuer.secret, private_key_pem) {
        (TokenAlgorithm::HS256, Some(secret), None) => {
            EncodingKey::from_secret(secret.expose_secret().as_bytes())
                .map_err(|_| "unusable HS256 secret".to_owned())
        }
        (TokenAlgorithm::HS256, _, _) => Err(format!(
            "issuer `{}` uses HS256: its secret comes from secret_env, not a private key file",
            issuer.name
        )),
        (alg, _, Some(pem)) => {
            let key = match alg {
                TokenAlgorithm::EdDSA => EncodingKey::from_ed_pem(pem.as_bytes()),
                _ => EncodingKey::from_ec_pem(pem.as_bytes()),
            };
            key.map_err(|_| format!("the private key is not a PKCS#8 PEM {} key", alg.name()))
        }
        (alg, _, None) => Err(format!(
            "issuer `{}` uses {}: give its private key with --private-key FILE",
            issuer.name,
            alg.name()
        )),
    }
}

/// A signed token for `grant`, valid from `now_secs` (Unix seconds).
pub fn mint(
    issuer: &Issuer,
    key: &EncodingKey,
    grant: &Grant,
    now_secs: u64,
) -> Result<String, String> {
    if grant.ttl.as_secs() == 0 || grant.ttl.as_secs() > issuer.max_ttl_secs {
        return Err(format!(
            "the lifetime must be between 1 s and the issuer's max_ttl_secs ({} s)",
            issuer.max_ttl_secs
        ));
    }
    let mut header = Header::new(issuer.algorithm.jwt());
    header.kid = Some(issuer.name.clone());
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(grant.sub));
    claims.insert("iat".into(), json!(now_secs));
    claims.insert("exp".into(), json!(now_secs + grant.ttl.as_secs()));
    if let Some(aud) = grant.audience.as_ref().or(issuer.audience.as_ref()) {
        claims.insert("aud".into(), json!(aud));
    }
    let limits = [
        ("rpm", grant.rpm.map(Value::from)),
        ("tpm", grant.tpm.map(Value::from)),
        ("daily_budget_usd", grant.daily_budget_usd.map(Value::from)),
        ("models", grant.models.clone().map(Value::from)),
    ];
    for (name, value) in limits {
        if let Some(v) = value {
            claims.insert(name.into(), v);
        }
    }
    jsonwebtoken::encode(&header, &Value::Object(claims), key).map_err(|e| e.to_string())
}

/// Parses a lifetime: seconds, or a number with `s`, `m` or `h` (`900`, `15m`, `1h`).
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("bad lifetime `{text}`: expected e.g. 900, 900s, 15m or 1h"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3_600),
        _ => return Err(format!("bad lifetime unit in `{text}`: use s, m or h")),
    };
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_parse_in_seconds_minutes_and_hours() {
        assert_eq!(parse_ttl("900"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_ttl("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_ttl("1h"), Ok(Duration::from_secs(3_600)));
        assert_eq!(parse_ttl("30s"), Ok(Duration::from_secs(30)));
        assert!(parse_ttl("15 minutes").is_err());
        assert!(parse_ttl("m").is_err());
    }
}
