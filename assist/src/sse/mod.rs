//! Server-sent events, decoded incrementally: the facade feeds the bytes of a streamed response as
//! they arrive, split anywhere (inside a UTF-8 sequence, between `\r` and `\n`, mid-field), and
//! gets whole events back. [`ChunkStream`] reads the OpenAI-compatible streaming chunks the proxy
//! relays on top of it, and [`AnswerReader`] reads one answer to its end or until the caller has
//! enough.
//!
//! Written by hand after the WHATWG rules ("Interpreting an event stream"), because the crate the
//! proxy uses, `eventsource-stream`, is an adapter over a `futures::Stream` of bytes, while the
//! tab pushes chunks from a `ReadableStream` reader and must stay synchronous and free of an
//! async runtime. The rules are short: lines end at `\r\n`, `\n` or `\r`; a line starting with
//! `:` is a comment; `field: value` loses one leading space from the value; `data` lines join
//! with `\n`; a blank line dispatches the event if it has data; a stream ending mid-event drops
//! that event.

mod chunks;
mod reader;

pub use chunks::{ChunkStream, StreamError, StreamEvent};
pub use reader::{AnswerReader, Flow, Streamed};

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, `None` for the default type (`message`).
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last `id:` seen on the stream so far.
    pub id: Option<String>,
}

/// The incremental decoder.
#[derive(Debug, Clone, Default)]
pub struct SseDecoder {
    /// Bytes of the line being read (decoded only once the line is whole, so a split UTF-8
    /// sequence is never decoded in halves).
    line: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` starting the next one ends no second line.
    after_cr: bool,
    /// Whether the stream's first bytes have been looked at for a byte order mark.
    started: bool,
    data: String,
    has_data: bool,
    event: Option<String>,
    last_id: Option<String>,
    retry_ms: Option<u64>,
}

const BOM: &[u8] = "\u{feff}".as_bytes();

impl SseDecoder {
    /// Feeds the next bytes of the stream; every event they complete is pushed onto `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<SseEvent>) {
        if !self.started {
            // A byte order mark is skipped, also when it arrives split over several chunks.
            let seen = self.line.len();
            let take = bytes.len().min(BOM.len() - seen);
            if BOM[seen..seen + take] == bytes[..take] {
                if seen + take < BOM.len() {
                    self.line.extend_from_slice(&bytes[..take]);
                    return;
                }
                self.line.clear();
                bytes = &bytes[take..];
            }
            // Otherwise it was not a BOM after all: what was held back is line content.
            self.started = true;
        }
        if self.after_cr && !bytes.is_empty() {
            self.after_cr = false;
            if bytes[0] == b'\n' {
                bytes = &bytes[1..];
            }
        }
        while let Some(end) = bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.line.extend_from_slice(&bytes[..end]);
            let line = std::mem::take(&mut self.line);
            self.process_line(&line, out);
            self.line = line;
            self.line.clear();
            let crlf = bytes[end] == b'\r';
            bytes = &bytes[end + 1..];
            if crlf {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.line.extend_from_slice(bytes);
    }

    /// The stream ended. An event without its closing blank line is dropped, as browsers do;
    /// the decoder is ready for a new stream (keeping the last event id).
    pub fn finish(&mut self) {
        let last_id = self.last_id.take();
        *self = SseDecoder {
            last_id,
            ..SseDecoder::default()
        };
    }

    /// The last `retry:` the server asked for, in milliseconds.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry_ms
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                out.push(SseEvent {
                    event: self.event.take(),
                    data: std::mem::take(&mut self.data),
                    id: self.last_id.clone(),
                });
            }
            self.data.clear();
            self.has_data = false;
            self.event = None;
            return;
        }
        if line[0] == b':' {
            return;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (&*line, ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            // An empty type is the default type.
            "event" => self.event = (!value.is_empty()).then(|| value.to_owned()),
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry_ms = value.parse().ok();
            }
            _ => {}
        }
    }
}
