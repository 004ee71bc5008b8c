//! The project's settings in a snapshot: chunker, BM25 and fusion configuration.

use super::SnapshotError;
use super::codec::{Reader, Writer};
use crate::project::ProjectConfig;
use crate::search::bm25::{Bm25Config, FieldBoosts};
use crate::search::fuse::{FusionConfig, FusionMethod};
use crate::search::tokenize::TokenizerConfig;
use syntax::ChunkConfig;

pub(super) fn write_config(w: &mut Writer, c: &ProjectConfig) {
    w.u64(c.chunk.max_chunk_bytes as u64);
    w.u64(c.chunk.max_parse_bytes as u64);
    w.u64(c.chunk.fallback_window_lines as u64);
    let b = &c.bm25;
    for x in [
        b.k1,
        b.b,
        b.boosts.name,
        b.boosts.qualified_name,
        b.boosts.path,
        b.boosts.body,
    ] {
        w.f32(x);
    }
    w.u8(u8::from(b.tokenizer.stem));
    w.u8(u8::from(b.tokenizer.keep_whole));
    match c.fusion {
        None => w.u8(0),
        Some(f) => {
            // Tag 1 (RRF) is the original layout, so older snapshots keep reading.
            match f.method {
                FusionMethod::Rrf { k } => {
                    w.u8(1);
                    w.f32(f.keyword_weight);
                    w.f32(f.vector_weight);
                    w.f32(k);
                }
                FusionMethod::Convex {
                    depth,
                    vector_confident_at,
                } => {
                    w.u8(2);
                    w.f32(f.keyword_weight);
                    w.f32(f.vector_weight);
                    w.u32(depth);
                    w.f32(vector_confident_at.unwrap_or(f32::NAN));
                }
            }
        }
    }
}

pub(super) fn read_config(r: &mut Reader<'_>) -> Result<ProjectConfig, SnapshotError> {
    let chunk = ChunkConfig {
        max_chunk_bytes: r.size("maxChunkBytes")?,
        max_parse_bytes: r.size("maxParseBytes")?,
        fallback_window_lines: r.size("fallbackWindowLines")?,
    };
    // Zero sizes are what hosts may not set either (`options.rs` refuses them).
    if chunk.max_chunk_bytes == 0 || chunk.max_parse_bytes == 0 || chunk.fallback_window_lines == 0
    {
        return Err(SnapshotError::Invalid("a chunk size setting is 0".into()));
    }
    let mut f = [0.0f32; 6];
    for x in &mut f {
        *x = r.finite_f32("BM25 setting")?;
    }
    let tokenizer = TokenizerConfig {
        stem: r.u8("config")? != 0,
        keep_whole: r.u8("config")? != 0,
    };
    let bm25 = Bm25Config {
        k1: f[0],
        b: f[1],
        boosts: FieldBoosts {
            name: f[2],
            qualified_name: f[3],
            path: f[4],
            body: f[5],
        },
        tokenizer,
    };
    let fusion = match r.u8("config")? {
        0 => None,
        1 => Some(FusionConfig::rrf(
            r.f32("config")?,
            r.f32("config")?,
            r.f32("config")?,
        )),
        2 => {
            let keyword_weight = r.f32("config")?;
            let vector_weight = r.f32("config")?;
            let depth = r.u32("config")?;
            let level = r.f32("config")?;
            Some(FusionConfig::convex(
                keyword_weight,
                vector_weight,
                depth,
                (!level.is_nan()).then_some(level),
            ))
        }
        tag => {
            return Err(SnapshotError::Invalid(format!(
                "unknown fusion method {tag}"
            )));
        }
    };
    if let Some(fusion) = &fusion {
        fusion.validate().map_err(SnapshotError::Invalid)?;
    }
    Ok(ProjectConfig {
        chunk,
        bm25,
        fusion,
    })
}
