//! SSRF guard: a client may never choose where the proxy connects.
//!
//! Upstreams come only from server config. Tools built for other gateways (LiteLLM's
//! `api_base`, the OpenAI SDK's `base_url`, Azure's `azure_endpoint`, ...) let a request
//! override the target, and a careless client or a malicious page could try the same here. We
//! never read such fields, but rejecting them loudly (400) makes the contract explicit and
//! stops a future handler from forwarding them by accident (OpenAI-wire upstreams get unknown
//! fields passed through, and a gateway behind us such as LiteLLM does honour `api_base`).
//!
//! What is guarded is what can choose an upstream, and nothing else:
//! - **top-level body keys** (and the keys directly inside a top-level `extra_body` object,
//!   which some clients send verbatim instead of merging): the place every gateway reads its
//!   routing fields from. Keys are compared after lower-casing and dropping `_`, `-` and `.`,
//!   so `baseURL`, `base_url` and `Base-Url` are one key.
//! - **routing headers** (`x-upstream-url`, `x-base-url`, ...) that some gateways honour.
//!
//! Deeper keys are content: a tool's JSON schema with a `host` or `proxy` property, a
//! `response_format` schema with an `endpoint`, an image part's `url`. Rejecting them broke
//! ordinary requests and protected nothing, since no upstream routes on them.
//! `X-Forwarded-Host`, `Forwarded`, `X-Forwarded-Server`, `X-Original-URL`/`-Host` and
//! `X-Rewrite-URL` are added by common reverse proxies (nginx, Traefik, IIS/ARR) in front of
//! this one, and the proxy never builds a URL from any request header, so they pass.

use axum::http::HeaderMap;
use serde_json::Value;

/// Body keys (normalised) that try to name an upstream, refused at the top level.
const BODY_KEYS: &[&str] = &[
    "url",
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

/// A top-level object whose own keys are guarded like top-level ones.
const NESTED_ROOTS: &[&str] = &["extrabody"];

/// Header names that ask a gateway to route elsewhere.
const HEADERS: &[&str] = &[
    "x-upstream-url",
    "x-upstream-host",
    "x-upstream",
    "x-base-url",
    "x-api-base",
    "x-api-url",
    "x-target-url",
    "x-forward-url",
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

/// Rejects top-level body fields (and those directly inside `extra_body`) that try to pick an
/// upstream. The error names the field as a dotted path such as `extra_body.api_base`.
pub fn check_body(body: &Value) -> Result<(), Violation> {
    let Value::Object(map) = body else {
        return Ok(());
    };
    for (k, v) in map {
        let key = normalise(k);
        if BODY_KEYS.contains(&key.as_str()) {
            return Err(Violation::Field(k.clone()));
        }
        if NESTED_ROOTS.contains(&key.as_str())
            && let Value::Object(inner) = v
            && let Some(f) = inner
                .keys()
                .find(|f| BODY_KEYS.contains(&normalise(f).as_str()))
        {
            return Err(Violation::Field(format!("{k}.{f}")));
        }
    }
    Ok(())
}

/// Both checks, headers first (they are cheaper).
pub fn check(headers: &HeaderMap, body: &Value) -> Result<(), Violation> {
    check_headers(headers)?;
    check_body(body)
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
    fn routing_fields_are_rejected_at_the_top_in_any_spelling() {
        let cases = [
            (json!({"api_base": "http://127.0.0.1:1"}), "api_base"),
            (json!({"baseURL": "x"}), "baseURL"),
            (json!({"url": "x"}), "url"),
            (json!({"Proxy": "x"}), "Proxy"),
            (json!({"host": "x"}), "host"),
            (
                json!({"extra_body": {"Base-Url": "x"}}),
                "extra_body.Base-Url",
            ),
            (json!({"azure_endpoint": "x"}), "azure_endpoint"),
        ];
        for (v, field) in cases {
            let msg = body(v).expect("must be rejected");
            assert!(msg.contains(&format!("`{field}`")), "{msg}");
        }
    }

    #[test]
    fn nested_keys_are_content() {
        let ok = json!({
            "model": "chat",
            "messages": [{"role": "user", "content": "hi", "endpoint": "x"}],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {
                "type": "object",
                "properties": {"host": {}, "endpoint": {}, "proxy": {}, "url": {}}
            }}}],
            "extra_body": {"nested": {"base_url": "x"}},
            "metadata": {"host": "laptop"}
        });
        assert_eq!(body(ok), None);
    }

    #[test]
    fn routing_headers_are_rejected_and_reverse_proxy_headers_pass() {
        for h in ["x-upstream-url", "x-base-url", "x-api-base", "x-endpoint"] {
            let mut headers = HeaderMap::new();
            headers.insert(
                HeaderName::from_static(h),
                HeaderValue::from_static("127.0.0.1:1"),
            );
            assert_eq!(check_headers(&headers), Err(Violation::Header(h.into())));
        }
        let mut fine = HeaderMap::new();
        for (h, v) in [
            ("x-forwarded-for", "10.0.0.1"),
            ("x-forwarded-host", "api.example.com"),
            ("x-forwarded-server", "edge-1"),
            ("forwarded", "for=10.0.0.1;host=api.example.com"),
            ("x-original-url", "/v1/chat/completions"),
            ("authorization", "Bearer t"),
        ] {
            fine.insert(HeaderName::from_static(h), HeaderValue::from_static(v));
        }
        assert_eq!(check(&fine, &json!({"model": "chat"})), Ok(()));
    }
}
