//! Why a GGUF could not be loaded: one error for the file, its metadata, the tokenizer and the
//! chat template built from it (its own module, so the loaders of each part share it without
//! reading one another).

use crate::template::TemplateError;

/// Why a GGUF could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("reading the GGUF failed: {0}")]
    Gguf(candle_core::Error),
    #[error("the GGUF metadata has no {0}")]
    Missing(String),
    #[error("unsupported model: {0}")]
    Unsupported(String),
    #[error("building the tokenizer from the GGUF vocabulary failed: {0}")]
    Tokenizer(String),
    #[error(transparent)]
    Template(#[from] TemplateError),
}
