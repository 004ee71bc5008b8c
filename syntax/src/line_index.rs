//! Positions without the text: a per-file map between UTF-8 byte offsets (what the chunker and
//! the engine speak), UTF-16 code-unit offsets (what Monaco, VS Code and JavaScript strings speak)
//! and 1-based lines. It is rust-analyzer's `line-index` idea, with absolute UTF-16 offsets added:
//! the `line-index` crate answers in (line, column) pairs, and the editors' APIs here take
//! absolute offsets, which it cannot give without the text it does not keep either.
//!
//! What is kept is the start of every line and, for each character whose UTF-8 and UTF-16 lengths
//! differ, where it starts, its two lengths and how many units the text saved before it: an ASCII
//! file costs four bytes per line and nothing per character.

/// The position map of one text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineIndex {
    /// UTF-8 offset of the start of each line; the first is 0.
    line_starts: Vec<u32>,
    /// Every character whose UTF-8 length differs from its UTF-16 length, in text order.
    wide: Vec<WideChar>,
    len_utf8: u32,
}

/// A character that is shorter in UTF-16 than in UTF-8 (everything past U+007F).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WideChar {
    /// UTF-8 offset of its first byte.
    pub start: u32,
    /// UTF-8 length: 2, 3 or 4.
    pub len_utf8: u8,
    /// UTF-16 length: 1, or 2 for a surrogate pair.
    pub len_utf16: u8,
    /// Sum of `len_utf8 - len_utf16` over the wide characters before it.
    pub saved_before: u32,
}

impl WideChar {
    fn saved_through(self) -> u32 {
        self.saved_before + u32::from(self.len_utf8 - self.len_utf16)
    }
    fn end_utf8(self) -> u32 {
        self.start + u32::from(self.len_utf8)
    }
    fn start_utf16(self) -> u32 {
        self.start - self.saved_before
    }
    fn end_utf16(self) -> u32 {
        self.start_utf16() + u32::from(self.len_utf16)
    }
}

/// Why stored parts do not make a line index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid line index: {0}")]
pub struct LineIndexError(&'static str);

impl LineIndex {
    /// Indexes `text` in one pass.
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        let mut wide = Vec::new();
        let mut saved = 0u32;
        // Bytes, not chars: code is mostly ASCII, and decoding every character costs several
        // times more (in wasm above all) than looking at a byte. `text` is valid UTF-8, so a
        // byte at or above 0x80 here is a leading byte, and every non-ASCII character is wide
        // (2 or 3 UTF-8 bytes for 1 UTF-16 unit, 4 for 2).
        let bytes = text.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let byte = bytes[at];
            if byte < 0x80 {
                if byte == b'\n' {
                    line_starts.push((at + 1) as u32);
                }
                at += 1;
                continue;
            }
            let (len_utf8, len_utf16) = match byte {
                0xC0..=0xDF => (2, 1),
                0xE0..=0xEF => (3, 1),
                _ => (4, 2),
            };
            let char = WideChar {
                start: at as u32,
                len_utf8,
                len_utf16,
                saved_before: saved,
            };
            saved = char.saved_through();
            wide.push(char);
            at += usize::from(len_utf8);
        }
        LineIndex {
            line_starts,
            wide,
            len_utf8: text.len() as u32,
        }
    }

    /// Rebuilds an index from [`LineIndex::parts`] (a snapshot), checking that they are consistent
    /// so a corrupted snapshot cannot make a conversion panic.
    pub fn from_parts(
        line_starts: Vec<u32>,
        wide: Vec<WideChar>,
        len_utf8: u32,
    ) -> Result<Self, LineIndexError> {
        if line_starts.first() != Some(&0) {
            return Err(LineIndexError("the first line must start at 0"));
        }
        if line_starts.windows(2).any(|w| w[0] >= w[1]) || line_starts.last() > Some(&len_utf8) {
            return Err(LineIndexError("line starts out of order or past the end"));
        }
        let mut saved = 0u32;
        let mut end = 0u32;
        for c in &wide {
            let lengths_ok = matches!((c.len_utf8, c.len_utf16), (2 | 3, 1) | (4, 2));
            if !lengths_ok || c.start < end || c.saved_before != saved {
                return Err(LineIndexError("wide characters are inconsistent"));
            }
            // Checked before `end_utf8` adds: a stored start near `u32::MAX` must not overflow.
            if c.start
                .checked_add(u32::from(c.len_utf8))
                .is_none_or(|e| e > len_utf8)
            {
                return Err(LineIndexError("a wide character runs past the end"));
            }
            end = c.end_utf8();
            saved = c.saved_through();
        }
        if end > len_utf8 {
            return Err(LineIndexError("a wide character runs past the end"));
        }
        Ok(LineIndex {
            line_starts,
            wide,
            len_utf8,
        })
    }

    /// The stored parts: line starts, wide characters, length in bytes.
    pub fn parts(&self) -> (&[u32], &[WideChar], u32) {
        (&self.line_starts, &self.wide, self.len_utf8)
    }

    /// Length of the text in UTF-8 bytes.
    pub fn len_utf8(&self) -> usize {
        self.len_utf8 as usize
    }

    /// Length of the text in UTF-16 code units.
    pub fn len_utf16(&self) -> usize {
        self.utf16_offset(self.len_utf8())
    }

    /// Number of lines (a text ending in a newline has an empty last line).
    pub fn lines(&self) -> usize {
        self.line_starts.len()
    }

    /// The UTF-16 offset of a UTF-8 offset. An offset inside a character counts that whole
    /// character; offsets past the end are clamped to it.
    pub fn utf16_offset(&self, utf8: usize) -> usize {
        let utf8 = utf8.min(self.len_utf8()) as u32;
        let before = self.wide.partition_point(|c| c.start < utf8);
        let Some(&last) = before.checked_sub(1).and_then(|i| self.wide.get(i)) else {
            return utf8 as usize;
        };
        if utf8 < last.end_utf8() {
            return last.end_utf16() as usize;
        }
        (utf8 - last.saved_through()) as usize
    }

    /// The UTF-8 offset of a UTF-16 offset. An offset inside a surrogate pair maps to the end of
    /// its character; offsets past the end are clamped to it.
    pub fn utf8_offset(&self, utf16: usize) -> usize {
        let utf16 = utf16.min(self.len_utf16()) as u32;
        let before = self.wide.partition_point(|c| c.start_utf16() < utf16);
        let Some(&last) = before.checked_sub(1).and_then(|i| self.wide.get(i)) else {
            return utf16 as usize;
        };
        if utf16 < last.end_utf16() {
            return last.end_utf8() as usize;
        }
        (utf16 + last.saved_through()) as usize
    }

    /// The 1-based line of a UTF-8 offset (clamped to the text).
    pub fn line(&self, utf8: usize) -> usize {
        let utf8 = utf8.min(self.len_utf8()) as u32;
        self.line_starts.partition_point(|&start| start <= utf8)
    }

    /// The UTF-8 offset where a 1-based line starts, or `None` past the last line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        let index = line.checked_sub(1)?;
        self.line_starts.get(index).map(|&s| s as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference conversions by counting, for every UTF-8 offset of the text.
    fn check(text: &str) {
        let index = LineIndex::new(text);
        let mut units = 0;
        let mut boundaries = vec![(0usize, 0usize)];
        for (at, c) in text.char_indices() {
            units += c.len_utf16();
            boundaries.push((at + c.len_utf8(), units));
        }
        for utf8 in 0..=text.len() + 2 {
            // Inside a character counts it whole: the first boundary at or after the offset.
            let expected = boundaries
                .iter()
                .find(|&&(b, _)| b >= utf8.min(text.len()))
                .unwrap()
                .1;
            assert_eq!(index.utf16_offset(utf8), expected, "{text:?} at {utf8}");
        }
        for &(utf8, utf16) in &boundaries {
            assert_eq!(index.utf8_offset(utf16), utf8, "{text:?} back from {utf16}");
        }
        assert_eq!(index.len_utf16(), text.encode_utf16().count());
        let (starts, wide, len) = index.parts();
        let back = LineIndex::from_parts(starts.to_vec(), wide.to_vec(), len).unwrap();
        assert_eq!(back, index);
    }

    #[test]
    fn conversions_match_counting() {
        for text in [
            "",
            "plain ascii\nsecond line\n",
            "aé中😀b",
            "😀😀\n中\n\né",
            "def f():\n    return \"naïve 🐍\"\n",
        ] {
            check(text);
        }
    }

    #[test]
    fn inside_a_surrogate_pair_maps_to_the_character_end() {
        let index = LineIndex::new("a😀b");
        assert_eq!(index.utf8_offset(2), 5);
        assert_eq!(index.utf16_offset(3), 3);
    }

    #[test]
    fn lines_are_one_based() {
        let index = LineIndex::new("ab\ncd\n");
        assert_eq!(index.lines(), 3);
        assert_eq!(
            [index.line(0), index.line(2), index.line(3), index.line(6)],
            [1, 1, 2, 3]
        );
        assert_eq!(index.line_start(2), Some(3));
        assert_eq!(index.line_start(4), None);
    }

    #[test]
    fn inconsistent_parts_are_rejected() {
        assert!(LineIndex::from_parts(vec![1], vec![], 4).is_err());
        assert!(LineIndex::from_parts(vec![0, 5], vec![], 4).is_err());
        let bad = WideChar {
            start: 0,
            len_utf8: 2,
            len_utf16: 2,
            saved_before: 0,
        };
        assert!(LineIndex::from_parts(vec![0], vec![bad], 4).is_err());
    }
}
