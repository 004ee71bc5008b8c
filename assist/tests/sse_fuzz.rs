//! Property tests of the streamed-answer parser (`ChunkStream`) on what a hostile or broken
//! server can send: random bytes, and SSE built from a grammar of real and malformed events
//! (chunks with any text and any token counts, errors, comments, `retry`, every line ending).
//! Each body is fed whole and cut at random places; parsing never panics, and the cuts change
//! nothing: the same events in the same order and the same outcome, as a network may split a
//! body anywhere (inside a line ending or a UTF-8 character too).
//!
//! CI runs the proptest default of 256 cases per property; `PROPTEST_CASES` raises it, which
//! `cargo xtask fuzz` does.

use assist::sse::{ChunkStream, StreamError, StreamEvent};
use proptest::prelude::*;

/// Everything a stream produced: its events, the first error a feed returned, and `finish`.
type Outcome = (
    Vec<StreamEvent>,
    Option<StreamError>,
    Result<(), StreamError>,
);

fn parse(body: &[u8], cuts: &[usize]) -> Outcome {
    let mut stream = ChunkStream::default();
    let mut events = Vec::new();
    let mut failed = None;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    cuts.sort_unstable();
    let mut from = 0;
    for to in cuts.into_iter().chain([body.len()]) {
        if let Err(e) = stream.feed(&body[from..to], &mut events) {
            failed.get_or_insert(e);
        }
        from = to;
    }
    let finished = stream.finish();
    (events, failed, finished)
}

/// Text a model might stream, and text meant to confuse a parser.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ]{0,12}",
        Just("data: [DONE]\n\n".to_string()),
        Just("\r\n\r\n".to_string()),
        Just("😀中\u{0}\u{feff}".to_string()),
        any::<String>(),
    ]
}

/// One SSE event (or comment, or field) as a server could send it, without its line ending.
fn event() -> impl Strategy<Value = String> {
    let json = |s: &str| serde_json::to_string(s).unwrap();
    prop_oneof![
        4 => (text(), 0..3u32).prop_map(move |(t, i)| format!(
            r#"data: {{"object":"chat.completion.chunk","choices":[{{"index":{i},"delta":{{"content":{}}}}}]}}"#,
            json(&t)
        )),
        2 => (text(), proptest::option::of("[a-z_]{1,10}")).prop_map(move |(t, reason)| format!(
            r#"data: {{"choices":[{{"text":{},"finish_reason":{}}}]}}"#,
            json(&t),
            reason.map_or("null".to_string(), |r| json(&r))
        )),
        // A total of 0 asks the parser to add the two counts, which may be anything.
        2 => (any::<u64>(), any::<u64>(), prop_oneof![Just(0), any::<u64>()]).prop_map(|(p, c, t)| format!(
            r#"data: {{"choices":[],"usage":{{"prompt_tokens":{p},"completion_tokens":{c},"total_tokens":{t}}}}}"#
        )),
        1 => text().prop_map(move |t| format!(r#"data: {{"error":{{"message":{},"code":"x"}}}}"#, json(&t))),
        1 => text().prop_map(|t| format!("event: error\ndata: {}", t.replace(['\r', '\n'], " "))),
        1 => Just("data: [DONE]".to_string()),
        1 => Just(": keep-alive".to_string()),
        1 => any::<u64>().prop_map(|r| format!("retry: {r}")),
        1 => "[a-z]{0,6}".prop_map(|id| format!("id: {id}")),
        1 => Just("event: ping\ndata: {}".to_string()),
        1 => text().prop_map(|t| format!("data: {}", t.replace(['\r', '\n'], " "))),
        1 => Just("data:{\"choices\":[{\"index\":99999999999,\"delta\":{\"content\":\"x\"}}]}".to_string()),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let ending = prop_oneof![Just("\n"), Just("\r\n"), Just("\r")];
    proptest::collection::vec((event(), ending.clone(), ending), 0..12).prop_map(|events| {
        let mut body = String::new();
        for (event, line, blank) in events {
            for field in event.split('\n') {
                body.push_str(field);
                body.push_str(line);
            }
            body.push_str(blank);
        }
        body.into_bytes()
    })
}

proptest! {
    // No regression files beside the sources: a failure prints its minimal input instead.
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes_parse_the_same_however_they_are_cut(
        bytes in proptest::collection::vec(any::<u8>(), 0..1024),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
    ) {
        let whole = parse(&bytes, &[]);
        prop_assert_eq!(parse(&bytes, &cuts), whole);
    }

    #[test]
    fn sse_streams_parse_the_same_however_they_are_cut(
        body in body(),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
    ) {
        let whole = parse(&body, &[]);
        prop_assert_eq!(&parse(&body, &cuts), &whole);
        // One byte at a time is the most a network can cut.
        let every: Vec<usize> = (0..body.len()).collect();
        prop_assert_eq!(parse(&body, &every), whole);
    }
}
