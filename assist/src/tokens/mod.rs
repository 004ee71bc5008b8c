//! Token counting: exact with the model family's `tokenizer.json` ([`ExactTokens`]), otherwise a
//! per-language calibrated estimate ([`EstimatedTokens`], constants and their measured error in
//! [`calibration`]). Every budget decision goes through [`TokenCounter`].

pub mod calibration;

use syntax::Language;

pub use calibration::{Calibration, EstimateError, calibrate, measure};

/// Counts tokens the way the target model would (exactly or by a stated estimate).
pub trait TokenCounter {
    /// Tokens `text` costs.
    fn count(&self, text: &str) -> usize;
}

/// Why a tokenizer could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("tokenizer.json could not be read: {0}")]
    Tokenizer(String),
}

/// Exact counts from a model family's `tokenizer.json` (the bytes the host loaded). Special tokens
/// written in the text (`<|fim_prefix|>`, `<file_sep>`, ...) count as the single tokens the model
/// sees, because the tokenizer matches its added tokens before the model's BPE runs.
pub struct ExactTokens {
    tokenizer: tokenizers::Tokenizer,
}

impl std::fmt::Debug for ExactTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExactTokens")
            .field("vocab", &self.tokenizer.get_vocab_size(true))
            .finish()
    }
}

impl ExactTokens {
    /// Loads `tokenizer.json`. Truncation and padding are switched off: a count must see the
    /// whole text and nothing else.
    pub fn from_bytes(tokenizer_json: &[u8]) -> Result<Self, TokenError> {
        let mut tokenizer = tokenizers::Tokenizer::from_bytes(tokenizer_json)
            .map_err(|e| TokenError::Tokenizer(e.to_string()))?;
        tokenizer
            .with_truncation(None)
            .map_err(|e| TokenError::Tokenizer(e.to_string()))?;
        tokenizer.with_padding(None);
        Ok(ExactTokens { tokenizer })
    }
}

impl TokenCounter for ExactTokens {
    fn count(&self, text: &str) -> usize {
        if text.is_empty() {
            return 0;
        }
        match self.tokenizer.encode_fast(text, false) {
            Ok(encoding) => encoding.len(),
            // A byte-level BPE never spends more than one token per byte, so the byte length is
            // a count a budget can trust when the tokenizer fails on some input.
            Err(_) => text.len(),
        }
    }
}

/// A calibrated estimate: a per-language linear model over what drives a byte-level BPE's count
/// in code (identifier runs and their letters, digits, punctuation, whitespace runs, non-ASCII
/// characters), times `1 + margin`, rounded up. The margin is what keeps a prompt built on the
/// estimate under a real tokenizer's count: it is the largest under-estimate seen on the
/// calibration windows ([`calibration`] has the numbers and how they were measured).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EstimatedTokens {
    pub weights: [f64; FEATURES],
    pub margin: f64,
}

/// How many text features the estimate weighs (see [`features`]).
pub const FEATURES: usize = 6;

/// The estimate's features of `text`: identifier runs, ASCII letters, digits, ASCII punctuation,
/// whitespace runs, non-ASCII characters.
pub fn features(text: &str) -> [f64; FEATURES] {
    let (mut runs, mut letters, mut digits, mut punct, mut spaces, mut other) = (0, 0, 0, 0, 0, 0);
    let mut in_word = false;
    let mut in_space = false;
    for c in text.chars() {
        let word = c.is_ascii_alphabetic() || c == '_';
        let space = c.is_whitespace();
        if word {
            letters += 1;
            if !in_word {
                runs += 1;
            }
        } else if c.is_ascii_digit() {
            digits += 1;
        } else if c.is_ascii_punctuation() {
            punct += 1;
        } else if space {
            if !in_space {
                spaces += 1;
            }
        } else if !c.is_ascii() {
            other += 1;
        }
        in_word = word;
        in_space = space;
    }
    [runs, letters, digits, punct, spaces, other].map(|n: usize| n as f64)
}

impl EstimatedTokens {
    /// The committed calibration for `language`; `None` (unknown language, plain text) gets the
    /// most conservative of the measured languages.
    pub fn for_language(language: Option<Language>) -> Self {
        let calibration = calibration::for_language(language);
        EstimatedTokens {
            weights: calibration.weights,
            margin: calibration.margin,
        }
    }

    /// The estimate without its margin (what the calibration measures the raw error of).
    pub fn raw(&self, text: &str) -> f64 {
        features(text)
            .iter()
            .zip(self.weights)
            .map(|(f, w)| f * w)
            .sum()
    }
}

impl Default for EstimatedTokens {
    fn default() -> Self {
        EstimatedTokens::for_language(None)
    }
}

impl TokenCounter for EstimatedTokens {
    fn count(&self, text: &str) -> usize {
        if text.is_empty() {
            return 0;
        }
        // Never zero for non-empty text: every byte-level BPE spends at least one token.
        ((self.raw(text) * (1.0 + self.margin)).ceil() as usize).max(1)
    }
}

impl<T: TokenCounter + ?Sized> TokenCounter for &T {
    fn count(&self, text: &str) -> usize {
        (**self).count(text)
    }
}
