//! OpenAI and OpenAI-compatible servers (Ollama's `/v1`, llama.cpp server, vLLM): the typed
//! request is sent as the client sent it (with the upstream model name; every field the proxy
//! does not name rides along in `extra`), and SSE `data:` lines are parsed into JSON chunks until
//! `[DONE]`. FIM is the `/completions` endpoint with `suffix`, which these servers accept as is.

use eventsource_stream::Eventsource;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use secrecy::ExposeSecret;
use serde_json::Value;

use super::{Connection, EventStream, Upstream, UpstreamError};
use crate::request::ModelRequest;

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

    /// Sends the request to its endpoint; resolves once a 2xx response head arrived.
    async fn post(&self, request: &ModelRequest) -> Result<reqwest::Response, UpstreamError> {
        let path = request.endpoint().path();
        self.conn.post(path, self.headers(), request).await
    }
}

impl Upstream for OpenAi {
    fn call<'a>(
        &'a self,
        request: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<Value, UpstreamError>> {
        async move { self.conn.json(self.post(request).await?).await }.boxed()
    }

    fn stream<'a>(
        &'a self,
        request: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<EventStream, UpstreamError>> {
        async move { Ok(sse_json_stream(self.post(request).await?.bytes_stream())) }.boxed()
    }
}

/// Parses an OpenAI SSE body into JSON chunks. Ends cleanly at `data: [DONE]`, or at the end of
/// the body once a chunk carried a `finish_reason` (some compatible servers omit `[DONE]`); a body
/// that ends before either is `Truncated` (an upstream that dropped mid-stream), and an
/// `{"error":...}` event becomes an error.
fn sse_json_stream<S, E>(bytes: S) -> EventStream
where
    S: futures::Stream<Item = Result<bytes::Bytes, E>> + Send + Unpin + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let events = bytes.eventsource();
    futures::stream::unfold(
        (events, false, false),
        |(mut events, done, mut finished)| async move {
            if done {
                return None;
            }
            loop {
                match events.next().await {
                    None if finished => return None,
                    None => {
                        return Some((Err(UpstreamError::Truncated), (events, true, finished)));
                    }
                    Some(Err(e)) => {
                        let err = UpstreamError::Transport(format!("stream: {e}"));
                        return Some((Err(err), (events, true, finished)));
                    }
                    Some(Ok(ev)) => {
                        let data = ev.data.trim();
                        if data.is_empty() {
                            continue;
                        }
                        if data == "[DONE]" {
                            return None;
                        }
                        let v = match serde_json::from_str::<Value>(data) {
                            Ok(v) => v,
                            Err(e) => {
                                let err = UpstreamError::Decode(e.to_string());
                                return Some((Err(err), (events, true, finished)));
                            }
                        };
                        if v.get("error").is_some_and(|e| !e.is_null()) {
                            let msg = v
                                .pointer("/error/message")
                                .and_then(Value::as_str)
                                .unwrap_or("error event")
                                .to_owned();
                            return Some((
                                Err(UpstreamError::InStream(msg)),
                                (events, true, finished),
                            ));
                        }
                        finished |= v
                            .get("choices")
                            .and_then(Value::as_array)
                            .is_some_and(|cs| {
                                cs.iter()
                                    .any(|c| c.get("finish_reason").is_some_and(|f| !f.is_null()))
                            });
                        return Some((Ok(v), (events, false, finished)));
                    }
                }
            }
        },
    )
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    /// Feeds the body in the given pieces and renders each item on a line.
    async fn check(pieces: &[&str], expect: Expect) {
        let owned: Vec<Result<bytes::Bytes, std::io::Error>> = pieces
            .iter()
            .map(|p| Ok(bytes::Bytes::copy_from_slice(p.as_bytes())))
            .collect();
        let items: Vec<String> = sse_json_stream(futures::stream::iter(owned))
            .map(|r| match r {
                Ok(v) => v.to_string(),
                Err(e) => format!("error: {e}"),
            })
            .collect()
            .await;
        expect.assert_eq(&items.join("\n"));
    }

    #[tokio::test]
    async fn sse_bodies_parse_into_chunks_or_errors() {
        // Events split across network reads, comments and blank data are handled.
        check(
            &[
                ": keep-alive\n\ndata: {\"a\"",
                ":1}\n\n",
                "data: [DONE]\n\n",
                "data: {\"never\":1}\n\n",
            ],
            expect![[r#"{"a":1}"#]],
        )
        .await;
        // No [DONE] and no finish_reason: truncated.
        check(
            &["data: {\"choices\":[{\"finish_reason\":null}]}\n\n"],
            expect![[r#"
                {"choices":[{"finish_reason":null}]}
                error: upstream stream ended before completion"#]],
        )
        .await;
        // No [DONE] but finished: clean end.
        check(
            &["data: {\"choices\":[{\"finish_reason\":\"stop\"}]}\n\n"],
            expect![[r#"{"choices":[{"finish_reason":"stop"}]}"#]],
        )
        .await;
        // In-stream error object and undecodable data.
        check(
            &["data: {\"error\":{\"message\":\"boom\"}}\n\n"],
            expect!["error: upstream stream error: boom"],
        )
        .await;
        check(
            &["data: {oops\n\n"],
            expect!["error: malformed upstream response: key must be a string at line 1 column 2"],
        )
        .await;
    }
}
