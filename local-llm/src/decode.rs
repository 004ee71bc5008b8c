//! Token ids to text, one token at a time. A byte-level BPE token can hold half of a UTF-8
//! character, so text is released only once the decoded tail is whole; decoding from the last
//! released token (not token by token) also keeps the spaces and merges a whole decode would give.

use crate::ModelError;
use crate::tokenizer::TextTokenizer;

/// Turns a stream of generated ids into a stream of text pieces.
#[derive(Debug, Default)]
pub struct IncrementalDecoder {
    ids: Vec<u32>,
    /// Start of the ids whose text is still needed as context for the next piece.
    prev: usize,
    /// End of the ids whose text was already released.
    released: usize,
}

impl IncrementalDecoder {
    /// Adds one id and returns the text it completes (often empty while a character is split).
    pub fn push(&mut self, tokenizer: &TextTokenizer, id: u32) -> Result<String, ModelError> {
        let before = tokenizer.decode(&self.ids[self.prev..self.released])?;
        self.ids.push(id);
        let now = tokenizer.decode(&self.ids[self.prev..])?;
        if now.len() > before.len() && !now.ends_with('\u{FFFD}') {
            let piece = now.get(before.len()..).unwrap_or_default().to_owned();
            self.prev = self.released;
            self.released = self.ids.len();
            Ok(piece)
        } else {
            Ok(String::new())
        }
    }
}
