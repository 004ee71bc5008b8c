//! Distilling a static token table from the transformer (model2vec-style): every vocabulary token
//! is embedded through the model on its own, and the raw vectors become table rows that are
//! centred and weighted so frequent tokens count little. Tooling: the browser package only reads
//! the finished table.

#[cfg(feature = "local-model")]
use engine::embed::minilm::MiniLm;
#[cfg(feature = "local-model")]
use engine::embed::{EmbedError, Embedder};
use engine::search::vector::normalize;

#[cfg(feature = "local-model")]
fn invalid(message: impl Into<String>) -> EmbedError {
    EmbedError::InvalidModel(message.into())
}

/// Settings of [`build_rows`]: how raw per-token model vectors become table rows.
#[derive(Debug, Clone)]
pub struct DistillConfig {
    /// SIF coefficient `a` in `a / (a + p(token))`; smaller values silence frequent tokens harder.
    pub sif_coefficient: f32,
    /// Vocabulary ids below this are BERT's specials, `[unused]` slots and single characters; word
    /// pieces after it are roughly in descending frequency, which the Zipf estimate relies on.
    pub first_word_id: u32,
    /// Subtract the mean vector over the vocabulary before weighting. Transformer outputs share a
    /// large common direction; removing it is the first (and cheapest) step of model2vec's PCA.
    pub center: bool,
}

impl Default for DistillConfig {
    fn default() -> Self {
        Self {
            sif_coefficient: 1e-3,
            first_word_id: 1996,
            center: true,
        }
    }
}

/// Turns `vocab × dims` raw token vectors (each token's mean-pooled model output) into weighted
/// table rows: normalise, optionally centre, renormalise, then scale by the token's SIF weight with
/// a Zipf estimate of its probability from its rank in the vocabulary.
pub fn build_rows(raw: &[f32], dims: usize, config: &DistillConfig) -> Vec<f32> {
    let mut rows = raw.to_vec();
    for row in rows.chunks_exact_mut(dims) {
        normalize(row);
    }
    let count = rows.len() / dims;
    if config.center && count > 0 {
        let mut mean = vec![0.0f32; dims];
        for row in rows.chunks_exact(dims) {
            mean.iter_mut().zip(row).for_each(|(m, x)| *m += x);
        }
        mean.iter_mut().for_each(|m| *m /= count as f32);
        for row in rows.chunks_exact_mut(dims) {
            row.iter_mut().zip(&mean).for_each(|(x, m)| *x -= m);
            normalize(row);
        }
    }
    // Zipf: p(rank) = 1 / (rank × H), with H ≈ ln(count) + γ the harmonic normaliser.
    let harmonic = (count.max(2) as f32).ln() + 0.5772;
    for (id, row) in rows.chunks_exact_mut(dims).enumerate() {
        let rank = (id as i64 - config.first_word_id as i64 + 1).max(1) as f32;
        let p = 1.0 / (rank * harmonic);
        let weight = config.sif_coefficient / (config.sif_coefficient + p);
        row.iter_mut().for_each(|x| *x *= weight);
    }
    rows
}

/// Runs every vocabulary token through the model as `[CLS] token [SEP]` and returns the
/// `vocab × dims` mean-pooled outputs, reporting `(done, total)` after each batch.
#[cfg(feature = "local-model")]
pub fn distill_raw(
    model: &MiniLm,
    batch_size: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<f32>, EmbedError> {
    let tokenizer = model.tokenizer();
    let special = |name: &str| {
        tokenizer
            .token_to_id(name)
            .ok_or_else(|| invalid(format!("tokenizer has no {name} token")))
    };
    let (cls, sep) = (special("[CLS]")?, special("[SEP]")?);
    let vocab = tokenizer.get_vocab_size(true) as u32;
    let sequences: Vec<[u32; 3]> = (0..vocab).map(|id| [cls, id, sep]).collect();
    let mut raw = Vec::with_capacity(vocab as usize * model.dimensions());
    for batch in sequences.chunks(batch_size.max(1)) {
        let refs: Vec<&[u32]> = batch.iter().map(|s| s.as_slice()).collect();
        for vector in model.embed_ids(&refs)? {
            raw.extend(vector);
        }
        progress(raw.len() / model.dimensions(), vocab as usize);
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_rows_weights_frequent_tokens_down() {
        // Four tokens, ids 0 and 1 "specials", 2 the most frequent word, 3 a rarer one.
        let raw = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0, -1.0, 1.0];
        let config = DistillConfig {
            sif_coefficient: 0.1,
            first_word_id: 2,
            center: false,
        };
        let rows = build_rows(&raw, 2, &config);
        let norm = |i: usize| (rows[2 * i].powi(2) + rows[2 * i + 1].powi(2)).sqrt();
        assert!(
            norm(2) < norm(3),
            "rank 1 must weigh less than rank 2: {rows:?}"
        );
        // Weight is a / (a + p) with p = 1 / (rank × H), H = ln 4 + γ.
        let h = 4f32.ln() + 0.5772;
        let expected = 0.1 / (0.1 + 1.0 / (2.0 * h));
        assert!((norm(3) - expected).abs() < 1e-5);
    }

    #[test]
    fn build_rows_centering_removes_the_common_direction() {
        let raw = [1.0, 0.1, 1.0, -0.1];
        let config = DistillConfig {
            sif_coefficient: 1e9,
            first_word_id: 0,
            center: true,
        };
        let rows = build_rows(&raw, 2, &config);
        // Both rows shared the x direction; after centring only the y part tells them apart.
        assert!(rows[0].abs() < 1e-6 && rows[2].abs() < 1e-6, "{rows:?}");
        assert!(rows[1] > 0.99 && rows[3] < -0.99, "{rows:?}");
    }
}
