//! The teacher side of `fit-table`: the transformer's unit vectors for the training texts, kept
//! in a cache file appended batch by batch. Running the transformer over tens of thousands of
//! texts is the slow part of a fit, so an interrupted run continues where it stopped, and
//! `--cached-only` can fit on whatever the cache already holds.

use std::path::Path;

use anyhow::{Result, bail};
use engine::embed::Embedder;
use engine::embed::minilm::MiniLm;
use engine::search::vector::normalize;

/// The teacher's unit vectors for `sequences` (token ids with specials), `len × dims`, read from
/// `cache` and computed for whatever it lacks. The cache is a list of records (`u32` index, then
/// `dims` f32), appended batch by batch, so an interrupted run loses at most one batch.
/// With `compute` false nothing is embedded: the returned flags say which vectors are present.
pub(super) fn teacher_vectors(
    model: &MiniLm,
    sequences: &[Vec<u32>],
    cache: &Path,
    compute: bool,
) -> Result<(Vec<f32>, Vec<bool>)> {
    use std::io::Write;
    let dims = model.dimensions();
    let record = 4 + dims * 4;
    let mut vectors = vec![0.0f32; sequences.len() * dims];
    let mut done = vec![false; sequences.len()];
    if let Ok(bytes) = std::fs::read(cache) {
        for rec in bytes.chunks_exact(record) {
            let index = u32::from_le_bytes(rec[..4].try_into()?) as usize;
            if index >= sequences.len() {
                bail!(
                    "{} does not belong to these texts; delete it",
                    cache.display()
                );
            }
            for (slot, b) in vectors[index * dims..][..dims]
                .iter_mut()
                .zip(rec[4..].chunks_exact(4))
            {
                *slot = f32::from_le_bytes(b.try_into()?);
            }
            done[index] = true;
        }
    }
    let mut missing: Vec<usize> = (0..sequences.len()).filter(|&i| !done[i]).collect();
    if missing.is_empty() || !compute {
        return Ok((vectors, done));
    }
    // Similar lengths share a batch, so little compute goes to pads.
    missing.sort_by_key(|&i| (sequences[i].len(), i));
    // Rewrite the file with whole records only, dropping a torn last record.
    let kept: Vec<u8> = std::fs::read(cache)
        .map(|b| b[..b.len() - b.len() % record].to_vec())
        .unwrap_or_default();
    let mut file = std::fs::File::create(cache)?;
    file.write_all(&kept)?;
    let bar = indicatif::ProgressBar::new(missing.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("teacher {pos}/{len} {per_sec} eta {eta}")?,
    );
    for batch in missing.chunks(32) {
        let refs: Vec<&[u32]> = batch.iter().map(|&i| sequences[i].as_slice()).collect();
        let mut bytes = Vec::with_capacity(batch.len() * record);
        for (&i, mut vector) in batch.iter().zip(model.embed_ids(&refs)?) {
            normalize(&mut vector);
            bytes.extend_from_slice(&(i as u32).to_le_bytes());
            vector
                .iter()
                .for_each(|x| bytes.extend_from_slice(&x.to_le_bytes()));
            vectors[i * dims..][..dims].copy_from_slice(&vector);
        }
        file.write_all(&bytes)?;
        bar.inc(batch.len() as u64);
    }
    file.flush()?;
    bar.finish_and_clear();
    Ok((vectors, vec![true; sequences.len()]))
}
