//! OpenAI and OpenAI-compatible servers (Ollama's `/v1`, llama.cpp server, vLLM): the request
//! body is forwarded as the client sent it (with the upstream model name), and SSE `data:` lines
//! are parsed into JSON chunks until `[DONE]`. FIM is the `/completions` endpoint with `suffix`,
//! which these servers accept as is.

use eventsource_stream::Eventsource;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use secrecy::ExposeSecret;
use serde_json::Value;

use super::{Connection, Endpoint, EventStream, Upstream, UpstreamError};

/// An OpenAI-wire upstream.
pub struct OpenAi {
    pub conn: Connection,
}

impl OpenAi {
    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(key) = &self.conn.api_key
            && let Ok(mut v) = HeaderValue::from_str(&format!("Bearer {}", key.expose_secret()))
        {
            v.set_sensitive(true);
            h.insert(AUTHORIZATION, v);
        }
        h
    }
}

impl Upstream for OpenAi {
    fn call(&self, endpoint: Endpoint, body: Value) -> BoxFuture<'_, Result<Value, UpstreamError>> {
        async move {
            let resp = self
                .conn
                .post(endpoint.path(), self.headers(), &body)
                .await?;
            self.conn.json(resp).await
        }
        .boxed()
    }

    fn stream(
        &self,
        endpoint: Endpoint,
        body: Value,
    ) -> BoxFuture<'_, Result<EventStream, UpstreamError>> {
        async move {
            let resp = self
                .conn
                .post(endpoint.path(), self.headers(), &body)
                .await?;
            Ok(sse_json_stream(resp))
        }
        .boxed()
    }
}

/// Parses an OpenAI SSE body into JSON chunks. Ends cleanly at `data: [DONE]`; a body that ends
/// without it is `Truncated` (an upstream that dropped mid-stream), and an `{"error":...}` event
/// becomes an error.
fn sse_json_stream(resp: reqwest::Response) -> EventStream {
    let events = resp.bytes_stream().eventsource();
    futures::stream::unfold((events, false), |(mut events, done)| async move {
        if done {
            return None;
        }
        loop {
            match events.next().await {
                None => return Some((Err(UpstreamError::Truncated), (events, true))),
                Some(Err(e)) => {
                    let err = UpstreamError::Transport(format!("stream: {e}"));
                    return Some((Err(err), (events, true)));
                }
                Some(Ok(ev)) => {
                    let data = ev.data.trim();
                    if data.is_empty() {
                        continue;
                    }
                    if data == "[DONE]" {
                        return None;
                    }
                    let item = match serde_json::from_str::<Value>(data) {
                        Ok(v) if v.get("error").is_some_and(|e| !e.is_null()) => {
                            let msg = v
                                .pointer("/error/message")
                                .and_then(Value::as_str)
                                .unwrap_or("error event")
                                .to_owned();
                            return Some((Err(UpstreamError::InStream(msg)), (events, true)));
                        }
                        Ok(v) => Ok(v),
                        Err(e) => {
                            return Some((
                                Err(UpstreamError::Decode(e.to_string())),
                                (events, true),
                            ));
                        }
                    };
                    return Some((item, (events, false)));
                }
            }
        }
    })
    .boxed()
}
