//! One streamed answer read to its end or until the caller has enough: the bytes go through
//! [`ChunkStream`], choice 0's text goes to the caller, and what a request's metrics need is
//! kept (time to the first text, the finish reason, usage). The clock is the caller's: every
//! call takes `now_ms`. The tab's fetch loop and the CLI's reqwest loop both drive this one.

use protocol::Usage;
use serde::Serialize;

use super::{ChunkStream, StreamError, StreamEvent};

/// Whether the caller wants more of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    More,
    /// The caller has what it needs: close the connection (the proxy and the upstream then
    /// stop generating).
    Enough,
}

/// How a stream went.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Streamed {
    /// The upstream's `finish_reason`, when the stream got that far.
    pub finish_reason: Option<String>,
    /// The caller said [`Flow::Enough`] before the stream ended.
    pub stopped_early: bool,
    /// The usage the proxy reported, when it did.
    pub usage: Option<Usage>,
    /// From the request's start to the first text.
    pub first_text_ms: Option<f64>,
    /// From the request's start to the end (or to the caller's [`Flow::Enough`]).
    pub total_ms: f64,
}

/// Reads one streamed answer.
#[derive(Debug, Clone)]
pub struct AnswerReader {
    chunks: ChunkStream,
    events: Vec<StreamEvent>,
    started_ms: f64,
    streamed: Streamed,
}

impl AnswerReader {
    /// A reader for a request that started at `started_ms`.
    pub fn new(started_ms: f64) -> AnswerReader {
        AnswerReader {
            chunks: ChunkStream::default(),
            events: Vec::new(),
            started_ms,
            streamed: Streamed::default(),
        }
    }

    /// Feeds the next bytes of the body; `on_text` gets choice 0's new text. Returns
    /// [`Flow::Enough`] once `on_text` said so (the rest of these bytes is ignored) or the
    /// answer's `[DONE]` arrived; an error the stream carries is an error, never text.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        now_ms: f64,
        mut on_text: impl FnMut(&str) -> Flow,
    ) -> Result<Flow, StreamError> {
        if self.streamed.stopped_early {
            return Ok(Flow::Enough);
        }
        let fed = self.chunks.feed(bytes, &mut self.events);
        for event in self.events.drain(..) {
            match event {
                StreamEvent::Delta { index: 0, text } => {
                    self.streamed
                        .first_text_ms
                        .get_or_insert(now_ms - self.started_ms);
                    if on_text(&text) == Flow::Enough {
                        self.streamed.stopped_early = true;
                        self.streamed.total_ms = now_ms - self.started_ms;
                        return Ok(Flow::Enough);
                    }
                }
                StreamEvent::Finish { index: 0, reason } => {
                    self.streamed.finish_reason = Some(reason)
                }
                StreamEvent::Usage {
                    prompt_tokens,
                    completion_tokens,
                    ..
                } => self.streamed.usage = Some(Usage::new(prompt_tokens, completion_tokens)),
                StreamEvent::Delta { .. } | StreamEvent::Finish { .. } | StreamEvent::Done => {}
            }
        }
        fed?;
        Ok(match self.chunks.is_done() {
            true => Flow::Enough,
            false => Flow::More,
        })
    }

    /// The body ended (or the caller stopped reading) at `now_ms`: how it went, or why the
    /// answer is incomplete (an answer the caller cut short is complete by definition).
    pub fn finish(mut self, now_ms: f64) -> Result<Streamed, StreamError> {
        if !self.streamed.stopped_early {
            self.chunks.finish()?;
            self.streamed.total_ms = now_ms - self.started_ms;
        }
        Ok(self.streamed)
    }

    /// What is known so far (the usage of a cancelled stream, for the metrics).
    pub fn streamed(&self) -> &Streamed {
        &self.streamed
    }
}
