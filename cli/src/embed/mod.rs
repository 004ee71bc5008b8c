//! The local embedders' tooling: `pilotfish distill` builds the static token table from the
//! MiniLM transformer, `pilotfish fit-table` fits that table to the transformer on a training
//! corpus, and `pilotfish embed-eval` measures both embedders for quality (MRR@10 on CoSQA with an
//! exact cosine scan) and speed (chunks per second). IO lives here; the engine and the lab only
//! compute.
//!
//! This module holds what the commands share: reading files with their path in the error,
//! loading the transformer with a chosen truncation, and writing a table.

pub mod distill;
pub mod embed_eval;
pub mod fit_table;
mod raw_cache;
mod teacher;
mod training_texts;

use std::path::Path;

use anyhow::{Context, Result};
use engine::embed::Embedder;
use engine::embed::minilm::{MiniLm, MiniLmConfig};
use engine::embed::static_table::StaticTable;

/// Loads the transformer from `model.safetensors`, `config.json` and `tokenizer.json` in `dir`,
/// with `config` (the commands here choose the truncation, unlike [`crate::model::load_minilm`]).
fn load_model(dir: &Path, config: MiniLmConfig) -> Result<MiniLm> {
    let model = MiniLm::from_bytes(
        &read(&dir.join("model.safetensors"))?,
        &read(&dir.join("config.json"))?,
        &read(&dir.join("tokenizer.json"))?,
        config,
    )?;
    Ok(model)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Writes a static table of `rows` (`dims` wide) for the MiniLM tokenizer in `tokenizer_json` to
/// `out`, and says on stderr what was written.
fn write_table(tokenizer_json: &[u8], out: &Path, dims: usize, rows: &[f32]) -> Result<()> {
    let table = StaticTable::from_rows("all-MiniLM-L6-v2", tokenizer_json, dims, rows)?;
    let bytes = table.to_bytes();
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "wrote {} ({} rows × {dims}, {:.1} MB, id {})",
        out.display(),
        table.rows(),
        bytes.len() as f64 / 1e6,
        table.id()
    );
    Ok(())
}
