//! The prompt memo: the last few completion requests' prompts by request and workspace
//! revision, and the suggestion each became, so a response-cache hit neither gathers nor builds
//! nor parse-checks again (a cache hit must cost well under a frame).

use assist::cache::CacheKey;
use assist::complete::{CallSettings, Suggestion};

use crate::error::Error;
use crate::options::PromptRequest;

/// What a completion request's prompt was.
#[derive(Debug, Clone)]
pub struct Remembered {
    pub key: CacheKey,
    pub stops: Vec<String>,
    pub prompt_tokens: usize,
    /// The suggestion its answer became, once one did.
    pub suggestion: Option<Suggestion>,
}

/// The last few completion requests' prompts by request: the same request (text, cursor,
/// host state, settings, alias) at the same workspace revision builds the same prompt, so its
/// cached answer is found without gathering again (a cache hit must cost well under a frame).
#[derive(Debug, Default)]
pub struct PromptMemo {
    /// Most recent last.
    entries: Vec<(u128, Remembered)>,
}

impl PromptMemo {
    const CAPACITY: usize = 32;

    /// The request's identity: everything the prompt is built from.
    pub fn id(
        request: &PromptRequest,
        settings: &CallSettings,
        alias: &str,
        revision: u64,
    ) -> Result<u128, Error> {
        let request = serde_json::to_string(request).map_err(|e| Error::Output(e.to_string()))?;
        let rest = format!(
            "{revision}|{alias}|{:?}|{}",
            settings.max_tokens,
            settings.temperature.to_bits()
        );
        Ok(assist::cache::prompt_hash(&[&request, &rest]))
    }

    pub fn get(&mut self, id: u128) -> Option<Remembered> {
        let at = self.entries.iter().position(|(i, _)| *i == id)?;
        let entry = self.entries.remove(at);
        let found = entry.1.clone();
        self.entries.push(entry);
        Some(found)
    }

    /// Keeps what the request's answer became, so serving it again skips the parse check.
    pub fn finished(&mut self, id: u128, suggestion: &Suggestion) {
        if let Some((_, entry)) = self.entries.iter_mut().find(|(i, _)| *i == id) {
            entry.suggestion = Some(suggestion.clone());
        }
    }

    pub fn put(&mut self, id: u128, remembered: Remembered) {
        self.entries.retain(|(i, _)| *i != id);
        if self.entries.len() == Self::CAPACITY {
            self.entries.remove(0);
        }
        self.entries.push((id, remembered));
    }
}
