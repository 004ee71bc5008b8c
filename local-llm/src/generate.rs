//! The generation loop: prefill the prompt, then sample, detokenize, match stop sequences and hand
//! each piece of text to the caller, who can cancel by returning `false`. Synchronous and
//! single-threaded from the caller's view (candle's kernels use their own thread pool), so the
//! server runs it on a worker thread. The steps themselves live in `stream`, for hosts that
//! drive them one token at a time (the browser's Web Worker).

use crate::ModelError;
use crate::gguf::Model;
use crate::sampler::SamplingParams;
use crate::stream::{Piece, Stream};

/// One generation to run.
#[derive(Debug, Clone)]
pub struct Generation {
    pub prompt: Vec<u32>,
    /// Cut to what the context window leaves after the prompt.
    pub max_tokens: usize,
    pub sampling: SamplingParams,
    pub stop: Vec<String>,
    /// Keep going past end-of-text tokens (benchmarks and tests that need an exact length).
    pub ignore_eos: bool,
}

/// Why generation ended, in OpenAI's `finish_reason` terms (plus cancellation, which no client
/// ever sees because it is gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    Stop,
    Length,
    Cancelled,
}

impl Finish {
    pub fn as_str(self) -> &'static str {
        match self {
            Finish::Stop => "stop",
            Finish::Length => "length",
            Finish::Cancelled => "cancelled",
        }
    }
}

/// What a generation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub finish: Finish,
    pub prompt_tokens: usize,
    /// Tokens sampled, the end-of-text token included when it ended generation.
    pub completion_tokens: usize,
}

/// Runs `job` on `model`. `on_text` is called once per sampled token with the text that token
/// released (often empty: half a character, or text held back as a possible stop sequence);
/// returning `false` cancels, and no further token is computed.
pub fn generate(
    model: &Model,
    job: &Generation,
    mut on_text: impl FnMut(&str) -> bool,
) -> Result<Outcome, ModelError> {
    let mut stream = Stream::start(model, job)?;
    if job.prompt.is_empty() {
        // An empty prompt has nothing to continue from.
        return Ok(stream.outcome(Finish::Length));
    }
    loop {
        match stream.step(model)? {
            Piece::Text(text) => {
                if !on_text(&text) {
                    return Ok(stream.outcome(Finish::Cancelled));
                }
            }
            Piece::End(text, finish) => {
                let finish = if on_text(&text) {
                    finish
                } else {
                    Finish::Cancelled
                };
                return Ok(stream.outcome(finish));
            }
        }
    }
}
