//! SSRF guard: a client may never choose where the proxy connects.
//!
//! Upstreams come only from server config. Tools built for other gateways (LiteLLM's
//! `api_base`, the OpenAI SDK's `base_url`, Azure's `azure_endpoint`, ...) let a request
//! override the target, and a careless client or a malicious page could try the same here. We
//! never read such fields, but rejecting them loudly (400) makes the contract explicit and
//! stops a future handler from forwarding them by accident (e.g. passing unknown fields
//! through to an upstream that does honour them).
//!
//! Keys are compared after lower-casing and dropping `_`, `-` and `.`, so `baseURL`,
//! `base_url` and `Base-Url` are one key, at any depth of the JSON body. A bare `url` key is
//! only rejected at the top level: nested `url`s are legitimate message content (OpenAI's
//! `image_url: {"url": ...}` parts) and are never used for routing.

use axum::http::HeaderMap;
use serde_json::Value;

/// Body keys (normalised) that try to name an upstream.
const BODY_KEYS: &[&str] = &[
    "apibase",
    "baseurl",
    "apiurl",
    "apiendpoint",
    "endpoint",
    "azureendpoint",
    "apihost",
    "host",
    "hostname",
    "upstream",
    "upstreamurl",
    "proxy",
    "proxyurl",
    "serverurl",
    "targeturl",
    "forwardurl",
    "providerurl",
    "baseapi",
];

/// Header names that ask a gateway to route elsewhere. `X-Forwarded-Host`/`Forwarded` are
/// rejected too: a reverse proxy in front of this one has no reason to send them (we never
/// build URLs from the request), so their presence is at best confusion and at worst an
/// attempt at host-header routing tricks.
const HEADERS: &[&str] = &[
    "x-upstream-url",
    "x-upstream-host",
    "x-upstream",
    "x-base-url",
    "x-api-base",
    "x-api-url",
    "x-target-url",
    "x-forward-url",
    "x-forwarded-host",
    "x-forwarded-server",
    "forwarded",
    "x-original-url",
    "x-original-host",
    "x-rewrite-url",
    "x-host",
    "x-endpoint",
    "x-provider-url",
];

/// The offending field or header, named in the 400 so the caller knows what to remove.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error("header `{0}` may not choose the upstream; upstreams come only from server config")]
    Header(String),
    #[error("field `{0}` may not choose the upstream; upstreams come only from server config")]
    Field(String),
}

fn normalise(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Rejects headers that try to pick an upstream.
pub fn check_headers(headers: &HeaderMap) -> Result<(), Violation> {
    for name in headers.keys() {
        let n = name.as_str(); // header names are already lower-case
        if HEADERS.contains(&n) {
            return Err(Violation::Header(n.to_owned()));
        }
    }
    Ok(())
}

/// Rejects body fields, at any depth, that try to pick an upstream. `path` in the error is a
/// JSON-pointer-like trail such as `messages.0.base_url`.
pub fn check_body(body: &Value) -> Result<(), Violation> {
    if let Value::Object(map) = body
        && let Some(k) = map.keys().find(|k| normalise(k) == "url")
    {
        return Err(Violation::Field(k.clone()));
    }
    walk(body, &mut Vec::new())
}

/// Both checks, headers first (they are cheaper).
pub fn check(headers: &HeaderMap, body: &Value) -> Result<(), Violation> {
    check_headers(headers)?;
    check_body(body)
}

fn walk(v: &Value, path: &mut Vec<String>) -> Result<(), Violation> {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                path.push(k.clone());
                if BODY_KEYS.contains(&normalise(k).as_str()) {
                    return Err(Violation::Field(path.join(".")));
                }
                walk(child, path)?;
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(i.to_string());
                walk(child, path)?;
                path.pop();
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, HeaderValue};
    use serde_json::json;

    fn body(v: Value) -> Option<String> {
        check_body(&v).err().map(|e| e.to_string())
    }

    #[test]
    fn clean_requests_pass_including_image_urls() {
        let ok = json!({
            "model": "chat",
            "temperature": 0,
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "what is at http://example.com ?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
            ]}]
        });
        assert_eq!(body(ok), None);
    }

    #[test]
    fn routing_fields_are_rejected_at_any_depth_and_spelling() {
        let cases = [
            (json!({"api_base": "http://127.0.0.1:1"}), "api_base"),
            (json!({"baseURL": "x"}), "baseURL"),
            (json!({"url": "x"}), "url"),
            (
                json!({"extra_body": {"nested": [{"Base-Url": "x"}]}}),
                "extra_body.nested.0.Base-Url",
            ),
            (
                json!({"messages": [{"role": "user", "endpoint": "x"}]}),
                "messages.0.endpoint",
            ),
            (json!({"azure_endpoint": "x"}), "azure_endpoint"),
        ];
        for (v, field) in cases {
            let msg = body(v).expect("must be rejected");
            assert!(msg.contains(&format!("`{field}`")), "{msg}");
        }
    }

    #[test]
    fn routing_headers_are_rejected() {
        for h in [
            "x-upstream-url",
            "x-forwarded-host",
            "forwarded",
            "x-api-base",
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(
                HeaderName::from_static(h),
                HeaderValue::from_static("127.0.0.1:1"),
            );
            assert_eq!(check_headers(&headers), Err(Violation::Header(h.into())));
        }
        let mut fine = HeaderMap::new();
        fine.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        fine.insert("authorization", HeaderValue::from_static("Bearer t"));
        assert_eq!(check(&fine, &json!({"model": "chat"})), Ok(()));
    }
}
