//! A real server on a real socket, around the real model file named by `PILOTFISH_LOCAL_MODEL`,
//! and the few client helpers the tests share.
#![allow(dead_code)]

use std::sync::OnceLock;

use futures::StreamExt;
use local_llm::Model;
use local_llm::server::{AppState, QueueConfig, app};
use serde_json::Value;

/// The model, loaded once per test binary; each server gets a clone (shared weights).
pub fn model() -> Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let path = std::env::var_os("PILOTFISH_LOCAL_MODEL").unwrap_or_else(|| {
                panic!(
                    "PILOTFISH_LOCAL_MODEL is not set: these tests need the SmolLM2 GGUF. Run \
                     `cargo xtask setup` and set PILOTFISH_LOCAL_MODEL=.cache/models/smollm2/\
                     SmolLM2-135M-Instruct.Q4_1.gguf, or run `cargo xtask test`, which does both"
                )
            });
            Model::load_file(std::path::Path::new(&path))
                .unwrap_or_else(|e| panic!("loading {}: {e}", path.to_string_lossy()))
        })
        .clone()
}

/// A server listening on a free loopback port, for as long as the test's runtime runs.
pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
}

impl Server {
    /// Starts a server whose queue holds `capacity` waiting requests.
    pub async fn start(capacity: usize) -> Server {
        let state = AppState::start(model(), "smollm2".into(), QueueConfig { capacity })
            .expect("starting the worker thread");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app(state)).await });
        Server {
            base,
            client: reqwest::Client::new(),
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// POSTs and returns the JSON body, asserting a 200.
    pub async fn ok(&self, path: &str, body: Value) -> Value {
        let response = self.post(path, body).await;
        let status = response.status();
        let json: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "{json}");
        json
    }

    /// The worker's counters.
    pub async fn stats(&self) -> Value {
        self.client
            .get(format!("{}/v1/internal/stats", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Reads server-sent events one `data:` payload at a time.
pub struct Events {
    body: futures::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
    buffer: String,
}

impl Events {
    pub fn new(response: reqwest::Response) -> Events {
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        Events {
            body: response.bytes_stream().boxed(),
            buffer: String::new(),
        }
    }

    /// The next event's data, `None` after `[DONE]` or at the end of the body.
    pub async fn next(&mut self) -> Option<Value> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                let data: String = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect();
                if data.is_empty() {
                    continue;
                }
                if data == "[DONE]" {
                    return None;
                }
                return Some(serde_json::from_str(&data).unwrap());
            }
            let bytes = self.body.next().await?.unwrap();
            self.buffer.push_str(std::str::from_utf8(&bytes).unwrap());
        }
    }

    /// Every remaining event.
    pub async fn all(mut self) -> Vec<Value> {
        let mut events = Vec::new();
        while let Some(e) = self.next().await {
            events.push(e);
        }
        events
    }
}

/// The text of a chat chunk or a completion chunk.
pub fn chunk_text(event: &Value) -> String {
    let choice = &event["choices"][0];
    choice["delta"]["content"]
        .as_str()
        .or(choice["text"].as_str())
        .unwrap_or_default()
        .to_owned()
}
