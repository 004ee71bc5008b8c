//! Token counting: exact with the model family's `tokenizer.json`, otherwise a per-language
//! calibrated estimate. Every budget decision goes through [`TokenCounter`].

/// Counts tokens the way the target model would (exactly or by a stated estimate).
pub trait TokenCounter {
    /// Tokens `text` costs.
    fn count(&self, text: &str) -> usize;
}
