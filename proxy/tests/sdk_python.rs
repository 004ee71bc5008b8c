//! The official `openai` Python SDK against the proxy (in front of the fake upstream): chat,
//! streaming with usage, Anthropic translation, FIM, embeddings, models, a 403, and the error
//! event of a stream the upstream drops. The interpreter comes from `PILOTFISH_PYTHON` (set by
//! `cargo xtask test`, which creates the venv), else `<workspace>/.cache/venv/bin/python`; when
//! neither exists the test fails with instructions instead of being skipped.

mod support;

use std::path::PathBuf;

use expect_test::expect;
use support::{FakeUpstream, Mode, Proxy, config_toml, load_config};

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("PILOTFISH_PYTHON") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let p = root.join(".cache/venv/bin/python");
    assert!(
        p.exists(),
        "no Python with the openai SDK: set PILOTFISH_PYTHON, or run `cargo xtask test`, or \
         `python3 -m venv .cache/venv && .cache/venv/bin/pip install openai` in the workspace root"
    );
    p
}

#[tokio::test]
async fn openai_python_sdk_works_against_the_proxy() {
    let fake = FakeUpstream::start().await;
    let dropping = FakeUpstream::start().await;
    dropping.behaviour.set(Mode::DropAfter(2));
    let extra = format!(
        "[[providers]]\nname = \"flaky\"\nkind = \"openai-compatible\"\nbase_url = \"{}\"\n\
         [[models]]\nalias = \"dropping\"\nprovider = \"flaky\"\nmodel = \"m\"\n",
        dropping.v1()
    );
    let proxy = Proxy::start(load_config(&config_toml(&fake, &extra))).await;

    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/check_openai_sdk.py");
    let out = tokio::process::Command::new(python())
        .arg(&script)
        .env("PROXY_BASE_URL", proxy.url("/v1"))
        .env("PROXY_TOKEN", "sdk-test-token")
        .env("NO_PROXY", "127.0.0.1")
        .kill_on_drop(true)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "SDK script failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    v.as_object_mut().unwrap().remove("sdk_version");
    expect![[r#"
        {
          "anthropic_stream": "w0 w1 w2 w3 w4 ",
          "chat": "w0 w1 w2 w3 w4 ",
          "chat_stream": "w0 w1 w2 w3 w4 ",
          "chat_stream_usage": 14,
          "chat_usage": 14,
          "embedding": [
            [
              0.25,
              -0.5,
              0.0
            ],
            [
              0.25,
              -0.5,
              1.0
            ]
          ],
          "fim": "w0 w1 w2 w3 w4 <1>",
          "fim_stream": "w0 w1 w2 w3 w4 ",
          "forbidden": 403,
          "mid_stream_error": {
            "message": "the upstream connection ended before the answer was complete",
            "partial": "w0 w1 ",
            "type": "APIError"
          },
          "models": [
            "chat",
            "claude",
            "local",
            "fim",
            "local-fim",
            "embed",
            "dropping"
          ]
        }"#]]
    .assert_eq(&serde_json::to_string_pretty(&v).unwrap());
    assert_eq!(
        dropping.behaviour.hits(),
        1,
        "no retry after the first byte"
    );
}
