//! An embedder under evaluation, with the content-hash vector cache that makes the slow ones
//! (MiniLM: minutes per data set) cheap to rerun. The cache is [`lab::vector_cache`]'s, the file
//! the retrieval tests fill too; it is saved after every batch of new texts, so an interrupted run
//! keeps what it paid for.

use std::path::PathBuf;

use anyhow::Result;
use engine::embed::Embedder;
use lab::vector_cache::VectorCache;

/// An embedder under evaluation, with the cache that makes slow ones cheap to rerun.
pub(super) struct Candidate<'a> {
    pub(super) label: &'static str,
    pub(super) embedder: &'a dyn Embedder,
    pub(super) cache: Option<(PathBuf, VectorCache)>,
}

impl Candidate<'_> {
    /// Embeds texts, reusing and filling the cache; progress goes to stderr for slow embedders.
    pub(super) fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let Some((path, cache)) = &mut self.cache else {
            let mut out = Vec::with_capacity(texts.len());
            for batch in texts.chunks(512) {
                out.extend(self.embedder.embed(batch)?);
            }
            return Ok(out);
        };
        let label = self.label;
        let embedded = cache.fill(self.embedder, texts, Some(path), &mut |done, total| {
            eprint!("\r{label}: embedded {done}/{total} new texts")
        })?;
        if embedded > 0 {
            eprintln!();
        }
        Ok(texts
            .iter()
            .map(|t| cache.get(t).expect("filled above").to_vec())
            .collect())
    }
}
