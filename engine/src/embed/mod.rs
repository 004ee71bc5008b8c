//! Embedders turn chunk and query text into vectors. Every embedder here is pure computation over
//! bytes the host provides (model weights, tokenizer, tables): remote embedding through the proxy
//! is done by the host, which hands the engine finished vectors.

use thiserror::Error;

pub mod hashed;

#[cfg(feature = "local-model")]
pub mod minilm;
#[cfg(feature = "static-table")]
pub mod static_table;
#[cfg(feature = "static-table")]
mod tokenizer;

/// Something that maps texts to fixed-size vectors.
pub trait Embedder {
    /// A stable identifier of the model and its settings; part of every embedding cache key, so
    /// that switching models never serves stale vectors.
    fn id(&self) -> &str;
    /// Length of every vector this embedder returns.
    fn dimensions(&self) -> usize;
    /// Embeds a batch. Vectors are L2-normalised so cosine similarity is a dot product.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
}

#[derive(Debug, Error)]
pub enum EmbedError {
    #[error("model data is invalid: {0}")]
    InvalidModel(String),
    #[error("embedding failed: {0}")]
    Inference(String),
}
