//! Loading a GGUF file: the quantized llama weights (candle keeps them quantized, Q4_1 stays 4-bit
//! in memory), the tokenizer and chat template from its metadata, and the numbers the server needs
//! (context window, a display name). Reads from any `Read + Seek`, so a browser build can hand it
//! the bytes of a file instead of a path.

use std::io::{Read, Seek};

use candle_core::Device;
use candle_core::quantized::gguf_file::Content;
use candle_transformers::models::quantized_llama::{MAX_SEQ_LEN, ModelWeights};

use crate::template::{ChatTemplate, TemplateError};
use crate::tokenizer::TextTokenizer;

/// Why a GGUF could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("reading the GGUF failed: {0}")]
    Gguf(candle_core::Error),
    #[error("the GGUF metadata has no {0}")]
    Missing(String),
    #[error("unsupported model: {0}")]
    Unsupported(String),
    #[error("building the tokenizer from the GGUF vocabulary failed: {0}")]
    Tokenizer(String),
    #[error(transparent)]
    Template(#[from] TemplateError),
}

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
