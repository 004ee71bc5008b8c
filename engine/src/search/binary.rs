//! Binary-quantised prefilter for the exact index: one sign bit per dimension of each vector
//! minus a centring mean (384 dims → 48 bytes), scanned by Hamming distance, so a query reads an
//! eighth of the int8 codes' bytes. The best `candidates` by Hamming distance are then re-scored
//! with the int8 codes and the best of those with the f32 rows (see
//! [`super::vector::ExactIndex::search_binary`]), so returned scores are exact and only the
//! candidate set is approximate. Unlike a graph index it needs no build: encoding is a subtract
//! and a sign per component.
//!
//! **Why centre.** MiniLM's vectors are anisotropic: they share a large common component, so
//! raw signs agree on many dimensions for every pair and carry little information. The signs of
//! `v − mean` split each dimension near its median instead.
//!
//! **How the mean is kept.** The mean is taken over the live vectors and every code re-encoded
//! once the number of edits (inserts, replacements, removals) since the last centring reaches the
//! number of live vectors at that centring. Growth from empty thus re-centres at 1, 2, 4, 8, …
//! vectors (like `Vec` doubling: at most about two encodings per insert in total), and a corpus
//! that is rewritten or shrinks by half gets a fresh mean too. Between centrings the mean is
//! frozen, so a code never changes unless its vector does; a slightly stale mean only costs a
//! little prefilter precision, never correctness (the re-rank is exact).
//!
//! **Selecting candidates.** Hamming distances are small integers (0..=bits), so a histogram of
//! them gives the exact cut-off distance for the best `candidates`: linear, with no heap and no
//! comparisons of floats. A prefix's histogram is used to guess the cut-off so the rest of the
//! scan keeps only the slots within it, in one pass; the guess is checked and an exact rescan
//! replaces it when it was too tight (see [`BinaryCodes::nearest`]).

/// Fewest Hamming candidates re-scored, whatever the index size.
pub const CANDIDATE_FLOOR: usize = 400;
/// Candidates per thousand live vectors above the floor.
pub const CANDIDATES_PER_MILLE: usize = 10;

/// Shortlist size for `limit` hits among `live` vectors: at least `limit × 40`, the floor, and a
/// fixed fraction of the index (measured with `pilotfish bench-vector --binary-sweep`).
pub fn default_candidates(limit: usize, live: usize) -> usize {
    // Saturating: `limit` is a host's `k`, which may be any 32-bit number.
    limit
        .saturating_mul(40)
        .max(CANDIDATE_FLOOR)
        .max(live.saturating_mul(CANDIDATES_PER_MILLE) / 1000)
}

/// Sign codes of the rows of an exact index, centred on a mean of the live rows.
#[derive(Debug, Clone, Default)]
pub struct BinaryCodes {
    dims: usize,
    /// 64-bit words per row (`ceil(dims / 64)`); unused high bits are always zero.
    words: usize,
    /// The centre subtracted before taking signs.
    mean: Vec<f32>,
    /// `words` words per slot.
    codes: Vec<u64>,
    /// Live rows when the mean was last taken.
    centred_live: usize,
    /// Inserts, replacements and removals since then.
    edits: usize,
}

impl BinaryCodes {
    pub fn new(dims: usize) -> Self {
        BinaryCodes {
            dims,
            words: dims.div_ceil(64),
            mean: vec![0.0; dims],
            ..BinaryCodes::default()
        }
    }

    /// Words per row.
    pub fn words(&self) -> usize {
        self.words
    }

    /// The code of `slot` (all zero for a slot never stored).
    pub fn code(&self, slot: u32) -> &[u64] {
        let start = slot as usize * self.words;
        self.codes.get(start..start + self.words).unwrap_or(&[])
    }

    /// Sign bits of `row − mean` (bit set where the component is above the mean).
    pub fn encode(&self, row: &[f32], out: &mut [u64]) {
        out.iter_mut().for_each(|w| *w = 0);
        for (d, (x, m)) in row.iter().zip(&self.mean).enumerate() {
            if x > m {
                out[d / 64] |= 1 << (d % 64);
            }
        }
    }

    /// Stores the code of `row` in `slot`, re-centring every code when enough edits piled up.
    /// `data`/`live` are the whole index after the edit (the row already in place), `live_count`
    /// its live rows.
    pub(crate) fn set(
        &mut self,
        slot: u32,
        row: &[f32],
        data: &[f32],
        live: &[bool],
        live_count: usize,
    ) {
        let index = slot as usize;
        if self.codes.len() < (index + 1) * self.words {
            self.codes.resize((index + 1) * self.words, 0);
        }
        self.edits += 1;
        if self.edits >= self.centred_live.max(1) {
            self.recentre(data, live, live_count);
        } else {
            let start = index * self.words;
            let mut code = std::mem::take(&mut self.codes);
            self.encode(row, &mut code[start..start + self.words]);
            self.codes = code;
        }
    }

    /// Notes a removal (the code stays; the scan skips dead slots).
    pub(crate) fn removed(&mut self, data: &[f32], live: &[bool], live_count: usize) {
        self.edits += 1;
        if self.edits >= self.centred_live.max(1) {
            self.recentre(data, live, live_count);
        }
    }

    /// Takes the mean of the live rows and re-encodes every row against it.
    pub(crate) fn recentre(&mut self, data: &[f32], live: &[bool], live_count: usize) {
        self.edits = 0;
        self.centred_live = live_count;
        self.codes.clear();
        self.codes.resize(live.len() * self.words, 0);
        if self.dims == 0 {
            return;
        }
        let mut sum = vec![0.0f64; self.dims];
        for (row, _) in data.chunks_exact(self.dims).zip(live).filter(|(_, l)| **l) {
            for (s, x) in sum.iter_mut().zip(row) {
                *s += f64::from(*x);
            }
        }
        let n = live_count.max(1) as f64;
        self.mean = sum.iter().map(|s| (s / n) as f32).collect();
        let mut codes = std::mem::take(&mut self.codes);
        for ((row, code), _) in data
            .chunks_exact(self.dims)
            .zip(codes.chunks_exact_mut(self.words))
            .zip(live)
            .filter(|(_, l)| **l)
        {
            self.encode(row, code);
        }
        self.codes = codes;
    }

    /// The `count` live, accepted slots nearest to `query_code` by Hamming distance, in slot
    /// order (ties at the cut-off distance go to the lower slots).
    ///
    /// One pass in the common case: the distances of a prefix of the slots give a histogram, from
    /// which a cut-off is guessed that should admit about three times `count` slots over the
    /// whole index; the rest of the scan then keeps only slots within the guess, with no per-slot
    /// store or histogram update, and the final cut-off is taken among those. The guess is
    /// checked, not trusted: if fewer than `count` slots fall within it, it was tighter than the
    /// true cut-off and the whole index is scanned again exactly. Either way the result is the
    /// exact `count` nearest.
    pub fn nearest(
        &self,
        query_code: &[u64],
        live: &[bool],
        count: usize,
        accept: impl Fn(u32) -> bool,
    ) -> Vec<u32> {
        if count == 0 || self.words == 0 {
            return Vec::new();
        }
        let bits = self.words * 64;
        let slots = live.len().min(self.codes.len() / self.words);
        // More than every slot is every slot; clamping first keeps the arithmetic below in range.
        let count = count.min(slots);
        let probe = slots.min(count.saturating_mul(2).max(slots / 16));
        let mut histogram = vec![0u32; bits + 1];
        let mut within =
            Vec::with_capacity(probe.saturating_add(count.saturating_mul(3)).min(slots));
        self.pass(
            query_code,
            live,
            0..probe,
            &accept,
            ANY_DISTANCE,
            &mut within,
        );
        if probe < slots {
            for &(_, d) in &within {
                histogram[d as usize] += 1;
            }
            // In 64 bits: on wasm32, 3 × count × probe passes `usize` from about 40k slots.
            let want = (3 * count as u64 * probe as u64)
                .div_ceil(slots as u64)
                .max(1);
            let want = usize::try_from(want).unwrap_or(usize::MAX);
            let guess = cutoff(&histogram, want).0 as u16;
            within.retain(|&(_, d)| d <= guess);
            self.pass(query_code, live, probe..slots, &accept, guess, &mut within);
            if within.len() < count {
                within.clear();
                self.pass(
                    query_code,
                    live,
                    0..slots,
                    &accept,
                    ANY_DISTANCE,
                    &mut within,
                );
            }
            histogram.iter_mut().for_each(|n| *n = 0);
        }
        for &(_, d) in &within {
            histogram[d as usize] += 1;
        }
        let (cut, taken) = cutoff(&histogram, count);
        let cut = cut as u16;
        let mut at_cutoff = count.saturating_sub(taken);
        let mut out = Vec::with_capacity(count.min(within.len()));
        for &(slot, d) in &within {
            if d < cut {
                out.push(slot);
            } else if d == cut && at_cutoff > 0 {
                at_cutoff -= 1;
                out.push(slot);
            }
        }
        out
    }

    /// Appends `(slot, distance)` for the live, accepted slots in `range` whose distance is at
    /// most `limit`, in slot order.
    fn pass(
        &self,
        query: &[u64],
        live: &[bool],
        range: std::ops::Range<usize>,
        accept: &impl Fn(u32) -> bool,
        limit: u16,
        out: &mut Vec<(u32, u16)>,
    ) {
        let codes = &self.codes[range.start * self.words..range.end * self.words];
        let rows = Rows {
            live: &live[range.start..range.end],
            base: range.start,
            limit,
        };
        // The common widths get a loop with the word count fixed at compile time (no inner loop
        // or bounds checks): 384-d MiniLM codes are 6 words.
        match self.words {
            4 => rows.words4(codes, query, accept, out),
            6 => rows.words6(codes, query, accept, out),
            8 => rows.words8(codes, query, accept, out),
            12 => rows.words12(codes, query, accept, out),
            words => rows.any(codes, query, words, accept, out),
        }
    }

    /// Re-encodes the rows of a restored index.
    pub(crate) fn from_rows(dims: usize, data: &[f32], live: &[bool], live_count: usize) -> Self {
        let mut codes = BinaryCodes::new(dims);
        codes.recentre(data, live, live_count);
        codes
    }
}

/// The smallest distance whose bucket brings the count of slots at or below it to `count`, and
/// how many slots lie strictly below it; the last bucket when the histogram holds fewer.
fn cutoff(histogram: &[u32], count: usize) -> (usize, usize) {
    let mut taken = 0usize;
    for (d, &n) in histogram.iter().enumerate() {
        if taken + n as usize >= count {
            return (d, taken);
        }
        taken += n as usize;
    }
    (histogram.len().saturating_sub(1), taken)
}

/// A [`BinaryCodes::pass`] limit that keeps every slot (distances fit u16 below 65,535 dims).
const ANY_DISTANCE: u16 = u16::MAX;

/// The slots one pass visits: liveness, the first slot's number, and the largest distance kept.
struct Rows<'a> {
    live: &'a [bool],
    base: usize,
    limit: u16,
}

/// Scan loops for a code width fixed at compile time, with the word loop written out: the wasm
/// package is built at opt-level "z", which never unrolls loops (nor reliably inlines a
/// per-slot closure), and a rolled 6-iteration word loop cost about as much again as the
/// popcounts themselves (100k codes in Chromium: 710 q/s rolled, 1,260 written out).
macro_rules! fixed_width_scan {
    ($name:ident, $words:literal, [$($w:literal),+]) => {
        fn $name(
            &self,
            codes: &[u64],
            query: &[u64],
            accept: &impl Fn(u32) -> bool,
            out: &mut Vec<(u32, u16)>,
        ) {
            let Ok(query) = <[u64; $words]>::try_from(query) else {
                return self.any(codes, query, $words, accept, out);
            };
            let (rows, _) = codes.as_chunks::<$words>();
            for (i, (row, &live)) in rows.iter().zip(self.live).enumerate() {
                let d = 0 $(+ (row[$w] ^ query[$w]).count_ones())+;
                if d as u16 <= self.limit && live && accept((self.base + i) as u32) {
                    out.push(((self.base + i) as u32, d as u16));
                }
            }
        }
    };
}

impl Rows<'_> {
    fixed_width_scan!(words4, 4, [0, 1, 2, 3]);
    fixed_width_scan!(words6, 6, [0, 1, 2, 3, 4, 5]);
    fixed_width_scan!(words8, 8, [0, 1, 2, 3, 4, 5, 6, 7]);
    fixed_width_scan!(words12, 12, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);

    fn any(
        &self,
        codes: &[u64],
        query: &[u64],
        words: usize,
        accept: &impl Fn(u32) -> bool,
        out: &mut Vec<(u32, u16)>,
    ) {
        for (i, (code, &live)) in codes.chunks_exact(words).zip(self.live).enumerate() {
            let d = hamming(code, query);
            if d as u16 <= self.limit && live && accept((self.base + i) as u32) {
                out.push(((self.base + i) as u32, d as u16));
            }
        }
    }
}

/// Hamming distance of two equal-length codes (`count_ones` on u64 words). On wasm32 this is
/// `i64.popcnt`, which engines compile to the CPU's `popcnt`. A 128-bit `i8x16.popcnt` version
/// (byte popcounts, then widening pairwise adds and four lane extracts per code) made the whole
/// binary search 4–5× slower in Chromium for 384-bit codes (6k vectors: 2,098 against 8,860 q/s;
/// 100k: 162 against 843).
pub fn hamming(a: &[u64], b: &[u64]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hamming_counts_differing_bits_for_odd_lengths() {
        for words in [0usize, 1, 2, 3, 6, 7, 64, 65] {
            let a: Vec<u64> = (0..words as u64)
                .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
                .collect();
            let b: Vec<u64> = (0..words as u64)
                .map(|i| (i + 3).wrapping_mul(0xbf58_476d_1ce4_e5b9))
                .collect();
            let naive: u32 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| {
                    (0..64)
                        .filter(|bit| (x >> bit) & 1 != (y >> bit) & 1)
                        .count() as u32
                })
                .sum();
            assert_eq!(hamming(&a, &b), naive, "words={words}");
        }
        // Every bit differing in 64 words (4,096 bits) exercises the u8-lane flush.
        assert_eq!(hamming(&[u64::MAX; 64], &[0; 64]), 4096);
    }

    #[test]
    fn encodes_signs_around_the_mean_with_zero_padding() {
        let mut codes = BinaryCodes::new(70);
        codes.mean = vec![0.5; 70];
        let row: Vec<f32> = (0..70)
            .map(|d| if d % 3 == 0 { 1.0 } else { 0.0 })
            .collect();
        let mut out = [u64::MAX; 2];
        codes.encode(&row, &mut out);
        for d in 0..128 {
            let bit = (out[d / 64] >> (d % 64)) & 1 == 1;
            assert_eq!(bit, d < 70 && d % 3 == 0, "bit {d}");
        }
    }

    #[test]
    fn histogram_select_takes_the_nearest_and_breaks_ties_by_slot() {
        let mut codes = BinaryCodes::new(8);
        // Distances to a zero query are the popcounts: 3, 1, 0, 1, 2, 1.
        codes.codes = vec![0b111, 0b1, 0, 0b10, 0b11, 0b100];
        let live = [true, true, true, true, true, true];
        let query = [0u64];
        assert_eq!(codes.nearest(&query, &live, 1, |_| true), vec![2]);
        assert_eq!(codes.nearest(&query, &live, 3, |_| true), vec![1, 2, 3]);
        assert_eq!(
            codes.nearest(&query, &live, 5, |_| true),
            vec![1, 2, 3, 4, 5]
        );
        assert_eq!(codes.nearest(&query, &live, 99, |_| true).len(), 6);
        assert!(codes.nearest(&query, &live, 0, |_| true).is_empty());
        let some_dead = [true, false, true, true, true, true];
        assert_eq!(
            codes.nearest(&query, &some_dead, 3, |s| s != 3),
            vec![2, 4, 5]
        );
    }

    /// `(distance, slot)` of every live, accepted slot, nearest first (ties by slot).
    fn sorted_by_distance(
        codes: &BinaryCodes,
        query: &[u64],
        live: &[bool],
        accept: impl Fn(u32) -> bool,
    ) -> Vec<(u32, u32)> {
        let mut sorted: Vec<(u32, u32)> = (0..live.len() as u32)
            .filter(|&slot| live[slot as usize] && accept(slot))
            .map(|slot| (hamming(codes.code(slot), query), slot))
            .collect();
        sorted.sort_unstable();
        sorted
    }

    /// What `nearest` must return: the first `count` of a full sort, in slot order.
    fn nearest_by_full_sort(sorted: &[(u32, u32)], count: usize) -> Vec<u32> {
        let mut expected: Vec<u32> = sorted.iter().take(count).map(|p| p.1).collect();
        expected.sort_unstable();
        expected
    }

    #[test]
    fn nearest_equals_a_full_sort_for_every_code_width() {
        // Widths with a fixed-size scan (4, 6, 8, 12 words) and without (1, 5, 13).
        for words in [1usize, 4, 5, 6, 8, 12, 13] {
            let rows = 300u64;
            let mut codes = BinaryCodes::new(words * 64);
            codes.codes = (0..rows * words as u64)
                .map(|i| (i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17))
                .collect();
            let live: Vec<bool> = (0..rows).map(|slot| slot % 7 != 3).collect();
            let query: Vec<u64> = (0..words as u64)
                .map(|i| (i + 5).wrapping_mul(0xbf58_476d_1ce4_e5b9))
                .collect();
            let accept = |slot: u32| !slot.is_multiple_of(11);
            let want = sorted_by_distance(&codes, &query, &live, accept);
            for count in [1, 10, 50, 400] {
                let expected = nearest_by_full_sort(&want, count);
                let got = codes.nearest(&query, &live, count, accept);
                assert_eq!(got, expected, "words={words} count={count}");
            }
        }
    }

    /// Codes at a chosen distance from `query`: `flip` distinct bits of the query inverted, from a
    /// start position that varies per row so rows at equal distance still differ.
    fn code_at(query: &[u64], flip: usize, row: u64) -> Vec<u64> {
        let words = query.len();
        let mut code = query.to_vec();
        let bits = words * 64;
        let start = (row.wrapping_mul(0x9e37_79b9) as usize) % bits;
        for k in 0..flip {
            let bit = (start + k * 7) % bits;
            code[bit / 64] ^= 1 << (bit % 64);
        }
        code
    }

    #[test]
    fn nearest_is_exact_whether_the_prefix_guess_holds_or_not() {
        let words = 6;
        let query: Vec<u64> = (0..words as u64)
            .map(|i| (i + 1).wrapping_mul(0xd6e8_feb8_6659_fd93))
            .collect();
        let rows = 5000u64;
        // Distances per layout: random-ish; the prefix much nearer than the rest (the guessed
        // cut-off admits too few, so the scan must start over exactly); the prefix much farther.
        let layouts: [(&str, &dyn Fn(u64) -> usize); 3] = [
            ("mixed", &|r| {
                100 + (r.wrapping_mul(2_654_435_761) % 150) as usize
            }),
            ("near prefix", &|r| {
                if r < 700 {
                    5 + (r % 40) as usize
                } else {
                    150 + (r % 40) as usize
                }
            }),
            ("far prefix", &|r| {
                if r < 700 {
                    300 + (r % 40) as usize
                } else {
                    60 + (r % 90) as usize
                }
            }),
        ];
        for (name, distance) in layouts {
            let mut codes = BinaryCodes::new(words * 64);
            codes.codes = (0..rows)
                .flat_map(|r| code_at(&query, distance(r), r))
                .collect();
            let live: Vec<bool> = (0..rows).map(|r| r % 13 != 5).collect();
            let accept = |slot: u32| !slot.is_multiple_of(17);
            let want = sorted_by_distance(&codes, &query, &live, accept);
            for count in [1, 10, 100, 1000, 4000, 9999] {
                let expected = nearest_by_full_sort(&want, count);
                let got = codes.nearest(&query, &live, count, accept);
                assert_eq!(got, expected, "{name}, count={count}");
            }
        }
    }

    #[test]
    fn recentres_after_as_many_edits_as_live_rows() {
        let dims = 2;
        let mut codes = BinaryCodes::new(dims);
        let mut data = Vec::new();
        let mut live = Vec::new();
        let mut centrings = Vec::new();
        for i in 0..20u32 {
            let row = [i as f32, -(i as f32)];
            data.extend_from_slice(&row);
            live.push(true);
            let before = codes.centred_live;
            codes.set(i, &row, &data, &live, i as usize + 1);
            if codes.edits == 0 {
                centrings.push((i + 1, before));
            }
        }
        let sizes: Vec<u32> = centrings.iter().map(|c| c.0).collect();
        assert_eq!(sizes, vec![1, 2, 4, 8, 16]);
        // Mean of 0..16 is 7.5: rows 8.. sit above it on dimension 0.
        assert_eq!(codes.mean, vec![7.5, -7.5]);
        assert_eq!(codes.code(3), &[0b10]);
        assert_eq!(codes.code(9), &[0b01]);
    }
}
