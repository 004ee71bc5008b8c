//! What the cache tests share: a seeded generator of edit positions.

/// A small deterministic generator (xorshift): the same edits on every run, no dependency.
pub struct Xorshift(pub u64);

impl Xorshift {
    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }

    /// A character boundary of `text` near a random byte.
    pub fn offset(&mut self, text: &str) -> usize {
        let mut at = self.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }
}
