//! CORS for browser clients: an allowlist of exact origins and two kinds of pattern,
//! `https://*.example.net` (any subdomain, not the bare domain) and `http://localhost:*`
//! (any port, or none).
//!
//! CORS only decides whether a *browser* lets a page read our answers; it is not
//! authentication. Every request, with or without an `Origin`, still needs a bearer token.
//! tower-http's `CorsLayer` does the protocol (preflights, `Vary`, headers); we only supply the
//! origin predicate, because `AllowOrigin::list` has no wildcard patterns.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, request::Parts};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// One entry of `cors.origins`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    /// `scheme://host[:port]`, compared exactly (after lower-casing).
    Exact(String),
    /// `scheme://*.suffix[:port]`: any host ending in `.suffix`.
    Subdomain {
        scheme: String,
        suffix: String,
        port: Option<u16>,
    },
    /// `scheme://host:*`: that host on any port.
    AnyPort { scheme: String, host: String },
}

/// A `cors.origins` entry that is not an origin or one of the two patterns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid cors origin `{0}`: expected `scheme://host[:port]`, `scheme://*.domain` or `scheme://host:*`"
)]
pub struct BadOrigin(pub String);

/// The parsed allowlist; cheap to clone into the predicate.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    rules: Vec<Rule>,
}

/// `scheme://host[:port]` split into parts; `None` for anything else (paths, userinfo, ...).
fn split(origin: &str) -> Option<(String, String, Option<&str>)> {
    let (scheme, rest) = origin.split_once("://")?;
    if scheme.is_empty() || rest.is_empty() || rest.contains(['/', '@', '?', '#']) {
        return None;
    }
    // An IPv6 literal (`[::1]:8080`) has colons inside its brackets.
    let (host, port) = match rest.find(']') {
        Some(end) => {
            let after = &rest[end + 1..];
            if !after.is_empty() && !after.starts_with(':') {
                return None;
            }
            (&rest[..=end], after.strip_prefix(':'))
        }
        None => match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        },
    };
    if host.is_empty() {
        return None;
    }
    Some((scheme.to_ascii_lowercase(), host.to_ascii_lowercase(), port))
}

impl Allowlist {
    pub fn parse<S: AsRef<str>>(origins: &[S]) -> Result<Self, BadOrigin> {
        let mut rules = Vec::new();
        for o in origins {
            let o = o.as_ref().trim();
            let bad = || BadOrigin(o.to_owned());
            let (scheme, host, port) = split(o).ok_or_else(bad)?;
            let rule = match (host.strip_prefix("*."), port) {
                (Some(suffix), p) => {
                    if suffix.is_empty() || suffix.contains('*') {
                        return Err(bad());
                    }
                    let port = p.map(|p| p.parse::<u16>().map_err(|_| bad())).transpose()?;
                    Rule::Subdomain {
                        scheme,
                        suffix: suffix.to_owned(),
                        port,
                    }
                }
                (None, Some("*")) if !host.contains('*') => Rule::AnyPort { scheme, host },
                (None, p) => {
                    if host.contains('*') {
                        return Err(bad());
                    }
                    match p {
                        Some(p) => {
                            p.parse::<u16>().map_err(|_| bad())?;
                            Rule::Exact(format!("{scheme}://{host}:{p}"))
                        }
                        None => Rule::Exact(format!("{scheme}://{host}")),
                    }
                }
            };
            rules.push(rule);
        }
        Ok(Self { rules })
    }

    /// Whether a browser's `Origin` header value is allowed.
    pub fn allows(&self, origin: &str) -> bool {
        let Some((scheme, host, port)) = split(origin) else {
            return false;
        };
        let port = match port.map(str::parse::<u16>) {
            Some(Ok(p)) => Some(p),
            Some(Err(_)) => return false,
            None => None,
        };
        if host.contains('*') {
            return false;
        }
        let normal = match port {
            Some(p) => format!("{scheme}://{host}:{p}"),
            None => format!("{scheme}://{host}"),
        };
        self.rules.iter().any(|r| match r {
            Rule::Exact(e) => *e == normal,
            Rule::Subdomain {
                scheme: s,
                suffix,
                port: p,
            } => {
                *s == scheme
                    && *p == port
                    && host.len() > suffix.len() + 1
                    && host.ends_with(suffix.as_str())
                    && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
            }
            Rule::AnyPort { scheme: s, host: h } => *s == scheme && *h == host,
        })
    }
}

/// The CORS layer for the public listener.
pub fn layer(allow: Allowlist) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(
            move |origin: &HeaderValue, _: &Parts| {
                origin.to_str().map(|o| allow.allows(o)).unwrap_or(false)
            },
        ))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        // The OpenAI JS SDK sends a changing set of `x-stainless-*` headers; mirroring what the
        // preflight asks for is safe because only allowlisted origins get any answer at all.
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("retry-after"),
        ])
        .max_age(Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> Allowlist {
        Allowlist::parse(&[
            "http://localhost:8080",
            "https://*.vscode-cdn.net",
            "http://localhost:*",
            "https://app.example.com",
        ])
        .unwrap()
    }

    #[test]
    fn allowed_and_denied_origins() {
        let l = list();
        let cases = [
            ("http://localhost:8080", true),
            ("http://localhost:3000", true),
            ("http://localhost", true),
            ("https://localhost:3000", false),
            ("https://abc.vscode-cdn.net", true),
            ("https://a.b.vscode-cdn.net", true),
            ("https://vscode-cdn.net", false),
            ("https://evilvscode-cdn.net", false),
            ("https://abc.vscode-cdn.net.evil.com", false),
            ("http://abc.vscode-cdn.net", false),
            ("https://abc.vscode-cdn.net:444", false),
            ("https://APP.example.com", true),
            ("https://app.example.com:8443", false),
            ("null", false),
            ("http://localhost:8080/path", false),
            ("http://[::1]:8080", false),
        ];
        for (origin, want) in cases {
            assert_eq!(l.allows(origin), want, "{origin}");
        }
    }

    #[test]
    fn bad_entries_are_config_errors() {
        for bad in [
            "localhost:8080",
            "http://",
            "http://a.com/path",
            "https://*.",
            "http://loc*host",
            "http://x:port",
        ] {
            assert_eq!(
                Allowlist::parse(&[bad]).unwrap_err(),
                BadOrigin(bad.into()),
                "{bad}"
            );
        }
    }
}
