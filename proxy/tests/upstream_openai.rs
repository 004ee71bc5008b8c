//! The request path against the fake OpenAI and Ollama upstreams over real sockets: pass-through
//! of bodies and keys, streaming with and without `include_usage`, FIM, embeddings, models, and
//! the client errors that must never reach an upstream.

mod support;

use serde_json::{Value, json};
use support::{OPENAI_KEY, sse_data, sse_text, start_pair};

async fn post(url: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .bearer_auth("client-token-should-not-leak")
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn chat_non_stream_passes_through_with_the_provider_key() {
    let (fake, proxy) = start_pair("").await;
    let res = post(
        &proxy.url("/v1/chat/completions"),
        &json!({"model": "chat", "messages": [{"role": "user", "content": "hi"}], "seed": 42, "temperature": 0.2}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "w0 w1 w2 w3 w4 ");
    assert_eq!(body["usage"]["total_tokens"], 14);
    let seen = fake.behaviour.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "chat/completions");
    // The alias is replaced by the upstream model; unknown fields survive.
    assert_eq!(seen[0].body["model"], "gpt-4o-mini");
    assert_eq!(seen[0].body["seed"], 42);
    // The upstream sees the provider key, never the client's token.
    let auth = seen[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(auth, format!("Bearer {OPENAI_KEY}"));
}

#[tokio::test]
async fn chat_stream_ends_with_done_and_hides_usage_unless_asked() {
    let (fake, proxy) = start_pair("").await;
    let res = post(
        &proxy.url("/v1/chat/completions"),
        &json!({"model": "chat", "messages": [{"role": "user", "content": "hi"}], "stream": true}),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let data = sse_data(&res.text().await.unwrap());
    assert_eq!(data.last().unwrap(), "[DONE]");
    assert_eq!(sse_text(&data), "w0 w1 w2 w3 w4 ");
    assert!(
        data.iter().all(|d| !d.contains("\"total_tokens\"")),
        "usage chunk must be hidden: {data:?}"
    );
    // The proxy asked the upstream for usage anyway (for accounting).
    assert_eq!(
        fake.behaviour.seen()[0].body["stream_options"]["include_usage"],
        true
    );

    let res = post(
        &proxy.url("/v1/chat/completions"),
        &json!({"model": "chat", "messages": [{"role": "user", "content": "hi"}], "stream": true,
                "stream_options": {"include_usage": true}}),
    )
    .await;
    let data = sse_data(&res.text().await.unwrap());
    let usage: Value = serde_json::from_str(&data[data.len() - 2]).unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"]["completion_tokens"], 5);
}

#[tokio::test]
async fn fim_completion_passes_prompt_and_suffix() {
    let (fake, proxy) = start_pair("").await;
    let res = post(
        &proxy.url("/v1/completions"),
        &json!({"model": "fim", "prompt": "def add(a, b):\n    ", "suffix": "\n\nprint(add(1, 2))", "max_tokens": 16}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    // The fake appends the suffix length it received.
    assert_eq!(body["choices"][0]["text"], "w0 w1 w2 w3 w4 <18>");
    let seen = &fake.behaviour.seen()[0];
    assert_eq!(seen.path, "completions");
    assert_eq!(seen.body["suffix"], "\n\nprint(add(1, 2))");
    assert_eq!(seen.body["max_tokens"], 16);
}

#[tokio::test]
async fn ollama_chat_stream_and_fim() {
    let (fake, proxy) = start_pair("").await;
    let res = post(
        &proxy.url("/v1/chat/completions"),
        &json!({"model": "local", "messages": [{"role": "user", "content": "hi"}], "stream": true}),
    )
    .await;
    let data = sse_data(&res.text().await.unwrap());
    assert_eq!(sse_text(&data), "w0 w1 w2 w3 w4 ");
    assert!(data[0].contains("fp_ollama"));
    let res = post(
        &proxy.url("/v1/completions"),
        &json!({"model": "local-fim", "prompt": "fn main() {", "suffix": "}", "stream": true}),
    )
    .await;
    let data = sse_data(&res.text().await.unwrap());
    assert_eq!(sse_text(&data), "w0 w1 w2 w3 w4 ");
    assert_eq!(data.last().unwrap(), "[DONE]");
    let seen = fake.behaviour.seen();
    assert_eq!(seen[1].path, "completions");
    assert_eq!(seen[1].body["model"], "qwen2.5-coder:1.5b-base");
    assert_eq!(seen[1].body["suffix"], "}");
    // Ollama needs no key, so none is sent.
    assert!(seen[1].headers.get("authorization").is_none());
}

#[tokio::test]
async fn embeddings_and_models() {
    let (_fake, proxy) = start_pair("").await;
    let res = post(
        &proxy.url("/v1/embeddings"),
        &json!({"model": "embed", "input": ["a", "b"]}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"][1]["embedding"], json!([0.25, -0.5, 1.0]));

    let models: Value = reqwest::get(proxy.url("/v1/models"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["chat", "claude", "local", "fim", "local-fim", "embed"]
    );
    let health = reqwest::get(proxy.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
}

/// Client errors: status, error code, and zero upstream hits.
#[tokio::test]
async fn bad_requests_never_reach_the_upstream() {
    let (fake, proxy) = start_pair("").await;
    let client = reqwest::Client::new();
    let cases: Vec<(reqwest::RequestBuilder, u16, Option<&str>)> = vec![
        (
            client.post(proxy.url("/v1/chat/completions")).header("content-type", "application/json").body("{not json"),
            400,
            None,
        ),
        (
            client.post(proxy.url("/v1/chat/completions")).json(&json!({"model": "chat"})),
            400,
            None,
        ),
        (
            client
                .post(proxy.url("/v1/chat/completions"))
                .json(&json!({"model": "gpt-5", "messages": []})),
            403,
            Some("model_not_allowed"),
        ),
        (
            client.post(proxy.url("/v1/chat/completions")).json(
                &json!({"model": "chat", "messages": [{"role": "user", "content": "x".repeat(5000)}]}),
            ),
            413,
            Some("request_too_large"),
        ),
        (
            // No Content-Length: the limit applies while reading the streamed body.
            client
                .post(proxy.url("/v1/chat/completions"))
                .body(reqwest::Body::wrap_stream(futures::stream::iter(
                    (0..10).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1000])),
                ))),
            413,
            Some("request_too_large"),
        ),
        (client.get(proxy.url("/v2/nothing")), 404, Some("not_found")),
        (client.get(proxy.url("/v1/chat/completions")), 405, Some("method_not_allowed")),
    ];
    for (req, status, code) in cases {
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status);
        let body: Value = res.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        assert!(body["error"]["type"].is_string(), "{body}");
        if let Some(code) = code {
            assert_eq!(body["error"]["code"], code);
        }
    }
    assert_eq!(fake.behaviour.hits(), 0);
}

#[tokio::test]
async fn stream_usage_can_be_turned_off_per_provider() {
    let fake = support::FakeUpstream::start().await;
    let toml = support::config_toml(&fake, "").replace(
        "[[providers]]\nname = \"ollama\"",
        "[[providers]]\nstream_usage = false\nname = \"ollama\"",
    );
    assert!(toml.contains("stream_usage = false"));
    let proxy = support::Proxy::start(support::load_config(&toml)).await;
    let body =
        json!({"model": "local", "messages": [{"role": "user", "content": "hi"}], "stream": true});
    let data = sse_data(
        &post(&proxy.url("/v1/chat/completions"), &body)
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(sse_text(&data), "w0 w1 w2 w3 w4 ");
    assert!(
        fake.behaviour.seen()[0]
            .body
            .get("stream_options")
            .is_none()
    );
}

/// A client that writes its whole oversized body before reading the answer (many HTTP/1
/// clients do) must read the 413, not a broken pipe: the proxy reads and discards the body up
/// to a bound before answering, then closes. Declared length and chunked alike.
#[tokio::test]
async fn an_oversized_body_written_in_full_before_reading_gets_a_readable_413() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (fake, proxy) = start_pair("").await;
    // 2 MiB and a bit against the test limit of 4 KiB.
    let body = format!(
        "{{\"model\":\"chat\",\"messages\":[],\"pad\":\"{}\"}}",
        "x".repeat(2 * 1024 * 1024 + 1)
    );
    for chunked in [true, false] {
        // A small send buffer keeps the client sending while the proxy answers, as on a real
        // network; loopback's large default buffers would otherwise swallow the whole body.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_send_buffer_size(16 * 1024).unwrap();
        let mut sock = socket.connect(proxy.addr).await.unwrap();
        let framing = if chunked {
            "transfer-encoding: chunked".to_owned()
        } else {
            format!("content-length: {}", body.len())
        };
        let head = format!(
            "POST /v1/chat/completions HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
             authorization: Bearer t\r\n{framing}\r\n\r\n",
            proxy.addr
        );
        let write = async {
            sock.write_all(head.as_bytes()).await?;
            if chunked {
                for piece in body.as_bytes().chunks(64 * 1024) {
                    sock.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                        .await?;
                    sock.write_all(piece).await?;
                    sock.write_all(b"\r\n").await?;
                }
                sock.write_all(b"0\r\n\r\n").await?;
            } else {
                sock.write_all(body.as_bytes()).await?;
            }
            sock.flush().await
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), write)
            .await
            .expect("the body is written in time")
            .unwrap_or_else(|e| panic!("chunked={chunked}: writing the body failed: {e}"));
        let mut response = Vec::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(30),
            sock.read_to_end(&mut response),
        )
        .await
        .expect("the proxy answers and closes in time")
        .unwrap_or_else(|e| panic!("chunked={chunked}: reading the answer failed: {e}"));
        let text = String::from_utf8_lossy(&response);
        assert!(
            text.starts_with("HTTP/1.1 413"),
            "chunked={chunked}: {text}"
        );
        assert!(text.contains("request_too_large"), "{text}");
    }
    assert_eq!(fake.behaviour.hits(), 0);
}
