//! Requests to prompt token ids: chat messages through the model's template, plain completions
//! as they are, fill-in-the-middle through the vocabulary's FIM markers; and the one check every
//! prompt passes, that it leaves room in the context window.

use crate::ModelError;
use crate::gguf::Model;
use crate::template::{Message, TemplateError};

/// Why a request cannot become a prompt. All are the client's to fix (HTTP 400).
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error(
        "the prompt is {tokens} tokens, and this model's context window is {limit} tokens \
         (prompt and completion together); shorten the prompt"
    )]
    TooLong { tokens: usize, limit: usize },
    #[error(
        "`suffix` (fill-in-the-middle) needs a model whose vocabulary has FIM tokens \
         (<fim_prefix>/<fim_suffix>/<fim_middle>); {model} has none"
    )]
    NoFim { model: String },
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// The prompt of a chat request.
pub fn chat(model: &Model, messages: &[Message]) -> Result<Vec<u32>, PromptError> {
    let text = model.template.render(messages)?;
    fits(model, model.tokenizer.encode_prompt(&text)?)
}

/// The prompt of a completion request; with a `suffix`, a prefix-suffix-middle FIM prompt.
pub fn completion(
    model: &Model,
    prompt: &str,
    suffix: Option<&str>,
) -> Result<Vec<u32>, PromptError> {
    let Some(suffix) = suffix else {
        return fits(model, model.tokenizer.encode_prompt(prompt)?);
    };
    let fim = model.tokenizer.fim.ok_or_else(|| PromptError::NoFim {
        model: model.name.clone(),
    })?;
    let mut ids = vec![fim.prefix];
    ids.extend(model.tokenizer.encode(prompt)?);
    ids.push(fim.suffix);
    ids.extend(model.tokenizer.encode(suffix)?);
    ids.push(fim.middle);
    fits(model, ids)
}

/// The prompt, if it leaves room for at least one generated token.
fn fits(model: &Model, ids: Vec<u32>) -> Result<Vec<u32>, PromptError> {
    if ids.len() >= model.context_length {
        return Err(PromptError::TooLong {
            tokens: ids.len(),
            limit: model.context_length,
        });
    }
    Ok(ids)
}
