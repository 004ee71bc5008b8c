//! Anthropic's Messages API behind the OpenAI wire format.
//!
//! The typed chat request is translated (`request`), sent to `/messages`, and the answer comes
//! back as an OpenAI chat completion (`response`) or as OpenAI chunks translated from Anthropic's
//! named SSE events (`stream`). Legacy completions (FIM) and embeddings do not exist there and are
//! refused with a clear 400 rather than faked through a chat prompt.

mod request;
mod response;
mod stream;

use futures::FutureExt;
use futures::future::BoxFuture;
use protocol::ChatCompletionRequest;
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::ExposeSecret;
use serde_json::Value;

pub use request::to_messages_request;
pub use response::from_message;
pub use stream::{StreamTranslator, Translated};

use super::{Connection, EventStream, Upstream, UpstreamError};
use crate::request::ModelRequest;

/// The API version header every request carries.
const ANTHROPIC_VERSION: &str = "2023-06-01";

/// An Anthropic upstream.
pub struct Anthropic {
    pub conn: Connection,
}

impl Anthropic {
    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "anthropic-version",
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        if let Some(key) = &self.conn.api_key
            && let Ok(mut v) = HeaderValue::from_str(key.expose_secret())
        {
            v.set_sensitive(true);
            h.insert("x-api-key", v);
        }
        h
    }

    /// Translates the chat request and sends it to `/messages`; resolves once a 2xx response
    /// head arrived.
    async fn post(
        &self,
        request: &ModelRequest,
        stream: bool,
    ) -> Result<reqwest::Response, UpstreamError> {
        let req = to_messages_request(chat(request)?, stream)?;
        self.conn.post("messages", self.headers(), &req).await
    }
}

/// The chat request inside `request`; the other endpoints do not exist at Anthropic.
fn chat(request: &ModelRequest) -> Result<&ChatCompletionRequest, UpstreamError> {
    match request {
        ModelRequest::Chat(chat) => Ok(chat),
        ModelRequest::Completion(_) => Err(UpstreamError::Unsupported(
            "this model's provider (Anthropic) has no fill-in-the-middle completions endpoint; \
             use /v1/chat/completions or an alias served by an OpenAI-compatible provider"
                .to_owned(),
        )),
        ModelRequest::Embedding(_) => Err(UpstreamError::Unsupported(
            "this model's provider (Anthropic) does not serve embeddings".to_owned(),
        )),
    }
}

impl Upstream for Anthropic {
    fn call<'a>(
        &'a self,
        request: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<Value, UpstreamError>> {
        async move {
            let message = self.conn.json(self.post(request, false).await?).await?;
            from_message(&message)
        }
        .boxed()
    }

    fn stream<'a>(
        &'a self,
        request: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<EventStream, UpstreamError>> {
        async move { Ok(stream::translate(self.post(request, true).await?)) }.boxed()
    }
}
