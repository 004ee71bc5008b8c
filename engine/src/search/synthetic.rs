//! Deterministic synthetic embeddings for tests and benchmarks: clustered unit-free vectors
//! (topics plus noise, the shape code embeddings have), from a SplitMix64 stream so every run and
//! every target — native or wasm32 in Chromium — sees the same numbers. One generator, so a recall
//! test in the engine and its browser twin measure the same kind of data.

/// SplitMix64: a tiny, well-mixed 64-bit stream (Steele, Lea and Flood's finaliser), enough for
/// test data; not for anything that must be unpredictable.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [-0.5, 0.5), from the top 24 bits (an f32's whole mantissa).
    pub fn next_centered(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }
}

/// The shape of a clustered set: how many topic centres, and how far members scatter.
#[derive(Debug, Clone, Copy)]
pub struct Clusters {
    pub topics: usize,
    /// Scale of each member's uniform noise around its centre (centres are uniform in ±0.5).
    pub noise: f32,
}

/// `n` vectors of `dims` components; vector `i` belongs to topic `i % topics`.
pub fn clustered_vectors(n: usize, dims: usize, clusters: Clusters, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = SplitMix64::new(seed);
    let centres: Vec<Vec<f32>> = (0..clusters.topics.max(1))
        .map(|_| (0..dims).map(|_| rng.next_centered()).collect())
        .collect();
    (0..n)
        .map(|i| {
            centres[i % centres.len()]
                .iter()
                .map(|c| c + clusters.noise * rng.next_centered())
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_vectors_and_another_seed_does_not() {
        let shape = Clusters {
            topics: 4,
            noise: 0.5,
        };
        let a = clustered_vectors(10, 8, shape, 7);
        assert_eq!(a, clustered_vectors(10, 8, shape, 7));
        assert_ne!(a, clustered_vectors(10, 8, shape, 8));
        assert!(a.iter().flatten().all(|x| x.abs() <= 0.75));
    }

    #[test]
    fn members_of_a_topic_are_closer_to_each_other_than_to_other_topics() {
        let shape = Clusters {
            topics: 2,
            noise: 0.2,
        };
        let v = clustered_vectors(4, 64, shape, 3);
        let dist =
            |a: &[f32], b: &[f32]| -> f32 { a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum() };
        assert!(dist(&v[0], &v[2]) < dist(&v[0], &v[1]));
        assert!(dist(&v[1], &v[3]) < dist(&v[1], &v[2]));
    }
}
