//! A local language model behind the OpenAI-compatible API: the zero-config default that lets the
//! assistant answer with no provider key and no external server.
//!
//! The model code (GGUF loading into our llama forward pass over candle's quantized kernels, a tokenizer built from the GGUF's
//! own vocabulary, the chat template it ships, sampling, stop sequences across token boundaries and
//! the generation loop) is plain synchronous Rust that names no tokio, no socket and no clock, so
//! the same code can later be compiled to wasm32 and run in a Web Worker. The HTTP server (feature
//! `server`, on by default) wraps it: one worker thread runs generations one at a time off the
//! async runtime, a bounded queue in front of it answers 429 when full, and a client that goes away
//! stops its generation. The server never knows about provider keys or the proxy: to the proxy it
//! is just another OpenAI-compatible upstream.

pub mod decode;
pub mod generate;
pub mod gguf;
pub mod job;
pub mod llama;
mod load_error;
pub mod prompt;
pub mod sampler;
pub mod stop;
pub mod stream;
pub mod template;
pub mod tokenizer;
mod weights;

#[cfg(feature = "server")]
pub mod server;

pub use generate::{Finish, Generation, Outcome};
pub use gguf::{LoadError, Model};
pub use stream::{Piece, Stream};

/// Errors from running the model (the GGUF loaded, but a tensor operation or detokenizing failed).
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model computation failed: {0}")]
    Compute(#[from] candle_core::Error),
    #[error("tokenizer failed: {0}")]
    Tokenizer(String),
}
