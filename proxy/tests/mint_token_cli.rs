//! `pilotfish-proxy mint-token` and the served binary, as a developer would use them: a token
//! minted by the subcommand (HS256 from the environment, EdDSA from a private key file) is
//! accepted by the proxy, refused ones get their reason, and no token ever reaches the logs.

mod support;

use std::process::Stdio;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use support::binary::spawn_proxy_with_env;
use support::{FakeUpstream, config_toml, keys};

const SECRET: &str = "cli-hs256-secret-0123456789abcdefghijkl";

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `mint-token` with `args`: (exit code, stdout, stderr).
async fn mint(config: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_pilotfish-proxy"))
        .arg("mint-token")
        .arg("--config")
        .arg(config)
        .args(args)
        .env("TEST_OPENAI_KEY", support::OPENAI_KEY)
        .env("TEST_ANTHROPIC_KEY", support::ANTHROPIC_KEY)
        .env("TEST_JWT_SECRET", SECRET)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap().trim().to_owned();
    (
        out.status.code().unwrap_or(-1),
        text(out.stdout),
        text(out.stderr),
    )
}

async fn chat(http: &reqwest::Client, api: &str, token: &str) -> (u16, Value) {
    let res = http
        .post(format!("{api}/v1/chat/completions"))
        .bearer_auth(token)
        .json(&json!({"model": "chat", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minted_tokens_work_and_refused_ones_never_reach_the_logs() {
    let fake = FakeUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ed = keys::ed25519();
    let issuers = format!(
        r#"
[logging]
level = "debug"
[[issuers]]
name = "web"
algorithm = "HS256"
secret_env = "TEST_JWT_SECRET"
audience = "pilotfish"
max_ttl_secs = 900
models = ["chat"]
[[issuers]]
name = "ed"
algorithm = "EdDSA"
models = ["chat"]
public_key_pem = '''
{}'''
"#,
        ed.public_pem
    );
    let config = format!(
        "admin_listen = \"127.0.0.1:0\"\n{}",
        config_toml(&fake, &issuers)
    );
    let path = write(&dir, "proxy.toml", &config);
    let key_file = write(&dir, "ed.pem", &ed.private_pem);

    let (code, hs, err) = mint(
        &path,
        &["--issuer", "web", "--sub", "alice", "--ttl", "15m"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let key_arg = key_file.to_str().unwrap();
    let args = [
        "--issuer",
        "ed",
        "--sub",
        "bob",
        "--ttl",
        "60s",
        "--private-key",
        key_arg,
    ];
    let (code, eddsa, err) = mint(&path, &args).await;
    assert_eq!(code, 0, "{err}");
    // The subcommand keeps to the issuer's rules.
    let (code, _, err) = mint(&path, &["--issuer", "web", "--sub", "a", "--ttl", "1h"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("max_ttl_secs (900 s)"), "{err}");
    let (code, _, err) = mint(&path, &["--issuer", "nobody", "--sub", "a"]).await;
    assert_eq!(
        (code, err.contains("no issuer `nobody`")),
        (2, true),
        "{err}"
    );
    let (code, _, err) = mint(&path, &["--issuer", "ed", "--sub", "a"]).await;
    assert_eq!((code, err.contains("--private-key")), (2, true), "{err}");

    let proxy = spawn_proxy_with_env(&config, &[("TEST_JWT_SECRET", SECRET)]).await;
    let http = reqwest::Client::new();
    assert_eq!(chat(&http, &proxy.api, &hs).await.0, 200);
    assert_eq!(chat(&http, &proxy.api, &eddsa).await.0, 200);

    // Expired an hour ago, by the real clock the binary reads.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("web".into());
    let claims = json!({"sub": "carol", "exp": now - 3_600, "aud": "pilotfish"});
    let key = EncodingKey::from_secret(SECRET.as_bytes()).unwrap();
    let expired = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    let (status, body) = chat(&http, &proxy.api, &expired).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "token_expired", "{body}");
    // HS256 under the EdDSA issuer's name.
    header.kid = Some("ed".into());
    let confused = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    let (status, body) = chat(&http, &proxy.api, &confused).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_token", "{body}");

    let logs = proxy.stop().await;
    assert!(logs.contains("signed token refused"), "{logs}");
    assert!(logs.contains("expired"), "{logs}");
    for token in [&hs, &eddsa, &expired, &confused] {
        // No token, and not its signature either (the part that makes it a credential).
        let signature = token.rsplit('.').next().unwrap();
        assert!(!logs.contains(signature), "logs leak a token:\n{logs}");
    }
    assert!(!logs.contains(SECRET), "logs leak the HS256 secret");
}
