//! Exact-match response cache for deterministic requests (`temperature: 0`).
//!
//! Key: SHA-256 of (client tenant, resolved model alias, route, canonical request JSON). The
//! tenant is part of the key so one client can never read another's answers. Canonical JSON
//! sorts object keys at every depth and drops `user` (an end-user label that does not change
//! the answer), so `{"a":1,"b":2}` and `{"b":2,"a":1}` hit the same entry.
//!
//! Non-streaming answers are stored as the JSON body; streaming answers as the complete SSE
//! byte stream, which is replayed verbatim to the next caller. Only streams that ended with
//! `data: [DONE]` are stored, so a dropped upstream never poisons the cache, and only answers
//! up to `cache.max_entry_bytes` (the stream recorder in `stream.rs` stops at the same bound).
//!
//! Storage is the shared [`Store`]: moka in memory (bounded by `max_bytes` and `max_entries`)
//! or Redis when `cache.redis_url` is set; entries live `ttl_secs`.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header::CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::store::{Store, StoreError};

/// How a cached body must be sent back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Json,
    Sse,
}

/// One cached answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cached {
    pub kind: Kind,
    pub body: String,
}

impl IntoResponse for Cached {
    fn into_response(self) -> Response {
        let ct = match self.kind {
            Kind::Json => "application/json",
            Kind::Sse => "text/event-stream",
        };
        let mut r = (StatusCode::OK, self.body).into_response();
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        r.headers_mut()
            .insert("x-cache", HeaderValue::from_static("hit"));
        r
    }
}

/// The response cache of one proxy process (shared with others through Redis).
#[derive(Debug, Clone)]
pub struct ResponseCache {
    store: Arc<dyn Store>,
    ttl: Duration,
    /// Largest body worth caching (`cache.max_entry_bytes`); bigger answers are served but
    /// not stored.
    max_entry_bytes: usize,
}

/// Whether a request may be answered from the cache: only when sampling is deterministic.
pub fn is_cacheable(request: &Value) -> bool {
    request
        .get("temperature")
        .and_then(Value::as_f64)
        .is_some_and(|t| t == 0.0)
}

/// The cache key of a request, or `None` when it must not be cached.
pub fn key(tenant: &str, model: &str, route: &str, request: &Value) -> Option<String> {
    if !is_cacheable(request) {
        return None;
    }
    let mut canonical = String::new();
    write_canonical(request, true, &mut canonical);
    let mut h = Sha256::new();
    for part in [tenant, model, route, &canonical] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    Some(format!("cache:{}", hex::encode(h.finalize())))
}

fn write_canonical(v: &Value, top: bool, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map
                .keys()
                .filter(|k| !(top && k.as_str() == "user"))
                .collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], false, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, false, out);
            }
            out.push(']');
        }
        // `0.0` and `0` (or `1.0` and `1`) are the same request; SDKs differ in which they send.
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                out.push_str(&(f as i64).to_string())
            }
            _ => out.push_str(&n.to_string()),
        },
        other => out.push_str(&other.to_string()),
    }
}

impl ResponseCache {
    pub fn new(store: Arc<dyn Store>, ttl: Duration, max_entry_bytes: usize) -> Self {
        Self {
            store,
            ttl,
            max_entry_bytes,
        }
    }

    /// The cached answer under `key`. A corrupt entry counts as a miss.
    pub async fn get(&self, key: &str, now_ms: u64) -> Result<Option<Cached>, StoreError> {
        Ok(self
            .store
            .get(key, now_ms)
            .await?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
    }

    /// Stores an answer unless it is too large or (for SSE) incomplete.
    pub async fn put(&self, key: &str, entry: &Cached, now_ms: u64) -> Result<bool, StoreError> {
        if entry.body.len() > self.max_entry_bytes
            || (entry.kind == Kind::Sse && !sse_completed(&entry.body))
        {
            return Ok(false);
        }
        let bytes = serde_json::to_vec(entry).unwrap_or_default();
        self.store.set(key, bytes, self.ttl, now_ms).await?;
        Ok(true)
    }
}

/// Whether an SSE body ended normally (`data: [DONE]`) with no error event.
pub fn sse_completed(body: &str) -> bool {
    let mut done = false;
    for line in body.lines() {
        let line = line.trim_end();
        if line.starts_with("event: error") || line.starts_with("event:error") {
            return false;
        }
        if let Some(data) = line.strip_prefix("data:") {
            let data = data.trim();
            if data == "[DONE]" {
                done = true;
            } else if data.starts_with("{\"error\"") {
                return false;
            }
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::store::MemoryStore;
    use serde_json::json;

    #[test]
    fn only_temperature_zero_is_cacheable() {
        assert!(is_cacheable(&json!({"temperature": 0})));
        assert!(is_cacheable(&json!({"temperature": 0.0})));
        assert!(!is_cacheable(&json!({"temperature": 0.1})));
        assert!(!is_cacheable(&json!({})));
        assert!(!is_cacheable(&json!({"temperature": "0"})));
    }

    #[test]
    fn key_ignores_key_order_and_user_but_not_content_or_tenant() {
        let a =
            json!({"temperature": 0, "messages": [{"role": "user", "content": "x"}], "user": "u1"});
        let b = json!({"messages": [{"content": "x", "role": "user"}], "temperature": 0.0, "user": "u2"});
        let c = json!({"temperature": 0, "messages": [{"role": "user", "content": "y"}]});
        let k = |t, v| key(t, "chat", "chat", v).unwrap();
        assert_eq!(k("t", &a), k("t", &b));
        assert_ne!(k("t", &a), k("t", &c));
        assert_ne!(k("t", &a), k("other", &a));
        assert_ne!(k("t", &a), key("t", "generate", "chat", &a).unwrap());
        assert_ne!(k("t", &a), key("t", "chat", "completions", &a).unwrap());
        assert!(k("t", &a).starts_with("cache:"));
    }

    #[test]
    fn sse_completion_detection() {
        assert!(sse_completed("data: {\"a\":1}\n\ndata: [DONE]\n\n"));
        assert!(!sse_completed("data: {\"a\":1}\n\n"));
        assert!(!sse_completed(
            "data: {\"error\":{\"message\":\"x\"}}\n\ndata: [DONE]\n\n"
        ));
        assert!(!sse_completed("event: error\ndata: {}\n\ndata: [DONE]\n\n"));
    }

    #[tokio::test]
    async fn put_then_get_until_ttl_within_the_size_bound() {
        let c = ResponseCache::new(Arc::new(MemoryStore::new(10)), Duration::from_secs(10), 100);
        let json = Cached {
            kind: Kind::Json,
            body: "{}".into(),
        };
        assert!(c.put("k", &json, 0).await.unwrap());
        assert_eq!(c.get("k", 9_999).await.unwrap(), Some(json));
        assert_eq!(c.get("k", 10_000).await.unwrap(), None);

        let sse = |body: &str| Cached {
            kind: Kind::Sse,
            body: body.into(),
        };
        assert!(!c.put("s", &sse("data: {}\n\n"), 0).await.unwrap());
        let done = sse("data: {}\n\ndata: [DONE]\n\n");
        assert!(c.put("s", &done, 0).await.unwrap());
        assert_eq!(c.get("s", 1).await.unwrap(), Some(done));
        let big = Cached {
            kind: Kind::Json,
            body: format!("\"{}\"", "a".repeat(99)),
        };
        assert!(!c.put("big", &big, 0).await.unwrap());
        assert_eq!(c.get("big", 0).await.unwrap(), None);
    }

    #[tokio::test]
    async fn cached_response_headers() {
        let r = Cached {
            kind: Kind::Sse,
            body: "data: [DONE]\n\n".into(),
        }
        .into_response();
        assert_eq!(r.headers()["content-type"], "text/event-stream");
        assert_eq!(r.headers()["x-cache"], "hit");
    }
}
