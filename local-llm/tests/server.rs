//! The server against the real SmolLM2 GGUF over real sockets: both endpoints streaming and not,
//! stop sequences, the context-window and FIM errors, cancellation, the full queue, determinism.

mod support;

use serde_json::{Value, json};
use support::{Events, Server, chunk_text};

fn chat(content: &str) -> Value {
    json!({"model": "smollm2", "messages": [{"role": "user", "content": content}]})
}

fn with(mut body: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[tokio::test]
async fn models_lists_the_served_model() {
    let server = Server::start(1).await;
    let list: Value = server
        .client
        .get(format!("{}/v1/models", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"][0]["id"], "smollm2");
}

#[tokio::test]
async fn chat_answers_and_its_stream_carries_the_same_text_and_usage() {
    let server = Server::start(1).await;
    let request = with(
        chat("What is 2+2?"),
        json!({"temperature": 0, "max_tokens": 24}),
    );
    let whole = server.ok("/v1/chat/completions", request.clone()).await;
    let answer = whole["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(answer.contains('4'), "{answer}");
    assert_eq!(whole["choices"][0]["message"]["role"], "assistant");
    assert_eq!(whole["object"], "chat.completion");
    let usage = &whole["usage"];
    // The template adds SmolLM's default system prompt: far more than the question's few tokens.
    assert!(usage["prompt_tokens"].as_u64().unwrap() > 20, "{usage}");
    assert!(usage["completion_tokens"].as_u64().unwrap() > 0, "{usage}");
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
        )
    );

    let streamed = with(
        request,
        json!({"stream": true, "stream_options": {"include_usage": true}}),
    );
    let events = Events::new(server.post("/v1/chat/completions", streamed).await)
        .all()
        .await;
    assert_eq!(events[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(
        events
            .iter()
            .all(|e| e["object"] == "chat.completion.chunk")
    );
    let text: String = events.iter().map(chunk_text).collect();
    assert_eq!(text, answer);
    let finish = &events[events.len() - 2]["choices"][0]["finish_reason"];
    assert_eq!(finish, &whole["choices"][0]["finish_reason"]);
    let last = events.last().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert_eq!(&last["usage"], usage);
}

#[tokio::test]
async fn completion_streams_the_text_it_returns_whole_and_honours_max_tokens() {
    let server = Server::start(1).await;
    let request = json!({"model": "smollm2", "prompt": "def fibonacci(n):", "temperature": 0,
        "max_tokens": 20, "ignore_eos": true});
    let whole = server.ok("/v1/completions", request.clone()).await;
    assert_eq!(whole["object"], "text_completion");
    assert_eq!(whole["choices"][0]["finish_reason"], "length");
    assert_eq!(whole["usage"]["completion_tokens"], 20);
    let text = whole["choices"][0]["text"].as_str().unwrap();
    assert!(!text.trim().is_empty());

    let events = Events::new(
        server
            .post("/v1/completions", with(request, json!({"stream": true})))
            .await,
    )
    .all()
    .await;
    let streamed: String = events.iter().map(chunk_text).collect();
    assert_eq!(streamed, text);
    assert_eq!(
        events.last().unwrap()["choices"][0]["finish_reason"],
        "length"
    );
}

#[tokio::test]
async fn a_stop_sequence_ends_the_text_just_before_it_streaming_or_not() {
    let server = Server::start(1).await;
    let request = json!({"model": "smollm2", "prompt": "def fibonacci(n):", "temperature": 0,
        "max_tokens": 40, "ignore_eos": true});
    let full = server.ok("/v1/completions", request.clone()).await["choices"][0]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    // A stop string from the middle of the greedy text, likely spanning a token boundary.
    let chars: Vec<char> = full.chars().collect();
    let stop: String = chars[chars.len() / 2..chars.len() / 2 + 5].iter().collect();
    let expected = &full[..full.find(&stop).unwrap()];

    let stopped = server
        .ok(
            "/v1/completions",
            with(request.clone(), json!({"stop": [stop.clone()]})),
        )
        .await;
    assert_eq!(
        stopped["choices"][0]["text"], expected,
        "stop {stop:?} in {full:?}"
    );
    assert_eq!(stopped["choices"][0]["finish_reason"], "stop");
    assert!(stopped["usage"]["completion_tokens"].as_u64().unwrap() < 40);

    let events = Events::new(
        server
            .post(
                "/v1/completions",
                with(request, json!({"stop": stop, "stream": true})),
            )
            .await,
    )
    .all()
    .await;
    let streamed: String = events.iter().map(chunk_text).collect();
    assert_eq!(streamed, expected);
}

#[tokio::test]
async fn a_prompt_over_the_context_window_is_a_clear_400() {
    let server = Server::start(1).await;
    let long = "hello ".repeat(5000);
    for (path, body) in [
        (
            "/v1/completions",
            json!({"model": "smollm2", "prompt": long}),
        ),
        ("/v1/chat/completions", chat(&long)),
    ] {
        let response = server.post(path, body).await;
        assert_eq!(response.status(), 400, "{path}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "context_length_exceeded", "{error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("context window is 4096 tokens"),
            "{message}"
        );
    }
    // Nothing was generated for them, and the server still answers.
    assert_eq!(server.stats().await["generated_tokens"], 0);
    server
        .ok(
            "/v1/completions",
            json!({"model": "smollm2", "prompt": "Hi", "max_tokens": 1}),
        )
        .await;
}

#[tokio::test]
async fn suffix_on_a_model_without_fim_tokens_is_a_clear_400() {
    let server = Server::start(1).await;
    let response = server
        .post(
            "/v1/completions",
            json!({"model": "smollm2", "prompt": "def f(", "suffix": "\n    return x"}),
        )
        .await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "fim_unsupported", "{error}");
}

#[tokio::test]
async fn a_client_leaving_mid_stream_stops_generation() {
    let server = Server::start(1).await;
    let request = json!({"model": "smollm2", "prompt": "Once upon a time", "temperature": 0,
        "max_tokens": 2000, "ignore_eos": true, "stream": true});
    let mut events = Events::new(server.post("/v1/completions", request).await);
    let mut pieces = 0;
    while pieces < 3 {
        let event = events.next().await.expect("the stream ended early");
        if !chunk_text(&event).is_empty() {
            pieces += 1;
        }
    }
    drop(events);
    // One worker runs requests in order: this one completes only after the abandoned one ended.
    server
        .ok(
            "/v1/completions",
            json!({"model": "smollm2", "prompt": "Hi", "max_tokens": 1}),
        )
        .await;
    let stats = server.stats().await;
    let generated = stats["generated_tokens"].as_u64().unwrap();
    assert!(generated < 100, "the abandoned stream went on: {stats}");
    assert_eq!(stats["cancelled"], 1, "{stats}");
}

#[tokio::test]
async fn requests_beyond_the_queue_get_429_with_retry_after_and_the_server_lives_on() {
    let server = Server::start(1).await;
    let long = json!({"model": "smollm2", "prompt": "Once upon a time", "max_tokens": 2000,
        "ignore_eos": true, "stream": true});
    // The first request runs (its first text proves the worker took it), the second waits in the
    // one-place queue (its 200 comes as soon as it is queued).
    let mut running = Events::new(server.post("/v1/completions", long.clone()).await);
    while chunk_text(&running.next().await.unwrap()).is_empty() {}
    let waiting = Events::new(server.post("/v1/completions", long.clone()).await);

    let refused = futures::future::join_all((0..3).map(|_| {
        server.post(
            "/v1/completions",
            json!({"model": "smollm2", "prompt": "Hi", "max_tokens": 1}),
        )
    }))
    .await;
    for response in refused {
        assert_eq!(response.status(), 429);
        let retry: u32 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry >= 1);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "queue_full");
    }
    // The queued request starts once the running one is abandoned; abandoned in turn, it leaves
    // the queue empty and the worker free for the next one.
    drop(running);
    let mut waiting = waiting;
    while chunk_text(&waiting.next().await.unwrap()).is_empty() {}
    drop(waiting);
    let after = server
        .ok(
            "/v1/completions",
            json!({"model": "smollm2", "prompt": "Hi", "max_tokens": 2}),
        )
        .await;
    assert_eq!(after["usage"]["completion_tokens"], 2);
    let stats = server.stats().await;
    assert_eq!(stats["rejected"], 3, "{stats}");
    assert_eq!(stats["cancelled"], 2, "{stats}");
}

#[tokio::test]
async fn a_fixed_seed_repeats_its_text_at_any_temperature_and_temperature_zero_is_greedy() {
    let server = Server::start(1).await;
    let text = |body: Value| {
        let server = &server;
        async move {
            server.ok("/v1/chat/completions", body).await["choices"][0]["message"]["content"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let hot = |seed: u64| {
        with(
            chat("Tell me about cats."),
            json!({"temperature": 1.3, "top_p": 0.95, "seed": seed, "max_tokens": 32,
                "ignore_eos": true}),
        )
    };
    let first = text(hot(1234)).await;
    assert_eq!(text(hot(1234)).await, first);
    assert_ne!(
        text(hot(99)).await,
        first,
        "another seed gave the same text"
    );

    let greedy = with(
        chat("Tell me about cats."),
        json!({"temperature": 0, "max_tokens": 32}),
    );
    let g = text(greedy.clone()).await;
    assert_eq!(text(with(greedy, json!({"seed": 5}))).await, g);
}
