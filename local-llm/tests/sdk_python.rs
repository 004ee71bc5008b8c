//! The official `openai` Python SDK, through the proxy, against pilotfish-local serving the real
//! SmolLM2 GGUF: chat and completions streamed and not, usage, a stop sequence, a fixed seed and
//! the context-window error, with the proxy treating the local server as one more
//! OpenAI-compatible upstream. The interpreter comes from `PILOTFISH_PYTHON` (set by `cargo xtask
//! test`, which creates the venv), else `<workspace>/.cache/venv/bin/python`; when neither exists
//! the test fails with instructions instead of being skipped.

mod support;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};
use support::Server;

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("PILOTFISH_PYTHON") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.cache/venv/bin/python");
    assert!(
        p.exists(),
        "no Python with the openai SDK: set PILOTFISH_PYTHON, or run `cargo xtask test`, or \
         `python3 -m venv .cache/venv && .cache/venv/bin/pip install openai` in the workspace root"
    );
    p
}

/// A proxy whose three aliases route to the local server at `base` (its `/v1` root).
async fn proxy_in_front_of(base: &str) -> String {
    let mut toml = format!(
        "listen = \"127.0.0.1:0\"\n[[providers]]\nname = \"local\"\nkind = \"openai-compatible\"\n\
         base_url = \"{base}/v1\"\n"
    );
    for alias in ["chat", "generate", "autocomplete"] {
        toml.push_str(&format!(
            "[[models]]\nalias = \"{alias}\"\nprovider = \"local\"\nmodel = \"smollm2\"\n"
        ));
    }
    let config = proxy::Config::from_toml(&toml, |_| None).expect("proxy config");
    let state = proxy::AppState::with_edge(config, Arc::new(proxy::state::PassThrough))
        .expect("proxy state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, proxy::app(state)).await });
    url
}

#[tokio::test]
async fn openai_python_sdk_works_through_the_proxy() {
    let server = Server::start(4).await;
    let proxy = proxy_in_front_of(&server.base).await;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/check_local_sdk.py");
    let out = tokio::process::Command::new(python())
        .arg(&script)
        .env("PROXY_BASE_URL", &proxy)
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
    let seen: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");

    // The proxy changed nothing: the same greedy request straight to the server gives the same.
    let direct = server
        .ok(
            "/v1/chat/completions",
            json!({"model": "smollm2", "messages": [{"role": "user", "content": "What is 2+2?"}],
                "temperature": 0, "max_tokens": 24}),
        )
        .await;
    assert_eq!(seen["chat"], direct["choices"][0]["message"]["content"]);
    assert!(seen["chat"].as_str().unwrap().contains('4'), "{seen}");
    assert_eq!(seen["chat_stream"], seen["chat"]);
    let usage = &seen["chat_usage"];
    assert_eq!(seen["chat_stream_usage"], *usage);
    assert_eq!(
        usage,
        &json!(
            direct["usage"]
                .as_object()
                .map(|u| [
                    &u["prompt_tokens"],
                    &u["completion_tokens"],
                    &u["total_tokens"]
                ])
                .unwrap()
        )
    );

    assert_eq!(seen["completion_tokens"], 16);
    assert!(!seen["completion"].as_str().unwrap().is_empty());
    assert_eq!(seen["completion_stream"], seen["completion"]);

    let stopped = seen["stopped"].as_str().unwrap();
    assert!(!stopped.contains("\n\n"), "{stopped:?}");
    assert_eq!(seen["stopped_finish"], "stop", "{seen}");
    assert_eq!(seen["seed_repeats"], true);
    // The proxy answers an upstream 400 with its own words (never an upstream's body): the status
    // is what reaches the SDK; the server's own message is checked in tests/server.rs.
    assert_eq!(seen["too_long"], 400);
}
