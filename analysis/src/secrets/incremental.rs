//! The secret scan of a document being edited, by the lines that changed.
//!
//! An editor asks for a file's secrets on every keystroke, and a keystroke changes a few bytes
//! of a text that may be 100 KB long: [`Scanner::scan_cached`] keeps the last text's prefilter
//! counts, pattern matches and masked spans in a [`SecretCache`] and, for the new text, scans
//! again only a window around the change, moving what lies after it. The result is exactly
//! [`Scanner::scan`]'s (`tests/secrets_cache.rs` compares them over seeded edits) because of
//! how the built-in patterns are written, which the window relies on:
//!
//! - A pattern crosses a line break only through a run of whitespace (`\s*`) or a single
//!   character, and holds a handful of such runs: a match touches at most a few lines that
//!   have anything but whitespace on them. The window therefore reaches [`MARGIN`] such lines
//!   beyond the change each way, so no match outside it can see the change.
//! - A pattern that repeats a group across lines (`multiline = true` in the rule table: a PEM
//!   private key's body) has no such bound; it is searched in the whole text each time, which
//!   costs little since such patterns start with a literal (`-----BEGIN`).
//! - Keywords and mask markers hold no line break, so counting them in the window's lines and
//!   subtracting the old window's counts keeps the whole text's counts, and with them which
//!   rules run; a rule whose gate opened is searched in the whole text.
//! - The window never cuts a match of the old text; a match of the new one that would leave the
//!   window makes the scan start over from the whole text.

use std::ops::Range;

use syntax::documents::changed_span;

use super::{Finding, RawMatch, Scanner, filter};

/// Lines with something other than whitespace on them between the change and a window edge:
/// more than the line breaks any bounded built-in pattern can cross (at most three `\s*` runs).
pub const MARGIN: usize = 8;

/// What [`Scanner::scan_cached`] remembers of the last text it scanned: one per document.
#[derive(Debug, Clone, Default)]
pub struct SecretCache {
    text: String,
    /// Per prefilter pattern, its occurrences in `text`.
    counts: Vec<u32>,
    /// Which rules ran on `text`.
    ran: Vec<bool>,
    /// Every rule's matches in `text`, sorted by start.
    raw: Vec<RawMatch>,
    /// Spans of `text` where nothing is a secret (inline base64, integrity hashes), sorted.
    masked: Vec<Range<usize>>,
    /// Scans since the cache was made, and how many started over from the whole text.
    scans: usize,
    whole_scans: usize,
}

impl SecretCache {
    /// How many scans went through this cache, and how many of them scanned the whole text
    /// (the first one, a text changed everywhere, a match leaving the window).
    pub fn scans(&self) -> (usize, usize) {
        (self.scans, self.whole_scans)
    }
}

/// The [`SecretCache`]s of the few documents an editor has open, most recently scanned first.
#[derive(Debug, Clone)]
pub struct DocumentSecrets {
    capacity: usize,
    documents: Vec<(String, SecretCache)>,
}

impl DocumentSecrets {
    /// Caches for up to `capacity` paths (at least one); each holds a copy of its text.
    pub fn new(capacity: usize) -> DocumentSecrets {
        DocumentSecrets {
            capacity: capacity.max(1),
            documents: Vec::new(),
        }
    }

    /// [`Scanner::scan_cached`] of `text`, the content of `path` now.
    pub fn scan<'s>(&mut self, scanner: &'s Scanner, path: &str, text: &str) -> Vec<Finding<'s>> {
        let mut document = match self.documents.iter().position(|(p, _)| p == path) {
            Some(at) => self.documents.remove(at),
            None => (path.to_string(), SecretCache::default()),
        };
        let found = scanner.scan_cached(text, &mut document.1);
        self.documents.insert(0, document);
        self.documents.truncate(self.capacity);
        found
    }
}

impl Scanner {
    /// [`Scanner::scan`] of `text`, the new content of the document `cache` remembers: only
    /// the lines around what changed since the last call are searched again. Use one cache
    /// per document and per scanner.
    pub fn scan_cached(&self, text: &str, cache: &mut SecretCache) -> Vec<Finding<'_>> {
        cache.scans += 1;
        let fits = cache.ran.len() == self.rules.len() && cache.counts.len() == self.targets.len();
        if !(fits && self.rescan_window(text, cache)) {
            cache.whole_scans += 1;
            self.scan_whole(text, cache);
        }
        self.assemble(text, &cache.raw, &cache.masked)
    }

    fn scan_whole(&self, text: &str, cache: &mut SecretCache) {
        let whole = self.search_whole(text);
        *cache = SecretCache {
            text: text.to_string(),
            counts: whole.counts,
            ran: whole.ran,
            raw: whole.raw,
            masked: whole.masked,
            scans: cache.scans,
            whole_scans: cache.whole_scans,
        };
    }

    /// Updates `cache` to `text` by searching a window around the change; `false` when the
    /// whole text must be scanned instead (nothing remembered, most of the text changed, a
    /// match leaving the window).
    fn rescan_window(&self, text: &str, cache: &mut SecretCache) -> bool {
        let old = cache.text.as_str();
        if old.is_empty() {
            return false;
        }
        let (start, old_end, new_end) = changed_span(old, text);
        if start == old_end && start == new_end {
            return true;
        }
        if old_end - start > old.len() / 2 || new_end - start > text.len() / 2 {
            return false;
        }
        let (window_start, old_window_end) = window(old.as_bytes(), start, old_end, cache);
        let new_window_end = old_window_end - old_end + new_end;
        let shift = |r: &Range<usize>| r.start - old_end + new_end..r.end - old_end + new_end;

        // The prefilter's counts for the whole new text, from the old ones.
        let new_bytes = text.as_bytes();
        let gone = self.keyword_hits(old.as_bytes(), window_start..old_window_end);
        let came = self.keyword_hits(new_bytes, window_start..new_window_end);
        let mut counts = cache.counts.clone();
        for (count, (gone, came)) in counts.iter_mut().zip(gone.counts.iter().zip(&came.counts)) {
            *count = *count - gone + came;
        }
        let ran = self.gate(|pattern| counts[pattern] > 0);

        let mut raw = Vec::with_capacity(cache.raw.len() + 4);
        for (i, rule) in self.rules.iter().enumerate().filter(|&(i, _)| ran[i]) {
            if rule.multiline || !cache.ran[i] {
                self.rule_matches(i, text, 0..new_bytes.len(), 0, &mut raw);
                continue;
            }
            raw.extend(
                cache
                    .raw
                    .iter()
                    .filter(|m| m.rule == i && m.whole.end <= window_start)
                    .cloned(),
            );
            // The search stops at the window's end: a match that does not reach it is what the
            // whole text would give (anything longer would cross the edge, which the margin
            // rules out), and one that does is searched again over the rest of the text.
            let found = raw.len();
            let window = window_start..new_window_end;
            if !self.rule_matches(i, text, window.clone(), 0, &mut raw) {
                raw.truncate(found);
                self.rule_matches(i, text, window, usize::MAX, &mut raw);
            }
            if raw[found..]
                .iter()
                .any(|m| m.whole.end > new_window_end && new_window_end < new_bytes.len())
            {
                return false;
            }
            raw.extend(
                cache
                    .raw
                    .iter()
                    .filter(|m| m.rule == i && m.whole.start >= old_window_end)
                    .map(|m| RawMatch {
                        rule: i,
                        whole: shift(&m.whole),
                        secret: m.secret.as_ref().map(shift),
                    }),
            );
        }
        raw.sort_unstable_by_key(|m| (m.whole.start, m.rule));

        // Masks are runs of base64 after a marker: they end at a line break, so those outside
        // the window are unchanged (moved), those inside come from its markers.
        let mut masked: Vec<Range<usize>> = cache
            .masked
            .iter()
            .filter(|m| m.end <= window_start)
            .cloned()
            .collect();
        masked.extend(filter::masked_spans(new_bytes, &came.mask_starts));
        masked.extend(
            cache
                .masked
                .iter()
                .filter(|m| m.start >= old_window_end)
                .map(shift),
        );
        masked.sort_by_key(|m| m.start);

        cache
            .text
            .replace_range(start..old_end, &text[start..new_end]);
        cache.counts = counts;
        cache.ran = ran;
        cache.raw = raw;
        cache.masked = masked;
        true
    }
}

/// The old text's window around `start..end`: from a line start [`MARGIN`] non-blank lines
/// above to just after a line end [`MARGIN`] non-blank lines below (or the text's ends),
/// widened until no remembered match or mask crosses an edge.
fn window(old: &[u8], start: usize, end: usize, cache: &SecretCache) -> (usize, usize) {
    let mut from = lines_above(old, start, MARGIN);
    let mut to = lines_below(old, end, MARGIN);
    loop {
        let crossing = |r: &Range<usize>, at: usize| r.start < at && at < r.end;
        let spans = || cache.raw.iter().map(|m| &m.whole).chain(&cache.masked);
        let lower = spans().filter(|r| crossing(r, from)).map(|r| r.start).min();
        let upper = spans().filter(|r| crossing(r, to)).map(|r| r.end).max();
        if lower.is_none() && upper.is_none() {
            return (from, to);
        }
        if let Some(at) = lower {
            from = lines_above(old, at, 0);
        }
        if let Some(at) = upper {
            to = lines_below(old, at, 0);
        }
    }
}

/// The start of the line `margin` non-blank lines above the one holding `at`.
fn lines_above(text: &[u8], at: usize, margin: usize) -> usize {
    let mut line_start = text[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let mut left = margin;
    while left > 0 && line_start > 0 {
        let previous = text[..line_start - 1]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        if !text[previous..line_start]
            .iter()
            .all(u8::is_ascii_whitespace)
        {
            left -= 1;
        }
        line_start = previous;
    }
    line_start
}

/// Just after the end of the line `margin` non-blank lines below the one holding `at` (the
/// line starting at `at` when `at` starts one), or the text's end.
fn lines_below(text: &[u8], at: usize, margin: usize) -> usize {
    let line_end = |from: usize| {
        text[from..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |i| from + i + 1)
    };
    let mut end = line_end(at);
    let mut left = margin;
    while left > 0 && end < text.len() {
        let next = line_end(end);
        if !text[end..next].iter().all(u8::is_ascii_whitespace) {
            left -= 1;
        }
        end = next;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_count_lines_with_text_only() {
        let text = b"a\n\n  \nb\nc\nd\n";
        // From inside `d`: one non-blank line up is `c`, two is `b`, three skips the blanks.
        assert_eq!(lines_above(text, 10, 0), 10);
        assert_eq!(lines_above(text, 10, 1), 8);
        assert_eq!(lines_above(text, 10, 2), 6);
        assert_eq!(lines_above(text, 10, 3), 0);
        assert_eq!(lines_below(text, 0, 0), 2);
        assert_eq!(lines_below(text, 0, 1), 8);
        assert_eq!(lines_below(text, 2, 0), 3);
        assert_eq!(lines_below(text, 12, 3), 12);
    }
}
