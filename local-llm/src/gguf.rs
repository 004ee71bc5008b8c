//! Loading a GGUF file: the quantized llama weights (candle keeps them quantized, Q4_1 stays 4-bit
//! in memory), the tokenizer and chat template from its metadata, and the numbers the server needs
//! (context window, a display name). Reads from any `Read + Seek`, so a browser build can hand it
//! the bytes of a file instead of a path.

use std::io::{Read, Seek};

use candle_core::Device;
use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::{GgmlDType, QTensor};
use candle_transformers::models::quantized_llama::{MAX_SEQ_LEN, ModelWeights};

pub use crate::load_error::LoadError;
use crate::template::ChatTemplate;
use crate::tokenizer::TextTokenizer;

/// A loaded model: weights, tokenizer, chat template. Cheap to clone per generation: the weights
/// are reference-counted tensors, and each clone gets its own key-value cache.
#[derive(Debug, Clone)]
pub struct Model {
    pub weights: ModelWeights,
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
        if content
            .tensor_infos
            .values()
            .any(|t| t.ggml_dtype == GgmlDType::Q4_1)
        {
            let mut converted = requantize_q4_1(content, reader).map_err(LoadError::Gguf)?;
            let content = Content::read(&mut converted).map_err(LoadError::Gguf)?;
            return Self::from_content(content, &mut converted);
        }
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
        // candle's rotary tables stop at MAX_SEQ_LEN, whatever the file claims.
        let context_length = md
            .get("llama.context_length")
            .and_then(|v| v.to_u32().ok())
            .map_or(MAX_SEQ_LEN, |n| (n as usize).min(MAX_SEQ_LEN));
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
        let weights =
            ModelWeights::from_gguf(content, reader, &Device::Cpu).map_err(LoadError::Gguf)?;
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

/// candle 0.11 has no SIMD kernel for Q4_1 (its dot product is the scalar reference code, about a
/// third of llama.cpp's speed here), while Q8_0 has AVX2 and NEON kernels. Every Q4_1 weight is
/// therefore re-quantized to Q8_0 at load: 8 bits per weight with one scale per 32 hold each 4-bit
/// value with a rounding error far below the 4-bit step, at about twice the memory of Q4_1 (still
/// well under the 400 MB goal for SmolLM2-135M). The rewritten file is built in memory.
fn requantize_q4_1<R: Read + Seek>(
    content: Content,
    reader: &mut R,
) -> candle_core::Result<std::io::Cursor<Vec<u8>>> {
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    let mut tensors = Vec::with_capacity(names.len());
    for name in names {
        let tensor = content.tensor(reader, name, &Device::Cpu)?;
        let tensor = if tensor.dtype() == GgmlDType::Q4_1 {
            QTensor::quantize(&tensor.dequantize(&Device::Cpu)?, GgmlDType::Q8_0)?
        } else {
            tensor
        };
        tensors.push((name.as_str(), tensor));
    }
    let metadata: Vec<(&str, &candle_core::quantized::gguf_file::Value)> = content
        .metadata
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (*n, t)).collect();
    let mut out = std::io::Cursor::new(Vec::new());
    candle_core::quantized::gguf_file::write(&mut out, &metadata, &tensor_refs)?;
    out.set_position(0);
    Ok(out)
}
