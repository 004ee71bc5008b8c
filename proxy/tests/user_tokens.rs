//! Signed short-lived per-user tokens (issue 14, item 1), over real loopback sockets in
//! process: HS256, EdDSA and ES256 issuers; per-user (`sub`) rate limits with the issuer as the
//! metrics label; `exp`/`nbf` on the proxy's clock with a small leeway; audience; algorithm
//! confusion (`none`, HS256 made with an EdDSA public key); limits in a token capped by the
//! issuer's; static tokens beside them. Every refusal is a 401 that says why and never echoes
//! the token.
//!
//! Time comes from a `ManualClock`: expiry is crossed without sleeping.

mod support;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use proxy::Config;
use proxy::edge::ProxyEdge;
use proxy::edge::auth::token_sha256_hex;
use proxy::edge::store::{ManualClock, MemoryStore};
use serde_json::{Value, json};
use support::keys::{self, Pair};
use support::{ANTHROPIC_KEY, FakeUpstream, OPENAI_KEY, Proxy, config_toml};

/// 12:00:30 on some UTC day, in Unix seconds.
const NOW: u64 = 20_000 * 86_400 + 12 * 3_600 + 30;
const SECRET: &str = "hs256-test-secret-0123456789abcdefghij";
const STATIC_TOKEN: &str = "pf-static-server-token-9d2e";

struct Harness {
    proxy: Proxy,
    edge: Arc<ProxyEdge>,
    clock: Arc<ManualClock>,
    http: reqwest::Client,
    _fake: FakeUpstream,
}

/// A proxy whose config has `issuers` (TOML) and one static client, on a manual clock at NOW.
async fn start(issuers: &str) -> Harness {
    let fake = FakeUpstream::start().await;
    let extra = format!(
        r#"
[[clients]]
name = "server"
token_sha256 = "{hash}"
models = ["chat"]
rpm = 1
{issuers}
"#,
        hash = token_sha256_hex(STATIC_TOKEN)
    );
    let toml = config_toml(&fake, &extra);
    let config = Config::from_toml(&toml, |var| match var {
        "TEST_OPENAI_KEY" => Some(OPENAI_KEY.to_owned()),
        "TEST_ANTHROPIC_KEY" => Some(ANTHROPIC_KEY.to_owned()),
        "TEST_JWT_SECRET" => Some(SECRET.to_owned()),
        _ => None,
    })
    .expect("test config is valid");
    let clock = Arc::new(ManualClock::new(NOW * 1000));
    let edge = Arc::new(
        ProxyEdge::with_parts(&config, Arc::new(MemoryStore::new(100)), clock.clone()).unwrap(),
    );
    let proxy = Proxy::start_with_edge(config, edge.clone()).await;
    Harness {
        proxy,
        edge,
        clock,
        http: reqwest::Client::new(),
        _fake: fake,
    }
}

/// An HS256 issuer `web` (audience `pilotfish`, 1 request per minute per user, chat only).
const HS256_ISSUER: &str = r#"
[[issuers]]
name = "web"
algorithm = "HS256"
secret_env = "TEST_JWT_SECRET"
audience = "pilotfish"
leeway_secs = 5
max_ttl_secs = 900
models = ["chat"]
rpm = 1
"#;

fn asymmetric_issuer(name: &str, algorithm: &str, pair: &Pair) -> String {
    format!(
        "[[issuers]]\nname = \"{name}\"\nalgorithm = \"{algorithm}\"\nmodels = [\"chat\"]\n\
         public_key_pem = '''\n{}'''\n",
        pair.public_pem
    )
}

/// Standard claims for `sub`, valid for 10 minutes from NOW, plus `extra`.
fn claims(sub: &str, extra: Value) -> Value {
    let mut c = json!({"sub": sub, "iat": NOW, "exp": NOW + 600, "aud": "pilotfish"});
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn sign(alg: Algorithm, kid: &str, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn hs256(claims: &Value) -> String {
    let key = EncodingKey::from_secret(SECRET.as_bytes()).unwrap();
    sign(Algorithm::HS256, "web", claims, &key)
}

impl Harness {
    /// A chat request with `token`: (status, error code, error message).
    async fn chat(&self, token: &str, model: &str) -> (u16, String, String) {
        let res = self
            .http
            .post(self.proxy.url("/v1/chat/completions"))
            .bearer_auth(token)
            .json(&json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        let text = |p: &str| {
            body.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        (status, text("/error/code"), text("/error/message"))
    }

    /// Asserts a 401 with `code` whose message contains `reason` and not the token.
    async fn refused(&self, token: &str, code: &str, reason: &str) {
        let (status, got_code, message) = self.chat(token, "chat").await;
        assert_eq!((status, got_code.as_str()), (401, code), "{message}");
        assert!(message.contains(reason), "{message:?} lacks {reason:?}");
        let signature = token.rsplit('.').next().unwrap();
        assert!(
            signature.is_empty() || !message.contains(signature),
            "{message}"
        );
    }
}

#[tokio::test]
async fn each_user_of_an_issuer_has_their_own_rate_limit_under_the_issuers_label() {
    let h = start(HS256_ISSUER).await;
    let (alice, bob) = (
        hs256(&claims("alice", json!({}))),
        hs256(&claims("bob", json!({}))),
    );
    assert_eq!(h.chat(&alice, "chat").await.0, 200);
    assert_eq!(h.chat(&alice, "chat").await.0, 429);
    // Bob is another user of the same issuer: his minute is his own.
    assert_eq!(h.chat(&bob, "chat").await.0, 200);
    assert_eq!(h.chat(&bob, "chat").await.0, 429);
    // The next minute, Alice may again.
    h.clock.advance(Duration::from_secs(60));
    assert_eq!(h.chat(&alice, "chat").await.0, 200);
    // Metrics count users under their issuer, never under their sub.
    let metrics = h.edge.metrics().render();
    assert!(
        metrics
            .contains(r#"pilotfish_rejections_total{client="web",reason="rate_limit_exceeded"} 2"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"client="web""#), "{metrics}");
    assert!(
        !metrics.contains("alice") && !metrics.contains("bob"),
        "{metrics}"
    );
}

#[tokio::test]
async fn expiry_and_not_before_use_the_proxy_clock_with_a_small_leeway() {
    let h = start(HS256_ISSUER).await;
    let token = hs256(&claims("carol", json!({"exp": NOW + 60})));
    // Within the 5 s leeway after `exp`, still good.
    h.clock.set((NOW + 64) * 1000);
    assert_eq!(h.chat(&token, "chat").await.0, 200);
    h.clock.set((NOW + 66) * 1000);
    h.refused(&token, "token_expired", "token rejected: expired")
        .await;
    h.clock.set(NOW * 1000);
    let later = hs256(&claims("dave", json!({"nbf": NOW + 30})));
    h.refused(&later, "invalid_token", "not yet valid").await;
    h.clock.set((NOW + 26) * 1000);
    assert_eq!(h.chat(&later, "chat").await.0, 200);
    // A token living longer than the issuer's max_ttl_secs (900) is no short-lived token.
    h.clock.set(NOW * 1000);
    let long = hs256(&claims("erin", json!({"exp": NOW + 3_600})));
    h.refused(&long, "invalid_token", "max_ttl_secs").await;
    let no_exp = hs256(&claims("erin", json!({"exp": null})));
    h.refused(&no_exp, "invalid_token", "claim `exp`").await;
}

#[tokio::test]
async fn the_audience_must_be_the_configured_one() {
    let h = start(HS256_ISSUER).await;
    let other = hs256(&claims("frank", json!({"aud": "another-service"})));
    h.refused(&other, "invalid_token", "audience").await;
    let none = hs256(&claims("frank", json!({"aud": null})));
    h.refused(&none, "invalid_token", "claim `aud`").await;
    let listed = hs256(&claims("frank", json!({"aud": ["x", "pilotfish"]})));
    assert_eq!(h.chat(&listed, "chat").await.0, 200);
}

#[tokio::test]
async fn an_issuer_without_audience_refuses_tokens_meant_for_someone() {
    let pair = keys::ed25519();
    let h = start(&asymmetric_issuer("ed", "EdDSA", &pair)).await;
    let key = EncodingKey::from_ed_pem(pair.private_pem.as_bytes()).unwrap();
    let plain = sign(
        Algorithm::EdDSA,
        "ed",
        &claims("gina", json!({"aud": null})),
        &key,
    );
    assert_eq!(h.chat(&plain, "chat").await.0, 200);
    let aimed = sign(Algorithm::EdDSA, "ed", &claims("gina", json!({})), &key);
    h.refused(&aimed, "invalid_token", "audience").await;
}

#[tokio::test]
async fn algorithm_confusion_none_and_bad_signatures_are_refused() {
    let pair = keys::ed25519();
    let h = start(&asymmetric_issuer("ed", "EdDSA", &pair)).await;
    let good = claims("hank", json!({"aud": null}));
    // The classic confusion: HS256 "signed" with the issuer's public key as the secret.
    let public_as_secret = EncodingKey::from_secret(pair.public_pem.as_bytes()).unwrap();
    let confused = sign(Algorithm::HS256, "ed", &good, &public_as_secret);
    h.refused(&confused, "invalid_token", "issuer `ed` signs with EdDSA")
        .await;
    // `alg: none` with an empty signature.
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": "ed", "typ": "JWT"})),
        b64(&good)
    );
    h.refused(&none, "invalid_token", "algorithm not accepted")
        .await;
    // Signed by another Ed25519 key, and a good token whose claims were edited.
    let stranger = EncodingKey::from_ed_pem(keys::ed25519().private_pem.as_bytes()).unwrap();
    let forged = sign(Algorithm::EdDSA, "ed", &good, &stranger);
    h.refused(&forged, "invalid_token", "bad signature").await;
    let key = EncodingKey::from_ed_pem(pair.private_pem.as_bytes()).unwrap();
    let token = sign(Algorithm::EdDSA, "ed", &good, &key);
    assert_eq!(h.chat(&token, "chat").await.0, 200);
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = b64(&claims("hank", json!({"aud": null, "rpm": 1000})));
    h.refused(&parts.join("."), "invalid_token", "bad signature")
        .await;
    // An issuer the config does not know.
    let unknown = sign(Algorithm::EdDSA, "elsewhere", &good, &key);
    h.refused(&unknown, "invalid_token", "unknown issuer").await;
}

#[tokio::test]
async fn es256_tokens_verify_and_a_static_token_still_works_beside_them() {
    let pair = keys::p256();
    let h = start(&asymmetric_issuer("ec", "ES256", &pair)).await;
    let key = EncodingKey::from_ec_pem(pair.private_pem.as_bytes()).unwrap();
    let token = sign(
        Algorithm::ES256,
        "ec",
        &claims("ivy", json!({"aud": null})),
        &key,
    );
    assert_eq!(h.chat(&token, "chat").await.0, 200);
    // One issuer: a token without `kid` is its.
    let bare = jsonwebtoken::encode(
        &Header::new(Algorithm::ES256),
        &claims("ivy", json!({"aud": null})),
        &key,
    )
    .unwrap();
    assert_eq!(h.chat(&bare, "chat").await.0, 200);
    assert_eq!(h.chat(STATIC_TOKEN, "chat").await.0, 200);
    let (status, code, _) = h.chat("pf-unknown-static-token", "chat").await;
    assert_eq!((status, code.as_str()), (401, "invalid_api_key"));
}

#[tokio::test]
async fn limits_in_a_token_are_capped_by_the_issuer() {
    let issuer = r#"
[[issuers]]
name = "web"
algorithm = "HS256"
secret_env = "TEST_JWT_SECRET"
audience = "pilotfish"
models = ["chat", "local"]
rpm = 3
"#;
    let h = start(issuer).await;
    // Asking for more than the issuer allows gets the issuer's 3.
    let greedy = hs256(&claims(
        "jack",
        json!({"rpm": 1000, "models": ["chat", "claude"]}),
    ));
    for _ in 0..3 {
        assert_eq!(h.chat(&greedy, "chat").await.0, 200);
    }
    assert_eq!(h.chat(&greedy, "chat").await.0, 429);
    // `claude` is not the issuer's to grant, and `local` was not in the token.
    let (status, code, _) = h.chat(&greedy, "claude").await;
    assert_eq!((status, code.as_str()), (403, "model_not_allowed"));
    let (status, _, _) = h.chat(&greedy, "local").await;
    assert_eq!(status, 403);
    // A token may lower the limit: one request per minute for this user.
    let modest = hs256(&claims("kate", json!({"rpm": 1})));
    assert_eq!(h.chat(&modest, "local").await.0, 200);
    assert_eq!(h.chat(&modest, "chat").await.0, 429);
    let broke = hs256(&claims("liam", json!({"daily_budget_usd": -1.0})));
    h.refused(&broke, "invalid_token", "daily_budget_usd").await;
}
