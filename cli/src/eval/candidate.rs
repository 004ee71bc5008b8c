//! An embedder under evaluation, with the content-hash vector cache that makes the slow ones
//! (MiniLM: minutes per data set) cheap to rerun. The cache is saved after every call that
//! embedded something new, so an interrupted run keeps what it paid for.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use engine::embed::Embedder;
use lab::eval::VectorCache;

/// The cache at `path` when it was made by this embedder, else an empty one (a cache of another
/// model or size would hand back the wrong vectors).
pub(super) fn load_cache(path: &Path, embedder: &dyn Embedder) -> VectorCache {
    let (id, dims) = (embedder.id(), embedder.dimensions());
    match std::fs::read(path) {
        Ok(bytes) => VectorCache::from_bytes(&bytes)
            .ok()
            .filter(|c| c.embedder_id == id && c.dims == dims)
            .unwrap_or_else(|| VectorCache::new(id, dims)),
        Err(_) => VectorCache::new(id, dims),
    }
}

/// An embedder under evaluation, with the cache that makes slow ones cheap to rerun.
pub(super) struct Candidate<'a> {
    pub(super) label: &'static str,
    pub(super) embedder: &'a dyn Embedder,
    pub(super) cache: Option<(PathBuf, VectorCache)>,
}

impl Candidate<'_> {
    /// Embeds texts, reusing and filling the cache; progress goes to stderr for slow embedders.
    pub(super) fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let Some((_, cache)) = &mut self.cache else {
            let mut out = Vec::with_capacity(texts.len());
            for batch in texts.chunks(512) {
                out.extend(self.embedder.embed(batch)?);
            }
            return Ok(out);
        };
        let missing: Vec<&str> = {
            let mut seen = std::collections::HashSet::new();
            texts
                .iter()
                .copied()
                .filter(|t| cache.get(t).is_none() && seen.insert(*t))
                .collect()
        };
        for (i, batch) in missing.chunks(256).enumerate() {
            let vectors = self.embedder.embed(batch)?;
            for (text, v) in batch.iter().zip(vectors) {
                cache.insert(text, v);
            }
            eprint!(
                "\r{}: embedded {}/{} new texts",
                self.label,
                (i * 256 + batch.len()).min(missing.len()),
                missing.len()
            );
        }
        let embedded_any = !missing.is_empty();
        let out = texts
            .iter()
            .map(|t| cache.get(t).expect("embedded above").to_vec())
            .collect();
        if embedded_any {
            eprintln!();
            self.save()?;
        }
        Ok(out)
    }

    fn save(&self) -> Result<()> {
        if let Some((path, cache)) = &self.cache {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let partial = path.with_extension("partial");
            std::fs::write(&partial, cache.to_bytes())
                .with_context(|| format!("writing {}", partial.display()))?;
            std::fs::rename(&partial, path)?;
        }
        Ok(())
    }
}
