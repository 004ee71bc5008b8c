//! A deterministic embedder that needs no model: feature hashing of code tokens and character
//! trigrams into a fixed number of signed buckets, with sublinear term frequency, L2-normalised.
//!
//! It is the fallback when no learned model is available. Whole tokens carry the exact
//! vocabulary; trigrams of each token (with boundary markers) let "config" meet "configure" or a
//! misspelling. The hash is xxh3 with a fixed seed, so vectors are identical on every platform
//! and across runs, which the embedding cache and snapshots rely on.

use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::{EmbedError, Embedder};
use crate::search::tokenize::{TokenizerConfig, for_each_token};
use crate::search::vector::normalize;

/// Settings of the hashed embedder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HashedConfig {
    pub dimensions: usize,
    /// Weight of each character trigram relative to a whole token (1.0).
    pub trigram_weight: f32,
    pub seed: u64,
}

impl Default for HashedConfig {
    fn default() -> Self {
        HashedConfig {
            dimensions: 384,
            trigram_weight: 0.3,
            seed: 0x5eed_f154,
        }
    }
}

/// The hashed embedder.
#[derive(Debug, Clone)]
pub struct HashedEmbedder {
    config: HashedConfig,
    id: String,
}

impl Default for HashedEmbedder {
    fn default() -> Self {
        HashedEmbedder::new(HashedConfig::default())
    }
}

impl HashedEmbedder {
    pub fn new(config: HashedConfig) -> Self {
        let id = format!(
            "hashed-v1-d{}-t{}-s{:x}",
            config.dimensions, config.trigram_weight, config.seed
        );
        HashedEmbedder { config, id }
    }

    /// Embeds one text.
    pub fn embed_one(&self, text: &str) -> Vec<f32> {
        let dims = self.config.dimensions.max(1);
        let mut counts: FxHashMap<u64, f32> = FxHashMap::default();
        let tokenizer = TokenizerConfig::default();
        let mut padded = String::new();
        for_each_token(text, &tokenizer, |token| {
            *counts.entry(self.hash(token.as_bytes(), 0)).or_default() += 1.0;
            if self.config.trigram_weight > 0.0 {
                padded.clear();
                padded.push('^');
                padded.push_str(token);
                padded.push('$');
                let chars: Vec<usize> = padded.char_indices().map(|(i, _)| i).collect();
                for w in 0..chars.len().saturating_sub(2) {
                    let end = chars.get(w + 3).copied().unwrap_or(padded.len());
                    let gram = &padded.as_bytes()[chars[w]..end];
                    *counts.entry(self.hash(gram, 1)).or_default() += self.config.trigram_weight;
                }
            }
        });
        let mut v = vec![0.0f32; dims];
        for (h, count) in counts {
            let bucket = (h % dims as u64) as usize;
            let sign = if (h >> 63) == 1 { -1.0 } else { 1.0 };
            // Sublinear frequency: a token repeated ten times is not ten times as telling.
            v[bucket] += sign * (1.0 + count).ln();
        }
        normalize(&mut v);
        v
    }

    fn hash(&self, bytes: &[u8], kind: u64) -> u64 {
        xxh3_64_with_seed(
            bytes,
            self.config.seed ^ kind.wrapping_mul(0x9e37_79b9_7f4a_7c15),
        )
    }
}

impl Embedder for HashedEmbedder {
    fn id(&self) -> &str {
        &self.id
    }

    fn dimensions(&self) -> usize {
        self.config.dimensions.max(1)
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts.iter().map(|t| self.embed_one(t)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::vector::dot;

    #[test]
    fn is_deterministic_normalised_and_similarity_preserving() {
        let e = HashedEmbedder::default();
        let a = e.embed_one("def read_config(path): return toml.load(path)");
        let b = e.embed_one("load the config file");
        let c = e.embed_one("render a triangle with opengl shaders");
        assert_eq!(
            a,
            e.embed_one("def read_config(path): return toml.load(path)")
        );
        assert_eq!(a.len(), 384);
        assert!((dot(&a, &a) - 1.0).abs() < 1e-5);
        assert!(
            dot(&a, &b) > dot(&a, &c) + 0.1,
            "{} vs {}",
            dot(&a, &b),
            dot(&a, &c)
        );
        let empty = e.embed_one("");
        assert!(empty.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn id_names_the_settings() {
        let e = HashedEmbedder::new(HashedConfig {
            dimensions: 64,
            ..HashedConfig::default()
        });
        assert_eq!(e.dimensions(), 64);
        assert!(e.id().starts_with("hashed-v1-d64-"));
        assert_ne!(e.id(), HashedEmbedder::default().id());
        assert_eq!(e.embed(&["a b", "c"]).unwrap().len(), 2);
    }
}
