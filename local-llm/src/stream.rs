//! The generation loop as a stepper: [`Stream::start`] prefills the prompt, and each
//! [`Stream::step`] samples one token and returns the text it released. [`crate::generate`] drives
//! it in a plain loop; a host that must stay responsive between tokens (a Web Worker, which cannot
//! read a "stop" message while a synchronous loop runs) calls `step` itself and yields in between.

use crate::llama::Llama as ModelWeights;
use candle_core::{Device, Tensor};
use candle_transformers::generation::LogitsProcessor;

use crate::ModelError;
use crate::decode::IncrementalDecoder;
use crate::gguf::Model;
use crate::job::{Finish, Generation, Outcome};
use crate::stop::{Step, StopMatcher};

/// Prompt tokens are fed in pieces of this many: the attention scores of one piece are
/// `heads x piece x context` floats, which for a whole 4k prompt at once would be half a
/// gigabyte. Pieces of 128 prefill a 993-token prompt as fast as pieces of 512 (6.2 s either way,
/// the quantized matmuls dominate) with a lower memory peak (443 MB against 467 MB).
const PREFILL_CHUNK: usize = 128;

/// What one step produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text released by one sampled token (often empty: half a character, or text held back as a
    /// possible stop sequence); generation goes on.
    Text(String),
    /// The last text (possibly empty) and why generation ended; further steps repeat the end
    /// with no text.
    End(String, Finish),
}

/// One generation in progress. Every step must be given the model it was started with.
pub struct Stream {
    /// A clone shares the model's weights and starts with an empty key-value cache.
    weights: ModelWeights,
    sampler: LogitsProcessor,
    decoder: IncrementalDecoder,
    stops: StopMatcher,
    ignore_eos: bool,
    max_tokens: usize,
    /// The logits the next token is sampled from; `None` for an empty prompt.
    logits: Option<Tensor>,
    /// The last token emitted, not yet run through the model: that happens at the next step, so
    /// a host that stops after a piece of text never pays for one more forward pass.
    pending: Option<u32>,
    position: usize,
    prompt_tokens: usize,
    generated: usize,
    ended: Option<Finish>,
}

impl Stream {
    /// Prefills `job`'s prompt (the slow part of a long prompt) and is ready to sample.
    pub fn start(model: &Model, job: &Generation) -> Result<Self, ModelError> {
        let mut weights = model.weights.clone();
        let mut logits = None;
        for (i, piece) in job.prompt.chunks(PREFILL_CHUNK).enumerate() {
            let input = Tensor::new(piece, &Device::Cpu)?.unsqueeze(0)?;
            logits = Some(weights.forward(&input, i * PREFILL_CHUNK)?);
        }
        Ok(Stream {
            weights,
            sampler: job.sampling.sampler(),
            decoder: IncrementalDecoder::default(),
            stops: StopMatcher::new(&job.stop),
            ignore_eos: job.ignore_eos,
            max_tokens: job
                .max_tokens
                .min(model.context_length.saturating_sub(job.prompt.len())),
            logits,
            pending: None,
            position: job.prompt.len(),
            prompt_tokens: job.prompt.len(),
            generated: 0,
            ended: None,
        })
    }

    /// Samples the next token (unless the limit is reached) and runs the model on it.
    pub fn step(&mut self, model: &Model) -> Result<Piece, ModelError> {
        if let Some(finish) = self.ended {
            return Ok(Piece::End(String::new(), finish));
        }
        // Taken out for this step and put back after sampling (an error ends the stream anyway).
        let Some(mut logits) = self.logits.take() else {
            // An empty prompt has nothing to continue from.
            return Ok(self.end(String::new(), Finish::Length));
        };
        if self.generated == self.max_tokens {
            let rest = self.stops.finish();
            return Ok(self.end(rest, Finish::Length));
        }
        if let Some(token) = self.pending.take() {
            let input = Tensor::new(&[token], &Device::Cpu)?.unsqueeze(0)?;
            logits = self.weights.forward(&input, self.position)?;
            self.position += 1;
        }
        let next = self.sampler.sample(&logits.squeeze(0)?)?;
        self.logits = Some(logits);
        self.generated += 1;
        if !self.ignore_eos && model.tokenizer.is_end(next) {
            let rest = self.stops.finish();
            return Ok(self.end(rest, Finish::Stop));
        }
        let text = self.decoder.push(&model.tokenizer, next)?;
        match self.stops.push(&text) {
            Step::Stop(text) => Ok(self.end(text, Finish::Stop)),
            Step::Emit(text) => {
                self.pending = Some(next);
                Ok(Piece::Text(text))
            }
        }
    }

    /// The counts so far, with `finish` as the reason it ended.
    pub fn outcome(&self, finish: Finish) -> Outcome {
        Outcome {
            finish,
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.generated,
        }
    }

    fn end(&mut self, text: String, finish: Finish) -> Piece {
        self.ended = Some(finish);
        Piece::End(text, finish)
    }
}
