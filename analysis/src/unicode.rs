//! Invisible Unicode: characters that change what a text means to a model or a compiler while
//! showing nothing to a reader (zero-width characters, bidirectional overrides and isolates
//! as in "Trojan Source", tag characters that smuggle ASCII). [`find_invisible`] reports them,
//! [`strip_invisible`] removes them; both apply to repository text going into a prompt and to
//! model output coming back.
//!
//! A byte-order mark at the very start of a text is the file's encoding signature and stays.

use std::borrow::Cow;

/// What kind of invisible character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvisibleKind {
    /// U+200B–U+200D, U+2060–U+2064, U+180E, and U+FEFF anywhere but the start.
    ZeroWidth,
    /// U+202A–U+202E embeddings and overrides, U+2066–U+2069 isolates.
    Bidi,
    /// U+E0000–U+E007F.
    Tag,
}

/// One invisible character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invisible {
    /// Byte offset in the text.
    pub offset: usize,
    pub ch: char,
    pub kind: InvisibleKind,
}

/// The kind of `ch` if it is invisible (`at` is its byte offset: a leading BOM is not).
pub fn invisible_kind(ch: char, at: usize) -> Option<InvisibleKind> {
    match ch {
        '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{180E}' => {
            Some(InvisibleKind::ZeroWidth)
        }
        '\u{FEFF}' => (at != 0).then_some(InvisibleKind::ZeroWidth),
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => Some(InvisibleKind::Bidi),
        '\u{E0000}'..='\u{E007F}' => Some(InvisibleKind::Tag),
        _ => None,
    }
}

/// Every invisible character in `text`, in order.
pub fn find_invisible(text: &str) -> Vec<Invisible> {
    if text.is_ascii() {
        return Vec::new();
    }
    text.char_indices()
        .filter_map(|(offset, ch)| {
            invisible_kind(ch, offset).map(|kind| Invisible { offset, ch, kind })
        })
        .collect()
}

/// `text` without its invisible characters (borrowed when it has none).
pub fn strip_invisible(text: &str) -> Cow<'_, str> {
    if text.is_ascii()
        || !text
            .char_indices()
            .any(|(at, ch)| invisible_kind(ch, at).is_some())
    {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.char_indices()
            .filter(|&(at, ch)| invisible_kind(ch, at).is_none())
            .map(|(_, ch)| ch)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_strips() {
        let text = "\u{FEFF}let ok\u{200B} = \u{202E}1\u{2066};\u{E0041}\u{FEFF}";
        let kinds: Vec<InvisibleKind> = find_invisible(text).iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            [
                InvisibleKind::ZeroWidth,
                InvisibleKind::Bidi,
                InvisibleKind::Bidi,
                InvisibleKind::Tag,
                InvisibleKind::ZeroWidth
            ]
        );
        assert_eq!(strip_invisible(text), "\u{FEFF}let ok = 1;");
        assert!(matches!(strip_invisible("plain é"), Cow::Borrowed(_)));
        assert!(find_invisible("ascii only").is_empty());
    }
}
