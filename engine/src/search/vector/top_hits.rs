//! Bounded top-k selection for scans: the best hits kept without storing every score.

use crate::search::bm25::{Scored, top_k};

/// Keeps the best `keep` hits of a scan without holding every score: hits below the current
/// cut-off are dropped on arrival, and the buffer is trimmed whenever it doubles. The result is
/// identical to sorting every hit (ties go to the lower slot, which a scan in slot order meets
/// first).
#[derive(Debug)]
pub struct TopHits {
    hits: Vec<Scored>,
    keep: usize,
    /// Buffer length at which it is trimmed back to `keep` (twice `keep`, saturating).
    trim_at: usize,
    floor: f32,
}

/// Most hits reserved up front. `keep` can be a host's `k` (up to `usize::MAX` from a hostile
/// page), so the buffer starts small and grows with what the scan actually offers.
const RESERVE_AT_MOST: usize = 1024;

impl TopHits {
    pub fn new(keep: usize) -> Self {
        let trim_at = keep.max(8).saturating_mul(2);
        TopHits {
            hits: Vec::with_capacity(trim_at.min(RESERVE_AT_MOST)),
            keep,
            trim_at,
            floor: f32::NEG_INFINITY,
        }
    }

    /// Offers a hit; slots must arrive in increasing order for ties to resolve like a full sort.
    #[inline]
    pub fn push(&mut self, doc: u32, score: f32) {
        if self.keep == 0 || score <= self.floor {
            return;
        }
        self.hits.push(Scored { doc, score });
        if self.hits.len() >= self.trim_at {
            top_k(&mut self.hits, self.keep);
            self.floor = self.hits.last().map_or(f32::NEG_INFINITY, |h| h.score);
        }
    }

    /// The best hits, best first.
    pub fn finish(mut self) -> Vec<Scored> {
        top_k(&mut self.hits, self.keep);
        self.hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_hits_equals_a_full_sort() {
        let scores: Vec<f32> = (0..1000).map(|i| ((i * 7919) % 113) as f32).collect();
        for keep in [0, 1, 5, 10, 300, 2000] {
            let mut top = TopHits::new(keep);
            let mut all = Vec::new();
            for (doc, &score) in scores.iter().enumerate() {
                top.push(doc as u32, score);
                all.push(Scored {
                    doc: doc as u32,
                    score,
                });
            }
            top_k(&mut all, keep);
            assert_eq!(top.finish(), all, "keep={keep}");
        }
    }
}
