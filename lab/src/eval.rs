//! Retrieval quality metrics: MRR@k and recall@k over ranked result lists, one relevant item per
//! query (the CoSQA and docstring-query setting), and the content-addressed vector cache that lets
//! evaluations reuse slow transformer embeddings across runs and in tests.

use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::xxh3_128;

/// Quality of one retriever over a query set.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Quality {
    pub queries: usize,
    pub mrr_at_10: f64,
    pub recall_at_1: f64,
    pub recall_at_10: f64,
}

/// Scores ranked lists against the relevant item of each query. `ranked[i]` is the list for
/// query `i` (best first); duplicates after the first occurrence are ignored.
pub fn quality<T: PartialEq>(ranked: &[Vec<T>], relevant: &[T]) -> Quality {
    let queries = ranked.len().min(relevant.len());
    if queries == 0 {
        return Quality::default();
    }
    let (mut mrr, mut r1, mut r10) = (0.0, 0.0, 0.0);
    for (list, target) in ranked.iter().zip(relevant) {
        let mut seen: Vec<&T> = Vec::new();
        for item in list {
            if seen.contains(&item) {
                continue;
            }
            seen.push(item);
            if item == target {
                let rank = seen.len();
                if rank <= 10 {
                    mrr += 1.0 / rank as f64;
                    r10 += 1.0;
                }
                if rank == 1 {
                    r1 += 1.0;
                }
                break;
            }
            if seen.len() >= 10 {
                break;
            }
        }
    }
    let n = queries as f64;
    Quality {
        queries,
        mrr_at_10: mrr / n,
        recall_at_1: r1 / n,
        recall_at_10: r10 / n,
    }
}

/// Embeddings by xxh3-128 of the embedded text, for one embedder. Bytes (little-endian), written
/// by hand because it is a header and fixed-size records that are appended to between runs:
///
/// ```text
/// magic "PFVCACHE" | u32 id length | id UTF-8 | u32 dims | records: u128 hash, dims x f32
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VectorCache {
    pub embedder_id: String,
    pub dims: usize,
    vectors: FxHashMap<u128, Vec<f32>>,
}

const CACHE_MAGIC: &[u8; 8] = b"PFVCACHE";

/// A cache file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("vector cache is invalid: {0}")]
pub struct CacheError(&'static str);

impl VectorCache {
    pub fn new(embedder_id: &str, dims: usize) -> Self {
        VectorCache {
            embedder_id: embedder_id.to_string(),
            dims,
            vectors: FxHashMap::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    pub fn get(&self, text: &str) -> Option<&[f32]> {
        self.vectors
            .get(&xxh3_128(text.as_bytes()))
            .map(Vec::as_slice)
    }

    /// Stores a vector; vectors of the wrong length are refused (returns false).
    pub fn insert(&mut self, text: &str, vector: Vec<f32>) -> bool {
        if vector.len() != self.dims {
            return false;
        }
        self.vectors.insert(xxh3_128(text.as_bytes()), vector);
        true
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CacheError> {
        let rest = bytes
            .strip_prefix(CACHE_MAGIC.as_slice())
            .ok_or(CacheError("not a vector cache (bad magic)"))?;
        let (id_len, rest) = take_u32(rest)?;
        let id = rest
            .get(..id_len as usize)
            .ok_or(CacheError("truncated id"))?;
        let id = std::str::from_utf8(id).map_err(|_| CacheError("id is not UTF-8"))?;
        let (dims, mut rest) = take_u32(&rest[id_len as usize..])?;
        let dims = dims as usize;
        if dims == 0 {
            return Err(CacheError("zero dimensions"));
        }
        let record = 16 + dims * 4;
        if rest.len() % record != 0 {
            return Err(CacheError("truncated record"));
        }
        let mut cache = VectorCache::new(id, dims);
        while !rest.is_empty() {
            let (head, tail) = rest.split_at(record);
            let hash = u128::from_le_bytes(head[..16].try_into().expect("16 bytes"));
            let vector = head[16..]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            cache.vectors.insert(hash, vector);
            rest = tail;
        }
        Ok(cache)
    }

    /// Serializes the cache, records sorted by hash so equal caches give equal bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = CACHE_MAGIC.to_vec();
        out.extend((self.embedder_id.len() as u32).to_le_bytes());
        out.extend(self.embedder_id.as_bytes());
        out.extend((self.dims as u32).to_le_bytes());
        let mut keys: Vec<&u128> = self.vectors.keys().collect();
        keys.sort_unstable();
        for key in keys {
            out.extend(key.to_le_bytes());
            for x in &self.vectors[key] {
                out.extend(x.to_le_bytes());
            }
        }
        out
    }
}

fn take_u32(bytes: &[u8]) -> Result<(u32, &[u8]), CacheError> {
    let head = bytes.get(..4).ok_or(CacheError("truncated header"))?;
    Ok((
        u32::from_le_bytes(head.try_into().expect("4 bytes")),
        &bytes[4..],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_mrr_and_recall() {
        let ranked = vec![vec![1, 2, 3], vec![5, 5, 4], vec![9; 3], (10..30).collect()];
        let relevant = [1, 4, 7, 25];
        let q = quality(&ranked, &relevant);
        assert_eq!(q.queries, 4);
        // Ranks 1, 2 (the duplicate 5 does not count), missing, beyond 10.
        assert!((q.mrr_at_10 - 1.5 / 4.0).abs() < 1e-12);
        assert!((q.recall_at_1 - 0.25).abs() < 1e-12);
        assert!((q.recall_at_10 - 0.5).abs() < 1e-12);
        assert_eq!(quality::<u32>(&[], &[]), Quality::default());
    }

    #[test]
    fn vector_cache_round_trips_and_rejects_garbage() {
        let mut cache = VectorCache::new("minilm:test", 2);
        assert!(cache.insert("def a(): pass", vec![0.5, -1.0]));
        assert!(!cache.insert("wrong length", vec![1.0]));
        assert!(cache.insert("def b(): pass", vec![1.0, 0.0]));
        let bytes = cache.to_bytes();
        let back = VectorCache::from_bytes(&bytes).expect("round trip");
        assert_eq!(back, cache);
        assert_eq!(back.get("def a(): pass"), Some([0.5f32, -1.0].as_slice()));
        assert_eq!(back.get("missing"), None);
        assert!(VectorCache::from_bytes(b"PFVCACHX").is_err());
        assert!(VectorCache::from_bytes(&bytes[..bytes.len() - 3]).is_err());
        assert!(VectorCache::from_bytes(&bytes[..10]).is_err());
    }
}
