//! The generation loop: prefill the prompt, then sample, detokenize, match stop sequences and hand
//! each piece of text to the caller, who can cancel by returning `false`. Synchronous and
//! single-threaded from the caller's view (candle's kernels use their own thread pool), so the
//! server runs it on a worker thread. The steps themselves live in `stream`, for hosts that
//! drive them one token at a time (the browser's Web Worker).

use crate::ModelError;
use crate::gguf::Model;
use crate::stream::{Piece, Stream};

pub use crate::job::{Finish, Generation, Outcome};

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
