//! Client authentication: bearer tokens from config, of which only the SHA-256 is stored.
//!
//! The presented token is hashed first and the hash is looked up in a map. Nothing ever
//! compares raw token bytes, so the time taken reveals at most something about a SHA-256
//! digest of the guess, never how many leading characters of a real token were right; that is
//! why no constant-time comparison is needed here.
//!
//! Accepted credentials: `Authorization: Bearer <token>` (OpenAI SDKs) and `x-api-key: <token>`
//! (Anthropic-style SDKs). Authentication happens before any body is parsed or upstream
//! contacted, so an unknown caller costs one hash and never reaches a provider.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{HeaderMap, header::AUTHORIZATION};
use sha2::{Digest, Sha256};

use crate::state::Client;

/// Why a request was not authenticated. The message never echoes the presented token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token: send `Authorization: Bearer <token>`")]
    Missing,
    #[error("invalid bearer token")]
    Unknown,
}

/// A config-time problem with the client list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientsError {
    #[error("client `{0}`: token_sha256 must be 64 hex characters")]
    BadHash(String),
    #[error("clients `{0}` and `{1}` have the same token")]
    DuplicateToken(String, String),
}

/// All clients, keyed by the SHA-256 of their token.
#[derive(Debug, Clone, Default)]
pub struct Clients {
    by_hash: HashMap<[u8; 32], Arc<Client>>,
}

/// The SHA-256 of a token as lower-case hex, the form config files hold.
pub fn token_sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Clients {
    /// Builds the table from `(token_sha256 hex, client)` pairs, rejecting malformed hashes and
    /// two clients sharing one token.
    pub fn new(entries: impl IntoIterator<Item = (String, Client)>) -> Result<Self, ClientsError> {
        let mut by_hash: HashMap<[u8; 32], Arc<Client>> = HashMap::new();
        for (hash_hex, client) in entries {
            let mut hash = [0u8; 32];
            hex::decode_to_slice(hash_hex.trim(), &mut hash)
                .map_err(|_| ClientsError::BadHash(client.name.clone()))?;
            if let Some(prev) = by_hash.get(&hash) {
                return Err(ClientsError::DuplicateToken(
                    prev.name.clone(),
                    client.name.clone(),
                ));
            }
            by_hash.insert(hash, Arc::new(client));
        }
        Ok(Self { by_hash })
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The client whose token the request carries.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Arc<Client>, AuthError> {
        let token = presented_token(headers).ok_or(AuthError::Missing)?;
        self.lookup(token).ok_or(AuthError::Unknown)
    }

    /// The client whose static token this is.
    pub fn lookup(&self, token: &str) -> Option<Arc<Client>> {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        self.by_hash.get(&hash).cloned()
    }
}

/// The credential a request presents, if any.
pub fn presented_token(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get(AUTHORIZATION) {
        let v = v.to_str().ok()?.trim();
        let (scheme, token) = v.split_once(' ')?;
        let token = token.trim();
        return (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token);
    }
    let v = headers.get("x-api-key")?.to_str().ok()?.trim();
    (!v.is_empty()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn client(name: &str) -> Client {
        Client {
            name: name.into(),
            label: name.into(),
            models: vec!["chat".into()],
            rpm: 1,
            tpm: 2,
            daily_budget_micro_usd: 3,
        }
    }

    fn table() -> Clients {
        Clients::new([
            (token_sha256_hex("tok-a"), client("a")),
            (token_sha256_hex("tok-b").to_uppercase(), client("b")),
        ])
        .unwrap()
    }

    fn headers(name: &'static str, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn known_tokens_map_to_their_client() {
        let t = table();
        let who = |h| t.authenticate(&h).map(|c| c.name.clone());
        assert_eq!(
            who(headers("authorization", "Bearer tok-a")),
            Ok("a".into())
        );
        assert_eq!(
            who(headers("authorization", "bearer  tok-b ")),
            Ok("b".into())
        );
        assert_eq!(who(headers("x-api-key", "tok-a")), Ok("a".into()));
    }

    #[test]
    fn missing_and_unknown_tokens_are_refused() {
        let t = table();
        let err = |h| t.authenticate(&h).unwrap_err();
        assert_eq!(err(HeaderMap::new()), AuthError::Missing);
        assert_eq!(
            err(headers("authorization", "Basic tok-a")),
            AuthError::Missing
        );
        assert_eq!(err(headers("authorization", "Bearer ")), AuthError::Missing);
        assert_eq!(
            err(headers("authorization", "Bearer tok-c")),
            AuthError::Unknown
        );
        // The hash itself is not a credential.
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {}", token_sha256_hex("tok-a"))).unwrap(),
        );
        assert_eq!(err(h), AuthError::Unknown);
    }

    #[test]
    fn config_errors_name_the_client() {
        let dup = Clients::new([
            (token_sha256_hex("same"), client("x")),
            (token_sha256_hex("same"), client("y")),
        ]);
        assert_eq!(
            dup.unwrap_err(),
            ClientsError::DuplicateToken("x".into(), "y".into())
        );
        let bad = Clients::new([("abc".to_string(), client("z"))]);
        assert_eq!(bad.unwrap_err(), ClientsError::BadHash("z".into()));
    }

    #[test]
    fn model_allowlist() {
        let c = client("a");
        assert!(c.allows_model("chat"));
        assert!(!c.allows_model("gpt-4o"));
    }
}
