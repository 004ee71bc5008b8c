//! The code-aware tokenizer shared by the keyword index, the hashed embedder and queries.
//!
//! Identifiers are split at camelCase, PascalCase, snake_case, kebab-case and letter/digit
//! boundaries, and the whole identifier is kept as well, so `parseHttpHeader` matches both the
//! query "parse http header" and the exact name. Everything is lowercased; language keywords,
//! English stop words, punctuation and one-letter pieces are dropped. Pieces are stemmed with the
//! Snowball English stemmer so "iterable" in a query meets "iter" in code; whole identifiers are
//! not stemmed, since they are names rather than words. No crate does identifier splitting for
//! code search, which is why this part is written by hand.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashSet;

/// Tokenizer settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenizerConfig {
    /// Stem identifier pieces (Snowball English).
    pub stem: bool,
    /// Also emit each multi-piece identifier whole (`is_iterable` besides `is`, `iterable`).
    pub keep_whole: bool,
}

impl Default for TokenizerConfig {
    fn default() -> Self {
        TokenizerConfig {
            stem: true,
            keep_whole: true,
        }
    }
}

/// Keywords of the supported languages plus common English stop words: they occur in nearly every
/// chunk or query and only add noise to scores.
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    // English
    "a", "about", "after", "all", "an", "and", "any", "are", "as", "at", "be", "been", "being",
    "but", "by", "can", "could", "did", "do", "does", "doing", "each", "few", "for", "from", "get",
    "had", "has", "have", "having", "he", "her", "here", "him", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "me", "more", "most", "my", "no", "nor", "not", "of", "off", "on",
    "once", "only", "or", "other", "our", "out", "over", "own", "same", "she", "should", "so",
    "some", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were",
    "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you",
    "your", "way", "using", "use",
    // Python
    "def", "self", "none", "true", "false", "elif", "else", "return", "import", "pass", "lambda",
    "yield", "global", "nonlocal", "del", "assert", "raise", "except", "finally", "try", "class",
    "python", "py", "cls", "args", "kwargs",
    // JavaScript / TypeScript
    "function", "var", "let", "const", "new", "typeof", "instanceof", "void", "undefined", "null",
    "export", "default", "extends", "super", "async", "await", "static", "switch", "case", "break",
    "continue",
    // Rust / Go / Java / C family
    "fn", "pub", "mut", "impl", "struct", "enum", "trait", "mod", "crate", "use", "where", "ref",
    "func", "package", "go", "defer", "chan", "public", "private", "protected", "final", "int",
    "void", "char", "unsigned", "signed", "long", "short", "include", "define", "namespace",
    "template", "typename", "std",
];

static STOP_SET: LazyLock<FxHashSet<&'static str>> =
    LazyLock::new(|| STOP_WORDS.iter().copied().collect());

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Whether `word` (lowercase) is a keyword or stop word that the tokenizer drops.
pub fn is_stop_word(word: &str) -> bool {
    STOP_SET.contains(word)
}

/// Calls `emit` with every token of `text`, in order. Tokens may repeat (term frequency matters).
pub fn for_each_token(text: &str, config: &TokenizerConfig, mut emit: impl FnMut(&str)) {
    let mut lower = String::new();
    for word in words(text) {
        let pieces = split_identifier(word);
        let multi = pieces.len() > 1;
        for piece in &pieces {
            lower.clear();
            lower.extend(piece.chars().flat_map(char::to_lowercase));
            if lower.chars().count() < 2 || is_stop_word(&lower) {
                continue;
            }
            if config.stem && lower.bytes().all(|b| b.is_ascii_alphabetic()) {
                emit(&STEMMER.stem(&lower));
            } else {
                emit(&lower);
            }
        }
        if multi && config.keep_whole {
            lower.clear();
            lower.extend(word.chars().flat_map(char::to_lowercase));
            emit(&lower);
        }
    }
}

/// Collects the tokens of `text`.
pub fn tokenize(text: &str, config: &TokenizerConfig) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(text, config, |t| out.push(t.to_string()));
    out
}

/// Maximal runs of identifier characters; a `-` joins two runs when both sides are alphanumeric,
/// so kebab-case names (`max-width`, `my-crate`) stay whole words.
fn words(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        // Skip to the start of a word.
        let rest = &text[i..];
        let start = i + rest.find(is_word)?;
        let mut end = start;
        for (off, c) in text[start..].char_indices() {
            let at = start + off;
            if is_word(c) {
                end = at + c.len_utf8();
            } else if c == '-'
                && at > start
                && bytes.get(at + 1).is_some_and(|b| b.is_ascii_alphanumeric())
                && bytes[at - 1].is_ascii_alphanumeric()
            {
                continue;
            } else {
                break;
            }
        }
        i = end;
        Some(&text[start..end])
    })
}

/// Splits an identifier into its pieces at `_`, `-`, case changes and letter/digit boundaries:
/// `HTTPServer2_config` → `HTTP`, `Server`, `2`, `config`.
fn split_identifier(word: &str) -> Vec<&str> {
    #[derive(Clone, Copy, PartialEq)]
    enum Class {
        Upper,
        Lower,
        Digit,
        Other,
    }
    let class = |c: char| {
        if c.is_uppercase() {
            Class::Upper
        } else if c.is_lowercase() {
            Class::Lower
        } else if c.is_numeric() {
            Class::Digit
        } else if c.is_alphabetic() {
            // Scripts without case (CJK, ...) behave like lowercase letters.
            Class::Lower
        } else {
            Class::Other
        }
    };
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let mut pieces = Vec::new();
    let mut start: Option<usize> = None;
    for (n, &(at, c)) in chars.iter().enumerate() {
        let here = class(c);
        if here == Class::Other {
            if let Some(s) = start.take() {
                pieces.push(&word[s..at]);
            }
            continue;
        }
        let Some(s) = start else {
            start = Some(at);
            continue;
        };
        let prev = class(chars[n - 1].1);
        let next = chars.get(n + 1).map(|&(_, c)| class(c));
        let boundary = match (prev, here) {
            (Class::Lower, Class::Upper) => true,
            (Class::Digit, Class::Upper | Class::Lower)
            | (Class::Upper | Class::Lower, Class::Digit) => true,
            // The last capital of an acronym starts the next word: `HTTPServer` → `HTTP`, `Server`.
            (Class::Upper, Class::Upper) => next == Some(Class::Lower),
            _ => false,
        };
        if boundary {
            pieces.push(&word[s..at]);
            start = Some(at);
        }
    }
    if let Some(s) = start {
        pieces.push(&word[s..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    fn check(input: &str, expect: Expect) {
        let tokens = tokenize(input, &TokenizerConfig::default());
        expect.assert_eq(&tokens.join(" "));
    }

    #[test]
    fn splits_identifiers_and_keeps_them_whole() {
        check(
            "parseHttpHeader",
            expect!["pars http header parsehttpheader"],
        );
        check(
            "HTTPServer2_config",
            expect!["http server config httpserver2_config"],
        );
        check(
            "is_iterable_but_not_string",
            expect!["iter string is_iterable_but_not_string"],
        );
        check("max-width: 3px", expect!["max width max-width px 3px"]);
        check("a - b", expect![""]);
    }

    #[test]
    fn drops_keywords_punctuation_and_stop_words() {
        check(
            "def read_file(self, path): return open(path).read()",
            expect!["read file read_file path open path read"],
        );
        check(
            "python check if a variable is iterable",
            expect!["check variabl iter"],
        );
    }

    #[test]
    fn handles_unicode_and_empty_input() {
        check("", expect![""]);
        check(
            "größe_berechnen 名前",
            expect!["größe berechnen größe_berechnen 名前"],
        );
    }
}
