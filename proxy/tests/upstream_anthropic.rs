//! The request path against the fake Anthropic upstream: OpenAI chat in, Messages API out,
//! named SSE events back as OpenAI chunks, 529 and in-stream `overloaded_error` retried, FIM
//! refused with a clear 400.

mod support;

use serde_json::{Value, json};
use support::{ANTHROPIC_KEY, Mode, sse_data, sse_text, start_pair};

async fn post(url: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn chat(stream: bool) -> Value {
    json!({"model": "claude", "stream": stream, "stream_options": {"include_usage": true},
           "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
           "stop": ["END"], "temperature": 0.3})
}

#[tokio::test]
async fn non_stream_chat_is_translated_both_ways() {
    let (fake, proxy) = start_pair("").await;
    let res = post(&proxy.url("/v1/chat/completions"), &chat(false)).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["choices"][0]["message"]["content"], "w0 w1 w2 w3 w4 ");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16})
    );
    let seen = &fake.behaviour.seen()[0];
    assert_eq!(seen.path, "messages");
    assert_eq!(seen.headers["x-api-key"], ANTHROPIC_KEY);
    assert_eq!(seen.headers["anthropic-version"], "2023-06-01");
    assert_eq!(seen.body["system"], "be brief");
    assert_eq!(
        seen.body["messages"],
        json!([{"role": "user", "content": "hi"}])
    );
    assert_eq!(
        seen.body["max_tokens"], 256,
        "the route's default_max_tokens"
    );
    assert_eq!(seen.body["stop_sequences"], json!(["END"]));
    assert_eq!(seen.body["model"], "claude-3-5-haiku-latest");
}

#[tokio::test]
async fn stream_events_become_openai_chunks_with_usage() {
    let (_fake, proxy) = start_pair("").await;
    let res = post(&proxy.url("/v1/chat/completions"), &chat(true)).await;
    assert_eq!(res.status(), 200);
    let data = sse_data(&res.text().await.unwrap());
    assert_eq!(sse_text(&data), "w0 w1 w2 w3 w4 ");
    assert_eq!(data.last().unwrap(), "[DONE]");
    let finish: Value = serde_json::from_str(&data[data.len() - 3]).unwrap();
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    let usage: Value = serde_json::from_str(&data[data.len() - 2]).unwrap();
    assert_eq!(usage["usage"]["total_tokens"], 16);
    assert!(
        data.iter()
            .all(|d| d == "[DONE]" || d.contains("chat.completion.chunk"))
    );
}

#[tokio::test]
async fn in_stream_overloaded_before_content_is_retried() {
    let (fake, proxy) = start_pair("").await;
    fake.behaviour.set_for(1, Mode::InStreamOverloaded);
    let res = post(&proxy.url("/v1/chat/completions"), &chat(true)).await;
    assert_eq!(res.status(), 200);
    let data = sse_data(&res.text().await.unwrap());
    assert_eq!(sse_text(&data), "w0 w1 w2 w3 w4 ");
    assert_eq!(fake.behaviour.hits(), 2);
}

#[tokio::test]
async fn http_529_is_retried_then_reported() {
    let (fake, proxy) = start_pair("").await;
    fake.behaviour.set(Mode::Overloaded);
    let res = post(&proxy.url("/v1/chat/completions"), &chat(false)).await;
    assert_eq!(res.status(), 502);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "upstream_error");
    assert_eq!(fake.behaviour.hits(), 3, "retry.max_attempts");
}

#[tokio::test]
async fn fim_on_anthropic_is_a_clear_400() {
    let (fake, proxy) = start_pair("").await;
    let res = post(
        &proxy.url("/v1/completions"),
        &json!({"model": "claude", "prompt": "a", "suffix": "b"}),
    )
    .await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_by_upstream");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("fill-in-the-middle")
    );
    assert_eq!(fake.behaviour.hits(), 0);
}
