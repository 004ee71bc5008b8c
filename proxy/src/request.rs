//! What a client asks for: one of three model endpoints, and its body parsed once into
//! `protocol`'s typed request. From here on the request path reads the typed form (model, stream,
//! `include_usage`, sampling) instead of digging in JSON, and upstreams receive it as it is:
//! OpenAI-wire providers serialize it (fields the proxy does not name ride along in `extra`),
//! Anthropic translates it.

use protocol::{
    ChatCompletionRequest, CompletionRequest, EmbeddingRequest, GenerationOptions,
    GenerationRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Limits;
use crate::error::AppError;

/// Which OpenAI endpoint a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Chat,
    Completions,
    Embeddings,
}

impl Endpoint {
    /// Path under the API root (`/v1`).
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Chat => "chat/completions",
            Endpoint::Completions => "completions",
            Endpoint::Embeddings => "embeddings",
        }
    }

    /// The proxy's own route for this endpoint.
    pub fn route(self) -> &'static str {
        match self {
            Endpoint::Chat => "/v1/chat/completions",
            Endpoint::Completions => "/v1/completions",
            Endpoint::Embeddings => "/v1/embeddings",
        }
    }
}

/// A model request in its typed form. Serializes as the inner request (the wire body).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ModelRequest {
    Chat(ChatCompletionRequest),
    Completion(CompletionRequest),
    Embedding(EmbeddingRequest),
}

impl ModelRequest {
    /// The typed request for `endpoint` read from the client's JSON body.
    pub fn parse(endpoint: Endpoint, body: &Value) -> Result<Self, serde_json::Error> {
        Ok(match endpoint {
            Endpoint::Chat => ModelRequest::Chat(ChatCompletionRequest::deserialize(body)?),
            Endpoint::Completions => {
                ModelRequest::Completion(CompletionRequest::deserialize(body)?)
            }
            Endpoint::Embeddings => ModelRequest::Embedding(EmbeddingRequest::deserialize(body)?),
        })
    }

    pub fn endpoint(&self) -> Endpoint {
        match self {
            ModelRequest::Chat(_) => Endpoint::Chat,
            ModelRequest::Completion(_) => Endpoint::Completions,
            ModelRequest::Embedding(_) => Endpoint::Embeddings,
        }
    }

    /// The model name the client asked for (an alias, until the retry loop sets the upstream's).
    pub fn model(&self) -> &str {
        match self {
            ModelRequest::Chat(r) => &r.model,
            ModelRequest::Completion(r) => &r.model,
            ModelRequest::Embedding(r) => &r.model,
        }
    }

    pub fn set_model(&mut self, model: &str) {
        let slot = match self {
            ModelRequest::Chat(r) => &mut r.model,
            ModelRequest::Completion(r) => &mut r.model,
            ModelRequest::Embedding(r) => &mut r.model,
        };
        model.clone_into(slot);
    }

    /// The request as a text generation (chat or completion); embeddings are none.
    fn generation(&self) -> Option<&dyn GenerationRequest> {
        match self {
            ModelRequest::Chat(r) => Some(r),
            ModelRequest::Completion(r) => Some(r),
            ModelRequest::Embedding(_) => None,
        }
    }

    /// Streaming and sampling options; embeddings have none.
    pub fn options(&self) -> Option<&GenerationOptions> {
        self.generation().map(|g| g.options())
    }

    pub fn options_mut(&mut self) -> Option<&mut GenerationOptions> {
        match self {
            ModelRequest::Chat(r) => Some(r.options_mut()),
            ModelRequest::Completion(r) => Some(r.options_mut()),
            ModelRequest::Embedding(_) => None,
        }
    }

    /// Whether the client asked for a server-sent-event stream (never for embeddings).
    pub fn is_stream(&self) -> bool {
        self.generation().is_some_and(|g| g.is_stream())
    }

    /// Whether the client asked for the final usage chunk of a stream.
    pub fn wants_stream_usage(&self) -> bool {
        self.generation().is_some_and(|g| g.wants_stream_usage())
    }

    /// Whether sampling is deterministic (`temperature: 0`), so an answer may be replayed.
    pub fn is_deterministic(&self) -> bool {
        self.options().and_then(|o| o.temperature) == Some(0.0)
    }

    /// Completions the upstream generates for this request: `n`, or a legacy completion's
    /// `best_of` when larger (it generates that many and returns the best); 1 when absent,
    /// 0 for embeddings. 400 when either is not a positive integer.
    pub fn completions(&self) -> Result<u64, AppError> {
        let extra = match self {
            ModelRequest::Chat(r) => &r.extra,
            ModelRequest::Completion(r) => &r.extra,
            ModelRequest::Embedding(_) => return Ok(0),
        };
        let mut most = 1;
        for field in ["n", "best_of"] {
            match extra.get(field) {
                None | Some(Value::Null) => {}
                Some(v) => match v.as_u64() {
                    Some(k) if k >= 1 => most = most.max(k),
                    _ => {
                        return Err(AppError::InvalidRequestCode {
                            message: format!("`{field}` must be a positive integer, got {v}"),
                            code: "invalid_n",
                        });
                    }
                },
            }
        }
        Ok(most)
    }

    /// The completion tokens the client allows per choice: `max_tokens`, or a chat request's
    /// `max_completion_tokens` when larger; `None` when it set neither.
    pub fn max_tokens(&self) -> Option<u32> {
        let completion = match self {
            ModelRequest::Chat(r) => r.max_completion_tokens,
            _ => None,
        };
        let max_tokens = self.options().and_then(|o| o.max_tokens);
        max_tokens.max(completion)
    }

    /// Refuses a request asking for more completions or tokens than `limits` allow (400), so
    /// one request can never reserve, or cost, more than the operator meant.
    pub fn check_caps(&self, limits: &Limits) -> Result<(), AppError> {
        let n = self.completions()?;
        if n > limits.max_n {
            return Err(AppError::InvalidRequestCode {
                message: format!(
                    "this request asks for {n} completions; at most {} are allowed \
                     (limits.max_n)",
                    limits.max_n
                ),
                code: "n_too_large",
            });
        }
        if let Some(asked) = self.max_tokens()
            && u64::from(asked) > limits.max_tokens
        {
            return Err(AppError::InvalidRequestCode {
                message: format!(
                    "max_tokens {asked} is above the {} this proxy allows (limits.max_tokens)",
                    limits.max_tokens
                ),
                code: "max_tokens_too_large",
            });
        }
        Ok(())
    }

    /// Characters of prompt text (messages, prompt and suffix, or embedding input), for the
    /// usage estimate when an upstream reports none.
    pub fn prompt_chars(&self) -> usize {
        match self {
            ModelRequest::Chat(r) => r.messages.iter().map(|m| m.text().len()).sum(),
            ModelRequest::Completion(r) => {
                text_len(&r.prompt) + r.suffix.as_ref().map_or(0, String::len)
            }
            ModelRequest::Embedding(r) => text_len(&r.input),
        }
    }
}

/// Characters of the strings in a prompt or input: one string, or a list of them.
fn text_len(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::Array(a) => a.iter().map(text_len).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_parse_answers_the_request_paths_questions() {
        let body = json!({"model": "chat", "stream": true, "temperature": 0,
            "stream_options": {"include_usage": true}, "seed": 7,
            "messages": [{"role": "user", "content": "hello"},
                         {"role": "user", "content": [{"type": "text", "text": "ab"}]}]});
        let mut req = ModelRequest::parse(Endpoint::Chat, &body).unwrap();
        assert!(req.is_stream() && req.wants_stream_usage() && req.is_deterministic());
        assert_eq!(req.prompt_chars(), 7);
        req.set_model("gpt-x");
        let sent = serde_json::to_value(&req).unwrap();
        assert_eq!(
            (sent["model"].as_str(), &sent["seed"]),
            (Some("gpt-x"), &json!(7))
        );

        let fim = json!({"model": "fim", "prompt": ["ab", "c"], "suffix": "de", "stream": true});
        let fim = ModelRequest::parse(Endpoint::Completions, &fim).unwrap();
        assert_eq!(
            (fim.endpoint(), fim.prompt_chars()),
            (Endpoint::Completions, 5)
        );

        let emb = json!({"model": "embed", "input": "abc", "stream": true});
        let emb = ModelRequest::parse(Endpoint::Embeddings, &emb).unwrap();
        assert!(!emb.is_stream());
        assert_eq!(emb.prompt_chars(), 3);
    }

    #[test]
    fn completions_and_max_tokens_read_every_field_that_sets_them() {
        let chat = |body: Value| ModelRequest::parse(Endpoint::Chat, &body).unwrap();
        let r = chat(
            json!({"model": "m", "messages": [], "n": 3, "max_tokens": 10,
            "max_completion_tokens": 20}),
        );
        assert_eq!((r.completions().unwrap(), r.max_tokens()), (3, Some(20)));
        let r = chat(json!({"model": "m", "messages": [], "n": null}));
        assert_eq!((r.completions().unwrap(), r.max_tokens()), (1, None));
        let e = chat(json!({"model": "m", "messages": [], "n": 0}))
            .completions()
            .unwrap_err();
        assert_eq!(e.to_string(), "`n` must be a positive integer, got 0");
        let fim = json!({"model": "m", "prompt": "a", "n": 2, "best_of": 5, "max_tokens": 7});
        let fim = ModelRequest::parse(Endpoint::Completions, &fim).unwrap();
        assert_eq!((fim.completions().unwrap(), fim.max_tokens()), (5, Some(7)));
        let limits = Limits {
            max_n: 4,
            ..Limits::default()
        };
        assert_eq!(
            fim.check_caps(&limits).unwrap_err().parts().2,
            Some("n_too_large")
        );
    }
}
