//! The llama forward pass over quantized weights (written here with candle's ops rather than
//! candle-transformers' `quantized_llama`, for memory and prefill speed):
//!
//! - the token-embedding table stays quantized and only the looked-up rows are dequantized
//!   (`quantized_llama` keeps an f32 copy: 113 MB for SmolLM2's 49,152 × 576 table);
//! - a prompt piece of [`F32_FROM`] tokens or more is multiplied by each weight matrix
//!   dequantized to f32 for that one matmul (candle's blocked f32 gemm, about six times the
//!   quantized kernel's speed for 576-wide rows, where no repacked integer kernel applies;
//!   dequantizing is well under a millisecond per matrix and the f32 copy is dropped at once);
//! - one token at a time (decode) uses the quantized kernels, with q/k/v and gate/up each fused
//!   into one matrix, and the key-value cache grows in place instead of being concatenated anew
//!   at every token.

use std::sync::Arc;

use candle_core::quantized::{QMatMul, QTensor};
use candle_core::{Device, Module, Result, Tensor};

/// Longest context the rotary tables cover (as candle's `quantized_llama::MAX_SEQ_LEN`).
pub const MAX_CONTEXT: usize = 4096;

/// Pieces of at least this many tokens use dequantized f32 weights: below it, dequantizing every
/// matrix costs more than the quantized kernel saves.
pub const F32_FROM: usize = 16;

/// Queries attended at once in a prompt piece: bounds the scores to heads × 256 × context floats.
const QUERY_BLOCK: usize = 256;

/// The shape of the network, from the GGUF metadata.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub layers: usize,
    pub hidden: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub rms_eps: f32,
    pub rope_base: f32,
    pub context: usize,
}

impl Config {
    fn head_dim(&self) -> usize {
        self.hidden / self.heads
    }
}

/// One quantized weight matrix (rows are outputs).
#[derive(Debug, Clone)]
struct Linear(QMatMul);

impl Linear {
    fn new(weight: QTensor) -> Result<Self> {
        Ok(Self(QMatMul::from_qtensor(weight)?))
    }

    /// `x` (tokens × in) times the transposed weight.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let tokens = x.dim(0)?;
        match &self.0 {
            QMatMul::QTensor(w) if tokens >= F32_FROM => {
                x.matmul(&w.dequantize(&Device::Cpu)?.t()?)
            }
            other => other.forward(x),
        }
    }
}

#[derive(Debug, Clone)]
struct Layer {
    attn_norm: Tensor,
    /// q, k and v stacked.
    qkv: Linear,
    out: Linear,
    ffn_norm: Tensor,
    /// gate and up stacked.
    gate_up: Linear,
    down: Linear,
}

/// The model with the key-value cache of one sequence. A clone shares the weights (reference
/// counts) and starts with an empty cache, as candle-transformers' `ModelWeights` did, so a
/// generation clones the loaded model and feeds it.
#[derive(Debug)]
pub struct Llama {
    weights: Arc<Weights>,
    cache: KvCache,
}

impl Clone for Llama {
    fn clone(&self) -> Self {
        Self {
            weights: self.weights.clone(),
            cache: KvCache::default(),
        }
    }
}

#[derive(Debug)]
struct Weights {
    config: Config,
    embedding: Arc<QTensor>,
    layers: Vec<Layer>,
    norm: Tensor,
    output: Linear,
    cos: Tensor,
    sin: Tensor,
}

/// Everything the forward pass needs, read from the GGUF.
pub struct Parts {
    pub embedding: QTensor,
    /// `None` when the output projection is tied to the embedding table.
    pub output: Option<QTensor>,
    pub norm: Tensor,
    pub layers: Vec<LayerParts>,
}

pub struct LayerParts {
    pub attn_norm: Tensor,
    pub qkv: QTensor,
    pub out: QTensor,
    pub ffn_norm: Tensor,
    pub gate_up: QTensor,
    pub down: QTensor,
}

impl Llama {
    pub fn new(config: Config, parts: Parts) -> Result<Self> {
        Ok(Self {
            weights: Arc::new(Weights::new(config, parts)?),
            cache: KvCache::default(),
        })
    }

    pub fn config(&self) -> &Config {
        &self.weights.config
    }

    /// Tokens in the key-value cache.
    pub fn position(&self) -> usize {
        self.cache.len
    }

    /// `x` (`1 × tokens`, u32 ids) continues the sequence at `index_pos`, which must be the
    /// cache's length (0 starts over); returns the logits after the last token, `1 × vocabulary`.
    /// The contract of candle-transformers' `ModelWeights::forward`.
    pub fn forward(&mut self, x: &Tensor, index_pos: usize) -> Result<Tensor> {
        if index_pos == 0 {
            self.cache = KvCache::default();
        } else if index_pos != self.cache.len {
            candle_core::bail!(
                "tokens at position {index_pos} do not follow the {} cached",
                self.cache.len
            );
        }
        self.forward_tokens(&x.squeeze(0)?.to_vec1::<u32>()?)
    }

    /// The next `tokens` of the sequence; the logits after the last, `1 × vocabulary`.
    pub fn forward_tokens(&mut self, tokens: &[u32]) -> Result<Tensor> {
        if tokens.is_empty() {
            candle_core::bail!("no tokens to run");
        }
        self.weights.forward(tokens, &mut self.cache)
    }
}

impl Weights {
    fn new(config: Config, parts: Parts) -> Result<Self> {
        let embedding = Arc::new(parts.embedding);
        let output = match parts.output {
            Some(w) => Linear::new(w)?,
            None => Linear(QMatMul::from_arc(embedding.clone())?),
        };
        let layers = parts
            .layers
            .into_iter()
            .map(|l| {
                Ok(Layer {
                    attn_norm: l.attn_norm,
                    qkv: Linear::new(l.qkv)?,
                    out: Linear::new(l.out)?,
                    ffn_norm: l.ffn_norm,
                    gate_up: Linear::new(l.gate_up)?,
                    down: Linear::new(l.down)?,
                })
            })
            .collect::<Result<_>>()?;
        let (cos, sin) = rotary_tables(&config)?;
        Ok(Self {
            config,
            embedding,
            layers,
            norm: parts.norm,
            output,
            cos,
            sin,
        })
    }

    /// Runs `tokens` (the next ones after what `cache` holds) and returns the logits after the
    /// last of them, shaped `1 × vocabulary`.
    fn forward(&self, tokens: &[u32], cache: &mut KvCache) -> Result<Tensor> {
        let c = &self.config;
        let start = cache.len;
        let n = tokens.len();
        if start + n > c.context {
            candle_core::bail!("{} tokens exceed the context of {}", start + n, c.context);
        }
        cache.reserve(c, start + n)?;
        let ids = Tensor::new(tokens, &Device::Cpu)?;
        let mut x = self.embedding.embedding(&ids)?;
        let cos = self.cos.narrow(0, start, n)?;
        let sin = self.sin.narrow(0, start, n)?;
        for (layer, kv) in self.layers.iter().zip(&mut cache.layers) {
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, c.rms_eps)?;
            let h = self.attention(layer, &h, kv, start, &cos, &sin)?;
            x = (x + h)?;
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, c.rms_eps)?;
            let gate_up = layer.gate_up.forward(&h)?;
            let width = gate_up.dim(1)? / 2;
            let gate = gate_up.narrow(1, 0, width)?;
            let up = gate_up.narrow(1, width, width)?;
            let h = layer.down.forward(&(candle_nn::ops::silu(&gate)? * up)?)?;
            x = (x + h)?;
        }
        cache.len = start + n;
        let last = x.narrow(0, n - 1, 1)?;
        let last = candle_nn::ops::rms_norm(&last, &self.norm, c.rms_eps)?;
        self.output.forward(&last)
    }

    /// Self-attention of `h` (`n` × hidden, at positions `start..start + n`), appending its keys
    /// and values to `kv`.
    fn attention(
        &self,
        layer: &Layer,
        h: &Tensor,
        kv: &mut LayerCache,
        start: usize,
        cos: &Tensor,
        sin: &Tensor,
    ) -> Result<Tensor> {
        let c = &self.config;
        let (n, d) = (h.dim(0)?, c.head_dim());
        let kv_width = c.kv_heads * d;
        let qkv = layer.qkv.forward(h)?;
        // (tokens, heads × d) to (1, heads, tokens, d), the layout the rotary kernel takes.
        let heads = |t: Tensor, count: usize| {
            t.contiguous()?
                .reshape((1, n, count, d))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = heads(qkv.narrow(1, 0, c.hidden)?, c.heads)?;
        let k = heads(qkv.narrow(1, c.hidden, kv_width)?, c.kv_heads)?;
        let v = heads(qkv.narrow(1, c.hidden + kv_width, kv_width)?, c.kv_heads)?;
        let q = candle_nn::rotary_emb::rope_i(&q, cos, sin)?;
        let k = candle_nn::rotary_emb::rope_i(&k, cos, sin)?;
        kv.k.slice_set(&k.squeeze(0)?, 1, start)?;
        kv.v.slice_set(&v.squeeze(0)?, 1, start)?;

        // Grouped-query attention without copying keys: the query heads that share one key head
        // are stacked as rows of one matrix, (kv_heads, group × tokens, d).
        let group = c.heads / c.kv_heads;
        let q = q.reshape((c.kv_heads, group, n, d))?;
        let scale = 1.0 / (d as f64).sqrt();
        let mut outputs = Vec::with_capacity(n.div_ceil(QUERY_BLOCK));
        for block in (0..n).step_by(QUERY_BLOCK) {
            let rows = QUERY_BLOCK.min(n - block);
            // Causal: the keys up to the block's last query are all it can see.
            let seen = start + block + rows;
            let q =
                q.narrow(2, block, rows)?
                    .contiguous()?
                    .reshape((c.kv_heads, group * rows, d))?;
            let mask = if rows > 1 {
                Some(causal_mask(start + block, rows, seen)?)
            } else {
                None
            };
            // One key head at a time: its cached keys and values are then plain contiguous
            // matrices (the cache's head stride is its capacity, not what is filled).
            let mut heads = Vec::with_capacity(c.kv_heads);
            for g in 0..c.kv_heads {
                let keys = kv.k.get(g)?.narrow(0, 0, seen)?;
                let values = kv.v.get(g)?.narrow(0, 0, seen)?;
                let scores = (q.get(g)?.matmul(&keys.t()?)? * scale)?;
                let scores = match &mask {
                    Some(mask) => scores
                        .reshape((group, rows, seen))?
                        .broadcast_add(mask)?
                        .reshape((group * rows, seen))?,
                    None => scores,
                };
                let weights = candle_nn::ops::softmax_last_dim(&scores)?;
                heads.push(weights.matmul(&values)?);
            }
            outputs.push(Tensor::stack(&heads, 0)?.reshape((c.kv_heads, group, rows, d))?);
        }
        let y = Tensor::cat(&outputs, 2)?;
        // (kv_heads, group, tokens, d) back to (tokens, heads × d).
        let y = y
            .reshape((c.heads, n, d))?
            .transpose(0, 1)?
            .contiguous()?
            .reshape((n, c.hidden))?;
        layer.out.forward(&y)
    }
}

/// `-inf` where query `first + i` would see key `j > first + i`, 0 elsewhere; `rows × seen`.
fn causal_mask(first: usize, rows: usize, seen: usize) -> Result<Tensor> {
    let mask: Vec<f32> = (0..rows)
        .flat_map(|i| {
            (0..seen).map(move |j| {
                if j > first + i {
                    f32::NEG_INFINITY
                } else {
                    0.0
                }
            })
        })
        .collect();
    Tensor::from_vec(mask, (rows, seen), &Device::Cpu)
}

/// cos and sin of position × frequency, `context × head_dim / 2` each (interleaved rotary
/// embedding, the llama convention of GGUF files).
fn rotary_tables(c: &Config) -> Result<(Tensor, Tensor)> {
    let d = c.head_dim();
    let freqs: Vec<f32> = (0..d)
        .step_by(2)
        .map(|i| 1.0 / c.rope_base.powf(i as f32 / d as f32))
        .collect();
    let angles: Vec<f32> = (0..c.context)
        .flat_map(|p| freqs.iter().map(move |f| p as f32 * f))
        .collect();
    let angles = Tensor::from_vec(angles, (c.context, d / 2), &Device::Cpu)?;
    Ok((angles.cos()?, angles.sin()?))
}

/// Keys and values of the tokens seen so far, per layer, `(kv_heads, capacity, head_dim)`; the
/// capacity grows in steps as the sequence does, so a short chat does not hold a full context's
/// worth (30 layers × 4,096 tokens would be 94 MB for SmolLM2). Written in place: candle's
/// `quantized_llama` concatenated the whole cache anew at every token.
#[derive(Debug, Default)]
struct KvCache {
    layers: Vec<LayerCache>,
    len: usize,
}

#[derive(Debug)]
struct LayerCache {
    k: Tensor,
    v: Tensor,
}

/// Capacity grows in multiples of this many tokens.
const CACHE_STEP: usize = 512;

impl KvCache {
    fn reserve(&mut self, c: &Config, tokens: usize) -> Result<()> {
        let capacity = self.layers.first().map_or(0, |l| l.k.dim(1).unwrap_or(0));
        if tokens <= capacity {
            return Ok(());
        }
        let capacity = tokens.div_ceil(CACHE_STEP).max(1) * CACHE_STEP;
        let capacity = capacity.min(c.context);
        let shape = (c.kv_heads, capacity, c.head_dim());
        // Layer by layer, so the old and the new cache are never both whole in memory.
        for i in 0..c.layers {
            let k = Tensor::zeros(shape, candle_core::DType::F32, &Device::Cpu)?;
            let v = Tensor::zeros(shape, candle_core::DType::F32, &Device::Cpu)?;
            let grown = LayerCache { k, v };
            match self.layers.get_mut(i) {
                Some(old) => {
                    if self.len > 0 {
                        let kept = |t: &Tensor| t.narrow(1, 0, self.len)?.contiguous();
                        grown.k.slice_set(&kept(&old.k)?, 1, 0)?;
                        grown.v.slice_set(&kept(&old.v)?, 1, 0)?;
                    }
                    *old = grown;
                }
                None => self.layers.push(grown),
            }
        }
        Ok(())
    }
}
