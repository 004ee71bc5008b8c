//! The one place a `tokenizer.json` becomes a [`Tokenizer`]: the static table and the MiniLM
//! transformer read the same WordPiece vocabulary and must configure it the same way.

use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use super::EmbedError;

/// Parses a `tokenizer.json` and switches its padding off (embedders pad with an explicit mask, or
/// not at all), truncating to `max_tokens` when given and never otherwise.
pub(crate) fn load_tokenizer(
    tokenizer_json: &[u8],
    max_tokens: Option<usize>,
) -> Result<Tokenizer, EmbedError> {
    let mut tokenizer = Tokenizer::from_bytes(tokenizer_json)
        .map_err(|e| EmbedError::InvalidModel(format!("tokenizer.json: {e}")))?;
    tokenizer.with_padding(None);
    let truncation = max_tokens.map(|max_length| TruncationParams {
        direction: TruncationDirection::Right,
        max_length,
        strategy: TruncationStrategy::LongestFirst,
        stride: 0,
    });
    tokenizer
        .with_truncation(truncation)
        .map_err(|e| EmbedError::InvalidModel(format!("tokenizer.json: {e}")))?;
    Ok(tokenizer)
}
