//! The exact vector index: L2-normalised vectors in one flat `f32` array, scanned in full per
//! query. On code-sized corpora (tens of thousands of chunks) a SIMD scan is as fast as a graph
//! index and needs no build, so it is the default; [`super::hnsw`] takes over above a crossover.
//!
//! The dot product has two paths: with `simd128` on wasm32 it uses `core::arch::wasm32` lanes
//! explicitly (LLVM does not reliably vectorise a float reduction on its own, since it may not
//! reorder float additions); elsewhere eight independent accumulators let LLVM vectorise for the
//! host's SIMD width.

use super::bm25::{Scored, top_k};

/// Dot product of two equal-length vectors.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    use core::arch::wasm32::{f32x4, f32x4_add, f32x4_extract_lane, f32x4_mul, f32x4_splat};
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [f32x4_splat(0.0); 4];
    let mut xa = a.chunks_exact(16);
    let mut xb = b.chunks_exact(16);
    for (x, y) in (&mut xa).zip(&mut xb) {
        for (lane, sum) in acc.iter_mut().enumerate() {
            let o = lane * 4;
            let vx = f32x4(x[o], x[o + 1], x[o + 2], x[o + 3]);
            let vy = f32x4(y[o], y[o + 1], y[o + 2], y[o + 3]);
            *sum = f32x4_add(*sum, f32x4_mul(vx, vy));
        }
    }
    let sum = f32x4_add(f32x4_add(acc[0], acc[1]), f32x4_add(acc[2], acc[3]));
    let mut total = f32x4_extract_lane::<0>(sum)
        + f32x4_extract_lane::<1>(sum)
        + f32x4_extract_lane::<2>(sum)
        + f32x4_extract_lane::<3>(sum);
    for (x, y) in xa.remainder().iter().zip(xb.remainder()) {
        total += x * y;
    }
    total
}

/// Dot product of two equal-length vectors.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 8];
    let mut xa = a.chunks_exact(8);
    let mut xb = b.chunks_exact(8);
    for (x, y) in (&mut xa).zip(&mut xb) {
        for lane in 0..8 {
            acc[lane] += x[lane] * y[lane];
        }
    }
    let mut total: f32 = acc.iter().sum();
    for (x, y) in xa.remainder().iter().zip(xb.remainder()) {
        total += x * y;
    }
    total
}

/// Scales `v` to unit length in place (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Errors of the vector indexes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VectorError {
    #[error("vector has {got} dimensions, the index holds {expected}")]
    Dimensions { expected: usize, got: usize },
}

/// Exact (brute-force) cosine index over slots.
#[derive(Debug, Clone, Default)]
pub struct ExactIndex {
    dims: usize,
    data: Vec<f32>,
    live: Vec<bool>,
    count: usize,
}

impl ExactIndex {
    pub fn new(dims: usize) -> Self {
        ExactIndex {
            dims,
            ..ExactIndex::default()
        }
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Number of slots (live or free).
    pub fn slots(&self) -> usize {
        self.live.len()
    }

    /// Stores `vector` (normalised here) in `slot`, replacing what was there.
    pub fn insert(&mut self, slot: u32, vector: &[f32]) -> Result<(), VectorError> {
        if vector.len() != self.dims {
            return Err(VectorError::Dimensions {
                expected: self.dims,
                got: vector.len(),
            });
        }
        let index = slot as usize;
        if self.live.len() <= index {
            self.live.resize(index + 1, false);
            self.data.resize((index + 1) * self.dims, 0.0);
        }
        let row = &mut self.data[index * self.dims..(index + 1) * self.dims];
        row.copy_from_slice(vector);
        normalize(row);
        if !self.live[index] {
            self.live[index] = true;
            self.count += 1;
        }
        Ok(())
    }

    pub fn remove(&mut self, slot: u32) -> bool {
        match self.live.get_mut(slot as usize) {
            Some(live) if *live => {
                *live = false;
                self.count -= 1;
                true
            }
            _ => false,
        }
    }

    /// The stored (normalised) vector of a live slot.
    pub fn get(&self, slot: u32) -> Option<&[f32]> {
        let index = slot as usize;
        (*self.live.get(index)?).then(|| &self.data[index * self.dims..(index + 1) * self.dims])
    }

    /// Top `limit` live slots by cosine similarity to `query` among those `accept` lets through.
    pub fn search(
        &self,
        query: &[f32],
        limit: usize,
        accept: impl Fn(u32) -> bool,
    ) -> Result<Vec<Scored>, VectorError> {
        if query.len() != self.dims {
            return Err(VectorError::Dimensions {
                expected: self.dims,
                got: query.len(),
            });
        }
        let mut q = query.to_vec();
        normalize(&mut q);
        let mut hits = Vec::with_capacity(self.count);
        if self.dims == 0 {
            return Ok(hits);
        }
        for (slot, row) in self.data.chunks_exact(self.dims).enumerate() {
            if self.live[slot] && accept(slot as u32) {
                hits.push(Scored {
                    doc: slot as u32,
                    score: dot(&q, row),
                });
            }
        }
        top_k(&mut hits, limit);
        Ok(hits)
    }

    /// Raw storage for snapshots: dims, flat data, liveness.
    pub(crate) fn parts(&self) -> (usize, &[f32], &[bool]) {
        (self.dims, &self.data, &self.live)
    }

    pub(crate) fn from_parts(dims: usize, data: Vec<f32>, live: Vec<bool>) -> Result<Self, String> {
        if data.len() != dims * live.len() {
            return Err("vector data length does not match dimensions × slots".into());
        }
        let count = live.iter().filter(|&&l| l).count();
        Ok(ExactIndex {
            dims,
            data,
            live,
            count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_naive_sum_for_odd_lengths() {
        for n in [0, 1, 7, 8, 15, 16, 17, 384] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - naive).abs() < 1e-4, "n={n}");
        }
    }

    #[test]
    fn finds_nearest_and_respects_removal_and_filters() {
        let mut index = ExactIndex::new(3);
        index.insert(0, &[1.0, 0.0, 0.0]).unwrap();
        index.insert(1, &[0.0, 2.0, 0.0]).unwrap();
        index.insert(5, &[0.7, 0.7, 0.0]).unwrap();
        assert_eq!(index.len(), 3);
        let hits = index.search(&[1.0, 0.1, 0.0], 2, |_| true).unwrap();
        assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), vec![0, 5]);
        assert!((hits[0].score - 0.995).abs() < 1e-2);
        assert!(index.remove(0));
        assert!(!index.remove(0));
        assert!(!index.remove(3));
        let hits = index.search(&[1.0, 0.1, 0.0], 5, |s| s != 1).unwrap();
        assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), vec![5]);
    }

    #[test]
    fn rejects_wrong_dimensions() {
        let mut index = ExactIndex::new(3);
        assert_eq!(
            index.insert(0, &[1.0]),
            Err(VectorError::Dimensions {
                expected: 3,
                got: 1
            })
        );
        assert!(index.search(&[1.0, 2.0], 1, |_| true).is_err());
    }
}
