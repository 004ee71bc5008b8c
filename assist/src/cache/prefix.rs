//! Autocomplete's prefix cache: while the person types the very characters a shown suggestion
//! starts with, the rest of that suggestion is served again with no request.
//!
//! One suggestion is kept per document (the latest shown). It was asked for at a cursor whose
//! text before it (the request's prefix) and after it are remembered as a length and xxh3-128
//! hashes, not copies. A later cursor reuses the suggestion when its text before starts with the
//! request's prefix, the characters typed since are the start of the suggestion, and the text
//! after the cursor is unchanged. Deleting back towards the request's cursor still reuses it;
//! a character that does not match the suggestion, deleting past the request's cursor, or an
//! edit elsewhere in the file forgets it.

use std::num::NonZeroUsize;

use lru::LruCache;
use xxhash_rust::xxh3::xxh3_128;

#[derive(Debug, Clone)]
struct Shown {
    request_len: usize,
    request_hash: u128,
    after_hash: u128,
    suggestion: String,
}

/// The latest shown suggestion per document, for the most recently used documents.
#[derive(Debug)]
pub struct PrefixCache {
    documents: LruCache<String, Shown>,
}

impl Default for PrefixCache {
    /// Room for 16 documents.
    fn default() -> PrefixCache {
        PrefixCache::new(16)
    }
}

impl PrefixCache {
    /// A cache remembering suggestions in at most `max_documents` documents (at least one).
    pub fn new(max_documents: usize) -> PrefixCache {
        PrefixCache {
            documents: LruCache::new(NonZeroUsize::new(max_documents).unwrap_or(NonZeroUsize::MIN)),
        }
    }

    /// A suggestion was shown in `doc` for a cursor with `before` and `after` around it (call it
    /// again as a stream grows the suggestion). An empty suggestion forgets the document's.
    pub fn remember(&mut self, doc: &str, before: &str, after: &str, suggestion: &str) {
        if suggestion.is_empty() {
            self.documents.pop(doc);
            return;
        }
        let shown = Shown {
            request_len: before.len(),
            request_hash: xxh3_128(before.as_bytes()),
            after_hash: xxh3_128(after.as_bytes()),
            suggestion: suggestion.to_owned(),
        };
        self.documents.put(doc.to_owned(), shown);
    }

    /// What is left of `doc`'s shown suggestion for a cursor with `before` and `after` around
    /// it, if the person has only typed (or deleted back over) the start of that suggestion since
    /// it was asked for. A cursor that can no longer reuse it forgets it. `None` also when the
    /// whole suggestion has been typed (nothing is left to show).
    pub fn lookup(&mut self, doc: &str, before: &str, after: &str) -> Option<&str> {
        let shown = self.documents.get(doc)?;
        let typed = before.get(shown.request_len..).filter(|_| {
            xxh3_128(&before.as_bytes()[..shown.request_len]) == shown.request_hash
                && xxh3_128(after.as_bytes()) == shown.after_hash
        });
        let Some(typed) = typed.filter(|t| shown.suggestion.starts_with(t)) else {
            self.documents.pop(doc);
            return None;
        };
        let at = typed.len();
        let shown = self.documents.get(doc)?;
        shown.suggestion.get(at..).filter(|rest| !rest.is_empty())
    }

    /// Forgets `doc`'s suggestion (it was accepted, dismissed, or the document closed).
    pub fn forget(&mut self, doc: &str) {
        self.documents.pop(doc);
    }
}
