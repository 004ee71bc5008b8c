//! What a request cost: token usage (reported by the upstream, or estimated when it is not)
//! times the per-model price from config.
//!
//! Money is kept in whole micro-dollars (`u64`) wherever it is summed or shared, so budget
//! totals in Redis can use integer `INCRBY` and never drift through float rounding.
//!
//! The estimate when usage is absent is deliberately tokenizer-free: `ceil(utf8_bytes / 4)`,
//! OpenAI's published rule of thumb for English text. A real tokenizer (tiktoken-rs) would
//! only be right for OpenAI models anyway and would add megabytes of BPE tables to the binary;
//! the estimate is used for the prompt part of a request's reservation at admission, and for
//! limits and budgets when an upstream (e.g. a local llama.cpp server) reports nothing.

use serde_json::Value;

/// Prices for one model alias, in US dollars per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Pricing {
    pub input_usd_per_mtok: f64,
    pub output_usd_per_mtok: f64,
}

/// Token counts for one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// True when the numbers were estimated rather than reported by the upstream.
    pub estimated: bool,
}

impl Usage {
    pub fn total(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

/// Cost of `usage` at `pricing`, in micro-dollars, rounded up so that a stream of tiny
/// requests can never be free.
pub fn cost_micro_usd(pricing: Pricing, usage: Usage) -> u64 {
    let usd = usage.prompt_tokens as f64 * pricing.input_usd_per_mtok / 1e6
        + usage.completion_tokens as f64 * pricing.output_usd_per_mtok / 1e6;
    let micro = (usd * 1e6).ceil();
    if micro.is_finite() && micro > 0.0 {
        micro as u64
    } else {
        0
    }
}

/// Converts a dollar amount from config into micro-dollars.
pub fn usd_to_micro(usd: f64) -> u64 {
    if usd.is_finite() && usd > 0.0 {
        (usd * 1e6).round() as u64
    } else {
        0
    }
}

/// Micro-dollars back to dollars, for metrics and logs.
pub fn micro_to_usd(micro: u64) -> f64 {
    micro as f64 / 1e6
}

/// Estimated prompt tokens of an OpenAI request body: every string under `messages`
/// (content, including text parts), `prompt`, `suffix` and `input`.
pub fn estimate_prompt_tokens(request: &Value) -> u64 {
    let mut bytes = 0usize;
    for key in ["messages", "prompt", "suffix", "input"] {
        if let Some(v) = request.get(key) {
            bytes += string_bytes(v);
        }
    }
    crate::usage::estimate_tokens(bytes)
}

fn string_bytes(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len(),
        Value::Array(a) => a.iter().map(string_bytes).sum(),
        Value::Object(o) => o.values().map(string_bytes).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MINI: Pricing = Pricing {
        input_usd_per_mtok: 0.15,
        output_usd_per_mtok: 0.60,
    };

    #[test]
    fn cost_follows_the_price_table() {
        let u = Usage {
            prompt_tokens: 1_000_000,
            completion_tokens: 500_000,
            estimated: false,
        };
        // 0.15 + 0.30 dollars.
        assert_eq!(cost_micro_usd(MINI, u), 450_000);
        assert_eq!(micro_to_usd(450_000), 0.45);
    }

    #[test]
    fn tiny_requests_are_never_free_and_free_models_cost_nothing() {
        let u = Usage {
            prompt_tokens: 1,
            completion_tokens: 0,
            estimated: false,
        };
        assert_eq!(cost_micro_usd(MINI, u), 1);
        assert_eq!(cost_micro_usd(Pricing::default(), u), 0);
    }

    #[test]
    fn config_dollars_convert_and_reject_nonsense() {
        assert_eq!(usd_to_micro(5.0), 5_000_000);
        assert_eq!(usd_to_micro(-1.0), 0);
        assert_eq!(usd_to_micro(f64::NAN), 0);
    }

    #[test]
    fn the_admission_estimate_counts_prompt_bytes_over_four() {
        // "user" (4) + "hello there" (11) = 15 bytes -> 4 tokens.
        let req = json!({"messages": [{"role": "user", "content": "hello there"}]});
        assert_eq!(estimate_prompt_tokens(&req), 4);
        assert_eq!(
            estimate_prompt_tokens(&json!({"prompt": "abcd", "suffix": "e"})),
            2
        );
    }
}
