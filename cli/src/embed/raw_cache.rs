//! The raw per-token cache: MiniLM's output for every vocabulary token, before any weighting.
//! Computing it takes minutes, so `distill` and `fit-table` keep it on disk and rebuild rows from
//! it. The format is private to these commands: `dims` (u32 LE), then `rows × dims` f32 LE.

use std::path::Path;

use anyhow::{Context, Result, bail};
use engine::embed::Embedder;
use engine::embed::minilm::MiniLmConfig;
use lab::distill::distill_raw;

use super::load_model;

/// The raw per-token model outputs, from the cache or (once) from the model.
pub(super) fn raw_token_vectors(model_dir: &Path, cache: &Path, batch: usize) -> Result<Vec<f32>> {
    if let Some((_, raw)) = read_raw_cache(cache)? {
        return Ok(raw);
    }
    let model = load_model(model_dir, MiniLmConfig::default())?;
    let bar = indicatif::ProgressBar::new(0);
    let raw = distill_raw(&model, batch, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    write_raw_cache(cache, model.dimensions(), &raw)?;
    Ok(raw)
}

/// The cached `(dims, raw)` at `path`, `None` when there is no file, an error when the file is
/// not a cache (it is never silently overwritten).
pub(super) fn read_raw_cache(path: &Path) -> Result<Option<(usize, Vec<f32>)>> {
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(None);
    };
    if bytes.len() < 4 || !(bytes.len() - 4).is_multiple_of(4) {
        bail!(
            "{} is not a raw token-vector cache; delete it",
            path.display()
        );
    }
    let dims = u32::from_le_bytes(bytes[..4].try_into()?) as usize;
    let raw: Vec<f32> = bytes[4..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    if dims == 0 || !raw.len().is_multiple_of(dims) {
        bail!(
            "{} is not a raw token-vector cache; delete it",
            path.display()
        );
    }
    Ok(Some((dims, raw)))
}

pub(super) fn write_raw_cache(path: &Path, dims: usize, raw: &[f32]) -> Result<()> {
    let mut bytes = Vec::with_capacity(4 + raw.len() * 4);
    bytes.extend_from_slice(&(dims as u32).to_le_bytes());
    raw.iter()
        .for_each(|x| bytes.extend_from_slice(&x.to_le_bytes()));
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_cache_round_trips_and_rejects_garbage() {
        let dir = std::env::temp_dir().join(format!("pf-raw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.raw");
        assert!(read_raw_cache(&path).unwrap().is_none());
        write_raw_cache(&path, 2, &[1.0, -2.0, 0.5, 4.0]).unwrap();
        assert_eq!(
            read_raw_cache(&path).unwrap(),
            Some((2, vec![1.0, -2.0, 0.5, 4.0]))
        );
        std::fs::write(&path, [1, 2, 3]).unwrap();
        assert!(read_raw_cache(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
