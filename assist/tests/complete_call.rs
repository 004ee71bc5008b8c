//! One autocomplete request end to end without a network: the body it sends, its cache key, and
//! the streamed answer read by `AnswerReader` and cut by `CompletionCall` (stop strings split
//! across chunks, the early stop, errors inside the stream, a body cut off).

use assist::complete::{CallSettings, CompletionCall, CursorContext, LineMode};
use assist::sse::{AnswerReader, Flow, StreamError};
use syntax::Language;

fn context<'a>(prefix: &'a str, suffix: &'a str) -> CursorContext<'a> {
    CursorContext {
        prefix,
        suffix,
        language: Some(Language::Python),
        baseline: None,
    }
}

fn stops(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A `text_completion` chunk as the proxy relays it.
fn chunk(text: &str) -> String {
    let c = serde_json::json!({"id": "c", "object": "text_completion", "created": 1, "model": "m",
        "choices": [{"text": text, "index": 0, "logprobs": null, "finish_reason": null}]});
    format!("data: {c}\n\n")
}

#[test]
fn the_body_asks_for_a_stream_with_usage_and_at_most_four_stop_strings() {
    let ctx = context("def add(a, b):\n    return ", "\n");
    let call = CompletionCall::new(
        "autocomplete",
        "<PROMPT>",
        &stops(&[
            "<|endoftext|>",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
            "<|repo_name|>",
        ]),
        &ctx,
        &CallSettings::default(),
    );
    assert_eq!(call.mode(), LineMode::Single);
    let body = serde_json::to_value(call.body()).unwrap();
    assert_eq!(body["model"], "autocomplete");
    assert_eq!(body["prompt"], "<PROMPT>");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["max_tokens"], 64, "single-line mode asks for little");
    assert_eq!(body["stop"].as_array().map(Vec::len), Some(4));

    let block = context("def add(a, b):\n", "\n");
    let multi = CompletionCall::new("autocomplete", "<P>", &[], &block, &CallSettings::default());
    assert_eq!(multi.mode(), LineMode::Multi);
    assert_eq!(
        serde_json::to_value(multi.body()).unwrap()["max_tokens"],
        256
    );
}

#[test]
fn the_cache_key_changes_with_the_prompt_the_alias_and_the_settings() {
    let ctx = context("x = ", "\n");
    let key = |alias: &str, prompt: &str, temperature: f64| {
        let settings = CallSettings {
            max_tokens: None,
            temperature,
        };
        CompletionCall::new(alias, prompt, &stops(&["\n\n"]), &ctx, &settings).cache_key()
    };
    assert_eq!(key("a", "p", 0.0), key("a", "p", 0.0));
    assert_ne!(key("a", "p", 0.0), key("b", "p", 0.0));
    assert_ne!(key("a", "p", 0.0), key("a", "q", 0.0));
    assert_ne!(key("a", "p", 0.0), key("a", "p", 0.2));
}

#[test]
fn a_stop_string_split_across_chunks_ends_the_suggestion_before_it() {
    let ctx = context("def f():\n", "\n");
    let mut call = CompletionCall::new(
        "a",
        "p",
        &stops(&["<|endoftext|>"]),
        &ctx,
        &CallSettings::default(),
    );
    assert_eq!(call.push("    return 1<|endof"), Flow::More);
    assert_eq!(call.push("text|>junk"), Flow::Enough);
    assert_eq!(call.raw(), "    return 1");
    assert_eq!(call.finish(&ctx).text, "    return 1");
}

#[test]
fn the_early_stop_ends_a_single_line_suggestion_at_its_newline() {
    let ctx = context("total = ", "\nprint(total)\n");
    let mut call = CompletionCall::new("a", "p", &[], &ctx, &CallSettings::default());
    assert_eq!(call.push("sum("), Flow::More);
    assert_eq!(call.push("values)\nprint("), Flow::Enough);
    assert_eq!(
        call.push("more"),
        Flow::Enough,
        "nothing is taken after the stop"
    );
    assert_eq!(call.finish(&ctx).text, "sum(values)");
}

#[test]
fn the_reader_passes_text_split_anywhere_and_keeps_usage_and_timings() {
    let body = format!(
        ": keep-alive comment\n\n{}{}{}data: [DONE]\n\n",
        chunk("ret"),
        chunk("urn 1"),
        "data: {\"id\":\"c\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}\n\n"
    );
    let mut reader = AnswerReader::new(100.0);
    let mut text = String::new();
    // One byte at a time: frames, JSON and UTF-8 are all split.
    for (i, byte) in body.as_bytes().iter().enumerate() {
        let flow = reader
            .feed(&[*byte], 100.0 + i as f64, |t| {
                text.push_str(t);
                Flow::More
            })
            .unwrap();
        if flow == Flow::Enough {
            assert_eq!(i, body.len() - 1, "only [DONE] ends the stream");
        }
    }
    let streamed = reader.finish(5000.0).unwrap();
    assert_eq!(text, "return 1");
    assert_eq!(streamed.usage.map(|u| u.total_tokens), Some(15));
    assert!(streamed.first_text_ms.is_some_and(|ms| ms > 0.0));
    assert_eq!(streamed.total_ms, 4900.0);
    assert!(!streamed.stopped_early);
}

#[test]
fn an_error_event_in_the_stream_is_an_error_not_text() {
    let body = format!(
        "{}data: {{\"error\":{{\"message\":\"upstream dropped\",\"type\":\"upstream_error\",\"code\":\"upstream_stream\"}}}}\n\n",
        chunk("half of it")
    );
    let mut reader = AnswerReader::new(0.0);
    let mut text = String::new();
    let error = reader
        .feed(body.as_bytes(), 1.0, |t| {
            text.push_str(t);
            Flow::More
        })
        .unwrap_err();
    assert!(
        matches!(error, StreamError::Upstream { ref message, .. } if message == "upstream dropped")
    );
    assert_eq!(
        text, "half of it",
        "the text before the error was passed on"
    );
}

#[test]
fn a_body_cut_off_is_an_error_unless_the_caller_stopped_reading() {
    let mut reader = AnswerReader::new(0.0);
    reader
        .feed(chunk("a").as_bytes(), 1.0, |_| Flow::More)
        .unwrap();
    assert_eq!(reader.finish(2.0), Err(StreamError::Truncated));

    let mut reader = AnswerReader::new(0.0);
    let flow = reader
        .feed(chunk("a").as_bytes(), 1.0, |_| Flow::Enough)
        .unwrap();
    assert_eq!(flow, Flow::Enough);
    let streamed = reader.finish(2.0).unwrap();
    assert!(streamed.stopped_early);
    assert_eq!(streamed.total_ms, 1.0, "timed at the caller's stop");
}
