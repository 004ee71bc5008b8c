//! The SSE decoder and the chunk parser on recorded wire fixtures (`sse_fixtures/*.sse`, written
//! in the exact format the proxy and its fake upstream emit, plus the edge cases of the SSE
//! rules). Each fixture's events are rendered to text and compared with `<name>.events` beside it
//! (`UPDATE_EXPECT=1` rewrites them); then the same bytes are fed split at every position, and
//! one byte at a time, and must give the very same rendering.

use std::path::Path;

use assist::sse::{ChunkStream, SseDecoder, SseEvent, StreamEvent};
use expect_test::{expect, expect_file};

/// Long chunk JSON cut to its start, so the rendering stays readable.
fn short(data: &str) -> String {
    match data.char_indices().nth(72) {
        Some((at, _)) => format!("{:?}.. ({} bytes)", &data[..at], data.len()),
        None => format!("{data:?}"),
    }
}

/// Renders what both layers make of `pieces` fed in order.
fn render(pieces: &[&[u8]]) -> String {
    let mut out = String::new();
    let mut decoder = SseDecoder::default();
    let mut raw: Vec<SseEvent> = Vec::new();
    for p in pieces {
        decoder.feed(p, &mut raw);
    }
    out.push_str("sse:\n");
    for e in &raw {
        out.push_str(&format!(
            "  {} id={} data={}\n",
            e.event.as_deref().unwrap_or("message"),
            e.id.as_deref().unwrap_or("-"),
            short(&e.data)
        ));
    }
    if let Some(r) = decoder.retry_ms() {
        out.push_str(&format!("  retry={r}\n"));
    }

    out.push_str("chunks:\n");
    let mut stream = ChunkStream::default();
    let mut events = Vec::new();
    let mut failed = None;
    for p in pieces {
        if let Err(e) = stream.feed(p, &mut events) {
            failed = Some(e);
            break;
        }
    }
    for e in &events {
        let line = match e {
            StreamEvent::Delta { index, text } => format!("delta #{index} {text:?}"),
            StreamEvent::Finish { index, reason } => format!("finish #{index} {reason}"),
            StreamEvent::Usage {
                prompt_tokens,
                completion_tokens,
                total_tokens,
            } => format!("usage {prompt_tokens}+{completion_tokens}={total_tokens}"),
            StreamEvent::Done => "done".to_owned(),
        };
        out.push_str(&format!("  {line}\n"));
    }
    let end = match failed {
        Some(e) => Err(e),
        None => stream.finish(),
    };
    match end {
        Ok(()) => out.push_str("end: ok\n"),
        Err(e) => out.push_str(&format!("end: error: {e} ({e:?})\n")),
    }
    out
}

#[test]
fn fixtures_decode_the_same_at_every_split() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sse_fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".sse").map(str::to_owned))
        .collect();
    names.sort();
    assert!(names.len() >= 9, "fixtures missing: {names:?}");
    for name in &names {
        let bytes = std::fs::read(dir.join(format!("{name}.sse"))).expect("fixture");
        let whole = render(&[&bytes]);
        expect_file![format!("sse_fixtures/{name}.events")].assert_eq(&whole);
        for at in 0..=bytes.len() {
            let (a, b) = bytes.split_at(at);
            assert_eq!(render(&[a, b]), whole, "{name} split at byte {at}");
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(render(&singles), whole, "{name} fed one byte at a time");
    }
}

#[test]
fn an_error_after_content_keeps_the_content_and_then_stays_an_error() {
    let mut stream = ChunkStream::default();
    let mut events = Vec::new();
    let body = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w0 \"}}]}\n\n",
        "data: {\"error\":{\"message\":\"boom\",\"type\":\"upstream_error\",\"code\":\"upstream_error\"}}\n\n",
    );
    let err = stream.feed(body.as_bytes(), &mut events).unwrap_err();
    expect![[r#"[Delta { index: 0, text: "w0 " }] Upstream { message: "boom", code: Some("upstream_error") }"#]]
        .assert_eq(&format!("{events:?} {err:?}"));
    // Later bytes, even a clean ending, do not turn the failure into success.
    events.clear();
    assert_eq!(
        stream.feed(b"data: [DONE]\n\n", &mut events),
        Err(err.clone())
    );
    assert!(events.is_empty());
    assert_eq!(stream.finish(), Err(err));
}

#[test]
fn events_are_dispatched_only_at_their_blank_line() {
    let mut decoder = SseDecoder::default();
    let mut out = Vec::new();
    decoder.feed(b"event: a\ndata: 1\n", &mut out);
    assert!(out.is_empty(), "no blank line yet: {out:?}");
    decoder.feed(b"\n", &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].event.as_deref(), Some("a"));
    // The type does not leak into the next event; an event with no data is not dispatched.
    decoder.feed(b"event: b\n\ndata: 2\n\n", &mut out);
    assert_eq!(out.len(), 2);
    assert_eq!((out[1].event.as_deref(), out[1].data.as_str()), (None, "2"));
    // A stream ending mid-event drops it, and the decoder starts clean for the next stream.
    decoder.feed(b"data: half", &mut out);
    decoder.finish();
    decoder.feed(b"data: 3\n\n", &mut out);
    assert_eq!(out.last().map(|e| e.data.as_str()), Some("3"));
}
