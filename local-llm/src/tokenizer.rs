//! The tokenizer rebuilt from the GGUF's own metadata (`tokenizer.ggml.*`), so a model is one file:
//! no `tokenizer.json` beside it and no hub download.
//!
//! Only byte-level BPE vocabularies (`tokenizer.ggml.model = "gpt2"`: SmolLM, StarCoder, Qwen and
//! most code models) are rebuilt here; SentencePiece ("llama") vocabularies are refused with a clear
//! error rather than tokenized subtly wrong.

use std::collections::HashMap;

use candle_core::quantized::gguf_file::{Content, Value};
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{AddedToken, Tokenizer};

use crate::ModelError;
use crate::load_error::LoadError;

/// GGUF token types (llama.cpp's `llama_token_type`): control tokens and user-defined tokens are
/// matched whole in text, never split by BPE.
const TOKEN_TYPE_CONTROL: i32 = 3;
const TOKEN_TYPE_USER_DEFINED: i32 = 4;

/// The token ids that end a turn, besides the declared end-of-sequence: chat models often end a
/// reply with their turn marker rather than with EOS.
const END_OF_TURN: [&str; 4] = ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>"];

/// Fill-in-the-middle marker spellings: StarCoder/SantaCoder, then Qwen2.5-Coder.
const FIM_MARKERS: [[&str; 3]; 2] = [
    ["<fim_prefix>", "<fim_suffix>", "<fim_middle>"],
    ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"],
];

/// The token ids of a fill-in-the-middle prompt, when the vocabulary has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FimTokens {
    pub prefix: u32,
    pub suffix: u32,
    pub middle: u32,
}

/// A tokenizer and the special ids generation needs.
#[derive(Debug, Clone)]
pub struct TextTokenizer {
    inner: Tokenizer,
    /// Prepended to prompts when the GGUF says `add_bos_token`.
    pub bos: Option<u32>,
    add_bos: bool,
    /// Ids that end generation (EOS and end-of-turn markers).
    end_ids: Vec<u32>,
    pub fim: Option<FimTokens>,
    tokens: Vec<String>,
}

impl TextTokenizer {
    /// Rebuilds the tokenizer from `tokenizer.ggml.*` metadata.
    pub fn from_gguf(content: &Content) -> Result<Self, LoadError> {
        let md = &content.metadata;
        let kind = string(md, "tokenizer.ggml.model")?;
        if kind != "gpt2" {
            return Err(LoadError::Unsupported(format!(
                "tokenizer model {kind:?} (only byte-level BPE, \"gpt2\", is rebuilt from GGUF)"
            )));
        }
        let tokens: Vec<String> = strings(md, "tokenizer.ggml.tokens")?;
        let merges: Vec<(String, String)> = strings(md, "tokenizer.ggml.merges")?
            .into_iter()
            .filter_map(|m| {
                let (a, b) = m.split_once(' ')?;
                Some((a.to_owned(), b.to_owned()))
            })
            .collect();
        let types: Vec<i32> = match md.get("tokenizer.ggml.token_type") {
            Some(v) => v
                .to_vec()
                .map_err(LoadError::Gguf)?
                .iter()
                .map(|t| t.to_i32().unwrap_or(1))
                .collect(),
            None => Vec::new(),
        };
        let vocab: Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(|e| LoadError::Tokenizer(e.to_string()))?;
        let mut inner = Tokenizer::new(bpe);
        // The regex split that precedes byte-level BPE differs per model family (llama.cpp's
        // `tokenizer.ggml.pre`); SmolLM and StarCoder split digits one by one first.
        let pre = string(md, "tokenizer.ggml.pre").unwrap_or_default();
        let byte_level = ByteLevel::new(false, true, true);
        let pre_tokenizer: PreTokenizerWrapper = match pre.as_str() {
            "smollm" | "starcoder" | "refact" => Sequence::new(vec![
                PreTokenizerWrapper::Digits(Digits::new(true)),
                PreTokenizerWrapper::ByteLevel(byte_level),
            ])
            .into(),
            _ => byte_level.into(),
        };
        inner.with_pre_tokenizer(Some(pre_tokenizer));
        inner.with_decoder(Some(ByteLevelDecoder::default()));
        let special: Vec<AddedToken> = tokens
            .iter()
            .zip(types.iter())
            .filter(|(_, t)| matches!(**t, TOKEN_TYPE_CONTROL | TOKEN_TYPE_USER_DEFINED))
            .map(|(tok, _)| AddedToken::from(tok.clone(), true))
            .collect();
        inner
            .add_special_tokens(special)
            .map_err(|e| LoadError::Tokenizer(e.to_string()))?;

        let id = |key: &str| md.get(key).and_then(|v| v.to_u32().ok());
        let eos = id("tokenizer.ggml.eos_token_id");
        let mut end_ids: Vec<u32> = eos.into_iter().collect();
        end_ids.extend(END_OF_TURN.iter().filter_map(|t| vocab_id(&tokens, t)));
        let fim = FIM_MARKERS.iter().find_map(|[p, s, m]| {
            Some(FimTokens {
                prefix: vocab_id(&tokens, p)?,
                suffix: vocab_id(&tokens, s)?,
                middle: vocab_id(&tokens, m)?,
            })
        });
        Ok(TextTokenizer {
            inner,
            bos: id("tokenizer.ggml.bos_token_id"),
            add_bos: md
                .get("tokenizer.ggml.add_bos_token")
                .and_then(|v| v.to_bool().ok())
                .unwrap_or(false),
            end_ids,
            fim,
            tokens,
        })
    }

    /// Token ids of `text`; special-token spellings in it (`<|im_start|>`) become their ids, as the
    /// chat template expects.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, ModelError> {
        self.inner
            .encode(text, false)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| ModelError::Tokenizer(e.to_string()))
    }

    /// `encode`, with BOS in front when the model wants it and the text does not already start
    /// with it (a chat template may write it itself).
    pub fn encode_prompt(&self, text: &str) -> Result<Vec<u32>, ModelError> {
        let mut ids = self.encode(text)?;
        if self.add_bos
            && let Some(bos) = self.bos
            && ids.first() != Some(&bos)
        {
            ids.insert(0, bos);
        }
        Ok(ids)
    }

    /// Text of `ids`, special tokens left out.
    pub fn decode(&self, ids: &[u32]) -> Result<String, ModelError> {
        self.inner
            .decode(ids, true)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))
    }

    /// Whether `id` ends generation.
    pub fn is_end(&self, id: u32) -> bool {
        self.end_ids.contains(&id)
    }

    /// The spelling of a token id (for the chat template's `bos_token`/`eos_token`).
    pub fn token_text(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }
}

fn vocab_id(tokens: &[String], text: &str) -> Option<u32> {
    tokens.iter().position(|t| t == text).map(|i| i as u32)
}

fn string(md: &HashMap<String, Value>, key: &str) -> Result<String, LoadError> {
    md.get(key)
        .ok_or_else(|| LoadError::Missing(key.to_owned()))?
        .to_string()
        .cloned()
        .map_err(LoadError::Gguf)
}

fn strings(md: &HashMap<String, Value>, key: &str) -> Result<Vec<String>, LoadError> {
    md.get(key)
        .ok_or_else(|| LoadError::Missing(key.to_owned()))?
        .to_vec()
        .map_err(LoadError::Gguf)?
        .iter()
        .map(|v| v.to_string().cloned().map_err(LoadError::Gguf))
        .collect()
}
