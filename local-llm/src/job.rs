//! What a generation is asked to do and how it ended: the types the loop ([`crate::generate`])
//! and its stepper ([`crate::stream`]) share, apart from both so neither depends on the other
//! for them.

use crate::sampler::SamplingParams;

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
