//! Token usage of one answer: what the upstream reported, or else an estimate of 4 characters
//! per token (prompt text of the typed request, completion text of the answer or its chunks).
//! The same rules serve whole answers (`pipeline`) and streams (`stream`), so a streamed and a
//! non-streamed answer of one upstream are charged alike.

use protocol::Usage;
use serde::Deserialize;
use serde_json::Value;

use crate::request::ModelRequest;

/// Rough token count (4 characters per token) for upstreams that report no usage.
pub fn estimate_tokens(chars: usize) -> u64 {
    chars.div_ceil(4) as u64
}

/// The `usage` an answer or a final stream chunk carries, if any.
pub fn reported(answer: &Value) -> Option<Usage> {
    answer
        .get("usage")
        .filter(|u| !u.is_null())
        .and_then(|u| Usage::deserialize(u).ok())
}

/// Where generated text sits in a choice: content and reasoning (billed as completion tokens
/// too) of an answer's `message` or a chunk's `delta`, and a legacy completion's `text`.
const GENERATED: [&str; 7] = [
    "/message/content",
    "/message/reasoning_content",
    "/message/reasoning",
    "/delta/content",
    "/delta/reasoning_content",
    "/delta/reasoning",
    "/text",
];

/// Characters of generated text in an answer or a streamed chunk, summed over its choices.
pub fn completion_chars(answer: &Value) -> usize {
    answer
        .get("choices")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .flat_map(|c| GENERATED.iter().filter_map(|p| c.pointer(p)))
                .filter_map(Value::as_str)
                .map(str::len)
                .sum()
        })
        .unwrap_or(0)
}

/// The estimate for `request` with `completion_chars` characters of answer so far.
pub fn estimate(request: &ModelRequest, completion_chars: usize) -> Usage {
    Usage::new(
        estimate_tokens(request.prompt_chars()),
        estimate_tokens(completion_chars),
    )
}

/// Usage of a whole answer, and whether it was estimated.
pub fn of_answer(request: &ModelRequest, answer: &Value) -> (Usage, bool) {
    match reported(answer) {
        Some(u) => (u, false),
        None => (estimate(request, completion_chars(answer)), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Endpoint;
    use serde_json::json;

    #[test]
    fn reported_usage_wins_and_the_estimate_counts_text() {
        let req = json!({"model": "m", "messages": [{"role": "user", "content": "hello there"}]});
        let req = ModelRequest::parse(Endpoint::Chat, &req).unwrap();
        let answer = json!({"choices": [{"message": {"content": "hi!!!"}}], "usage": null});
        assert_eq!(of_answer(&req, &answer), (Usage::new(3, 2), true));
        let chunk = json!({"choices": [{"delta": {"content": "abcde"}}, {"text": "xyz"}]});
        assert_eq!(completion_chars(&chunk), 8);
        let thinking =
            json!({"choices": [{"delta": {"reasoning_content": "hmm", "content": "a"}}]});
        assert_eq!(completion_chars(&thinking), 4);
        let answer =
            json!({"usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10}});
        assert_eq!(of_answer(&req, &answer), (Usage::new(9, 1), false));
    }
}
