//! CoSQA dev in `eval`: the set itself comes from [`lab::cosqa`] (the one loader); this module
//! turns it into an eval [`Dataset`] and handles `cosqa-minilm-vectors.bin`, CoSQA's MiniLM corpus
//! vectors in id order. That file is read to seed the content-hash cache (it predates the cache,
//! and its vectors took minutes) and written for `pilotfish bench-vector` and the Chromium
//! vector bench, which read it as their data.

use std::path::Path;

use anyhow::{Context, Result};
use lab::cosqa::{Cosqa, function_name};
use lab::split::{Half, half_of};
use lab::vector_cache::VectorCache;

use super::dataset::{Dataset, Doc, Query};

/// CoSQA's corpus vectors in id order: the embedder id on a line, then little-endian f32 rows.
const VECTORS_FILE: &str = "cosqa-minilm-vectors.bin";

/// CoSQA dev as an eval data set; documents are the bare functions, named by their `def`.
pub(super) fn dataset(data: &Cosqa) -> Dataset {
    Dataset {
        name: "CoSQA dev".into(),
        docs: data
            .code
            .iter()
            .map(|code| Doc {
                name: function_name(code).into(),
                qualified_name: function_name(code).into(),
                path: String::new(),
                body: code.clone(),
                embed_text: code.clone(),
            })
            .collect(),
        // Split like the docstring sets: `--tune` fits presets on one half, the table reports
        // the other (the half lab/tests/retrieval_cosqa.rs asserts on).
        queries: data
            .queries
            .iter()
            .map(|(text, target)| {
                let tune = half_of(text) == Half::Tune;
                Query {
                    text: text.clone(),
                    target: *target,
                    tune,
                    report: !tune,
                }
            })
            .collect(),
    }
}

/// Reuses the corpus vectors of the previous CoSQA-only cache (`cosqa-minilm-vectors.bin`: a line
/// with the embedder id, then the functions' vectors in id order) so its minutes are not spent
/// again.
pub(super) fn seed_from_legacy_cache(cache: &mut VectorCache, dir: &Path, cosqa: &Cosqa) {
    let Ok(bytes) = std::fs::read(dir.join(VECTORS_FILE)) else {
        return;
    };
    let header = format!("{}\n", cache.embedder_id);
    let Some(body) = bytes.strip_prefix(header.as_bytes()) else {
        return;
    };
    let dims = cache.dims;
    if body.len() != cosqa.code.len() * dims * 4 {
        return;
    }
    for (code, raw) in cosqa.code.iter().zip(body.chunks_exact(dims * 4)) {
        if cache.get(code).is_none() {
            let v = raw
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            cache.insert(code, v);
        }
    }
}

/// Writes CoSQA's corpus vectors in id order (`cosqa-minilm-vectors.bin`: the embedder id on a
/// line, then little-endian f32 rows), the input of `pilotfish bench-vector` and the Chromium
/// vector bench, when it is missing and the cache holds every function. Beside it, the dev
/// queries' vectors in file order (`cosqa-minilm-queries.bin`, same format): real queries that no
/// vector-index setting was tuned on (the binary shortlist was tuned on held-out functions), for
/// the Chromium bench's recall.
pub(super) fn export_vectors(cache: &VectorCache, dir: &Path, cosqa: &Cosqa) -> Result<()> {
    let queries: Vec<&str> = cosqa
        .queries
        .iter()
        .map(|(text, _)| text.as_str())
        .collect();
    export_rows(cache, &dir.join(QUERIES_FILE), &queries)?;
    let code: Vec<&str> = cosqa.code.iter().map(String::as_str).collect();
    export_rows(cache, &dir.join(VECTORS_FILE), &code)
}

/// The dev queries' vectors in file order, written beside [`VECTORS_FILE`].
const QUERIES_FILE: &str = "cosqa-minilm-queries.bin";

/// Writes the cached vectors of `texts` in order, when the file is missing and the cache holds
/// them all.
fn export_rows(cache: &VectorCache, path: &Path, texts: &[&str]) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    let mut bytes = format!("{}\n", cache.embedder_id).into_bytes();
    for text in texts {
        let Some(v) = cache.get(text) else {
            return Ok(());
        };
        bytes.extend(v.iter().flat_map(|x| x.to_le_bytes()));
    }
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, path)?;
    Ok(())
}
