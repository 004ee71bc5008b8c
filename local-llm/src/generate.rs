//! The generation loop: prefill the prompt, then sample, detokenize, match stop sequences and hand
//! each piece of text to the caller, who can cancel by returning `false`. Synchronous and
//! single-threaded from the caller's view (candle's kernels use their own thread pool), so the
//! server runs it on a worker thread and a browser build can run it in a Web Worker.

use candle_core::{Device, Tensor};

use crate::ModelError;
use crate::decode::IncrementalDecoder;
use crate::gguf::Model;
use crate::sampler::SamplingParams;
use crate::stop::{Step, StopMatcher};

/// Prompt tokens are fed in pieces of this many: the attention scores of one piece are
/// `heads x piece x context` floats, which for a whole 4k prompt at once would be half a
/// gigabyte. Pieces of 128 prefill a 993-token prompt as fast as pieces of 512 (6.2 s either way,
/// the quantized matmuls dominate) with a lower memory peak (443 MB against 467 MB).
const PREFILL_CHUNK: usize = 128;

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
    let device = Device::Cpu;
    // A clone shares the weights and starts with an empty key-value cache.
    let mut weights = model.weights.clone();
    let mut sampler = job.sampling.sampler();
    let mut decoder = IncrementalDecoder::default();
    let mut stops = StopMatcher::new(&job.stop);
    let max_tokens = job
        .max_tokens
        .min(model.context_length.saturating_sub(job.prompt.len()));
    let outcome = |finish, completion_tokens| Outcome {
        finish,
        prompt_tokens: job.prompt.len(),
        completion_tokens,
    };

    let mut logits = None;
    for (i, piece) in job.prompt.chunks(PREFILL_CHUNK).enumerate() {
        let input = Tensor::new(piece, &device)?.unsqueeze(0)?;
        logits = Some(weights.forward(&input, i * PREFILL_CHUNK)?);
    }
    let Some(mut logits) = logits else {
        // An empty prompt has nothing to continue from.
        return Ok(outcome(Finish::Length, 0));
    };
    let mut position = job.prompt.len();
    let mut generated = 0;
    loop {
        if generated == max_tokens {
            let rest = stops.finish();
            let finish = if on_text(&rest) {
                Finish::Length
            } else {
                Finish::Cancelled
            };
            return Ok(outcome(finish, generated));
        }
        let next = sampler.sample(&logits.squeeze(0)?)?;
        generated += 1;
        if !job.ignore_eos && model.tokenizer.is_end(next) {
            let rest = stops.finish();
            let finish = if on_text(&rest) {
                Finish::Stop
            } else {
                Finish::Cancelled
            };
            return Ok(outcome(finish, generated));
        }
        let text = decoder.push(&model.tokenizer, next)?;
        match stops.push(&text) {
            Step::Emit(text) => {
                if !on_text(&text) {
                    return Ok(outcome(Finish::Cancelled, generated));
                }
            }
            Step::Stop(text) => {
                let finish = if on_text(&text) {
                    Finish::Stop
                } else {
                    Finish::Cancelled
                };
                return Ok(outcome(finish, generated));
            }
        }
        let input = Tensor::new(&[next], &device)?.unsqueeze(0)?;
        logits = weights.forward(&input, position)?;
        position += 1;
    }
}
