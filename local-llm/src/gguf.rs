//! Loading a GGUF file: the quantized llama weights (read and converted tensor by tensor, see
//! `weights`), the tokenizer and chat template from its metadata, and the numbers the server needs
//! (context window, a display name). Reads from any `Read + Seek`, so a browser build can hand it
//! the bytes of a file instead of a path.

use std::io::{Read, Seek};

use candle_core::quantized::gguf_file::Content;

use crate::llama::{Config, LayerParts, Llama, MAX_CONTEXT, Parts};

pub use crate::load_error::LoadError;
use crate::template::ChatTemplate;
use crate::tokenizer::TextTokenizer;
use crate::weights::TensorReader;

/// A loaded model: weights, tokenizer, chat template. Cheap to clone: the weights are
/// reference-counted tensors (each generation keeps its own key-value cache).
#[derive(Debug, Clone)]
pub struct Model {
    pub weights: Llama,
    pub tokenizer: TextTokenizer,
    pub template: ChatTemplate,
    /// Tokens of prompt plus completion the model can attend to.
    pub context_length: usize,
    /// `general.name`, or "local" when the file has none.
    pub name: String,
}

impl Model {
    /// Reads a GGUF (llama architecture: SmolLM, Llama, Mistral and their fine-tunes).
    pub fn load<R: Read + Seek>(reader: &mut R) -> Result<Self, LoadError> {
        let content = Content::read(reader).map_err(LoadError::Gguf)?;
        Self::from_content(content, reader)
    }

    fn from_content<R: Read + Seek>(content: Content, reader: &mut R) -> Result<Self, LoadError> {
        let md = &content.metadata;
        let arch = md
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        if arch != "llama" {
            return Err(LoadError::Unsupported(format!(
                "architecture {arch:?} (this server runs llama-architecture GGUFs)"
            )));
        }
        // The rotary tables (and the 400 for a long prompt) stop at MAX_CONTEXT, whatever the file
        // claims: a full 8k cache would outweigh SmolLM2's weights.
        let context_length = md
            .get("llama.context_length")
            .and_then(|v| v.to_u32().ok())
            .map_or(MAX_CONTEXT, |n| (n as usize).min(MAX_CONTEXT));
        let name = md
            .get("general.name")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_else(|| "local".to_owned());
        let tokenizer = TextTokenizer::from_gguf(&content)?;
        let bos = tokenizer.bos.and_then(|id| tokenizer.token_text(id));
        let template = ChatTemplate::new(
            md.get("tokenizer.chat_template")
                .and_then(|v| v.to_string().ok())
                .map(String::as_str),
            bos.unwrap_or_default(),
        )?;
        let config = config(&content, context_length)?;
        let parts = read_parts(&content, reader, &config).map_err(LoadError::Gguf)?;
        let weights = Llama::new(config, parts).map_err(LoadError::Gguf)?;
        Ok(Model {
            weights,
            tokenizer,
            template,
            context_length,
            name,
        })
    }

    /// Reads a GGUF file from disk.
    pub fn load_file(path: &std::path::Path) -> Result<Self, LoadError> {
        let file =
            std::fs::File::open(path).map_err(|e| LoadError::Gguf(candle_core::Error::Io(e)))?;
        Self::load(&mut std::io::BufReader::new(file))
    }
}

/// The network's shape from the `llama.*` metadata.
fn config(content: &Content, context: usize) -> Result<Config, LoadError> {
    let md = &content.metadata;
    let number = |key: &str| {
        md.get(key)
            .and_then(|v| v.to_u32().ok())
            .map(|n| n as usize)
            .ok_or_else(|| LoadError::Missing(key.to_owned()))
    };
    let real =
        |key: &str, default: f32| md.get(key).and_then(|v| v.to_f32().ok()).unwrap_or(default);
    let config = Config {
        layers: number("llama.block_count")?,
        hidden: number("llama.embedding_length")?,
        heads: number("llama.attention.head_count")?,
        kv_heads: number("llama.attention.head_count_kv")?,
        rms_eps: real("llama.attention.layer_norm_rms_epsilon", 1e-5),
        rope_base: real("llama.rope.freq_base", 10_000.0),
        context,
    };
    if number("llama.expert_count").unwrap_or(0) > 1 {
        return Err(LoadError::Unsupported(
            "mixture-of-experts layers".to_owned(),
        ));
    }
    let head_dim = config.hidden / config.heads;
    if number("llama.rope.dimension_count").unwrap_or(head_dim) != head_dim
        || !config.heads.is_multiple_of(config.kv_heads)
    {
        return Err(LoadError::Unsupported(
            "a partial rotary embedding or uneven key-value heads".to_owned(),
        ));
    }
    Ok(config)
}

/// The weights, tensor by tensor (GGUF llama names).
fn read_parts<R: Read + Seek>(
    content: &Content,
    reader: &mut R,
    config: &Config,
) -> candle_core::Result<Parts> {
    let mut tensors = TensorReader::new(content, reader);
    let mut layers = Vec::with_capacity(config.layers);
    for i in 0..config.layers {
        let name = |part: &str| format!("blk.{i}.{part}.weight");
        layers.push(LayerParts {
            attn_norm: tensors.vector(&name("attn_norm"))?,
            qkv: tensors.stacked(&[&name("attn_q"), &name("attn_k"), &name("attn_v")])?,
            out: tensors.matrix(&name("attn_output"))?,
            ffn_norm: tensors.vector(&name("ffn_norm"))?,
            gate_up: tensors.stacked(&[&name("ffn_gate"), &name("ffn_up")])?,
            down: tensors.matrix(&name("ffn_down"))?,
        });
    }
    let output = if tensors.has("output.weight") {
        Some(tensors.matrix("output.weight")?)
    } else {
        None
    };
    Ok(Parts {
        embedding: tensors.matrix("token_embd.weight")?,
        output,
        norm: tensors.vector("output_norm.weight")?,
        layers,
    })
}
