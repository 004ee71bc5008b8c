//! The content-addressed vector cache: embeddings by a hash of the embedded text, for one
//! embedder, in a file under `.cache/embed/`. Transformer embeddings are slow (MiniLM: about 20
//! texts a second on two cores), so `pilotfish eval` and the retrieval tests share one cache file
//! and embed only the texts it lacks; whatever embedded them first, the vectors are the same.

use std::path::{Path, PathBuf};

use engine::embed::{EmbedError, Embedder};
use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::xxh3_128;

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

/// Texts per embedder call when filling a cache; the cache is saved after each, so an interrupted
/// run keeps what it paid for.
const FILL_BATCH: usize = 256;

/// Filling a cache failed.
#[derive(Debug, thiserror::Error)]
pub enum FillError {
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error("saving the vector cache {path}: {source}")]
    Save {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl VectorCache {
    /// The cache in the file at `path` when it holds vectors of this embedder (same id and size),
    /// else an empty one: a missing or unreadable file, or another model's vectors, are no reason
    /// to stop, only to embed again.
    pub fn load_for(path: &Path, embedder: &dyn Embedder) -> Self {
        let (id, dims) = (embedder.id(), embedder.dimensions());
        std::fs::read(path)
            .ok()
            .and_then(|bytes| VectorCache::from_bytes(&bytes).ok())
            .filter(|c| c.embedder_id == id && c.dims == dims)
            .unwrap_or_else(|| VectorCache::new(id, dims))
    }

    /// Writes the cache to `path` through a temporary file of this process renamed into place, so
    /// a reader (or a test and an eval running at once) never sees half a file.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let partial = path.with_extension(format!("partial-{}", std::process::id()));
        std::fs::write(&partial, self.to_bytes())?;
        std::fs::rename(&partial, path)
    }

    /// The texts the cache has no vector for, each once, in their first order.
    pub fn missing<'a>(&self, texts: &[&'a str]) -> Vec<&'a str> {
        let mut seen = rustc_hash::FxHashSet::default();
        texts
            .iter()
            .copied()
            .filter(|t| self.get(t).is_none() && seen.insert(*t))
            .collect()
    }

    /// Embeds the texts the cache lacks and stores their vectors; with `save_to`, saves the cache
    /// there after every batch. `progress(done, total)` follows the new texts. Texts are embedded
    /// shortest first, so each batch pads little. Returns how many texts were embedded.
    pub fn fill(
        &mut self,
        embedder: &dyn Embedder,
        texts: &[&str],
        save_to: Option<&Path>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize, FillError> {
        let mut missing = self.missing(texts);
        missing.sort_by_key(|t| t.len());
        let mut done = 0;
        for batch in missing.chunks(FILL_BATCH) {
            for (text, vector) in batch.iter().zip(embedder.embed(batch)?) {
                self.insert(text, vector);
            }
            done += batch.len();
            if let Some(path) = save_to {
                self.save(path).map_err(|source| FillError::Save {
                    path: path.to_path_buf(),
                    source,
                })?;
            }
            progress(done, missing.len());
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use engine::embed::hashed::HashedEmbedder;

    use super::*;

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

    #[test]
    fn fill_embeds_only_what_is_missing_and_saves_it() {
        let embedder = HashedEmbedder::default();
        let path = std::env::temp_dir().join(format!(
            "pilotfish-vector-cache-{}/cache.pfv",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        let mut cache = VectorCache::load_for(&path, &embedder);
        assert!(cache.is_empty(), "no file yet");
        let texts = ["def a(): pass", "def b(): pass", "def a(): pass"];
        let mut seen = Vec::new();
        let added = cache
            .fill(&embedder, &texts, Some(&path), &mut |done, total| {
                seen.push((done, total))
            })
            .unwrap();
        assert_eq!((added, cache.len(), seen), (2, 2, vec![(2, 2)]));
        assert_eq!(
            cache.get("def b(): pass").unwrap(),
            embedder.embed(&["def b(): pass"]).unwrap()[0].as_slice()
        );

        let mut again = VectorCache::load_for(&path, &embedder);
        assert_eq!(again, cache, "saved and read back");
        let added = again
            .fill(
                &embedder,
                &["def b(): pass", "def c(): pass"],
                None,
                &mut |_, _| {},
            )
            .unwrap();
        assert_eq!((added, again.len()), (1, 3));

        // Another embedder's cache is not reused.
        let other = VectorCache::new("minilm:other", embedder.dimensions());
        other.save(&path).unwrap();
        assert!(VectorCache::load_for(&path, &embedder).is_empty());
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
