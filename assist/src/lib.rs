//! Pilotfish's assistant logic, between retrieval and the model: it gathers the context a cursor
//! can use (prefix and suffix, definitions the code reaches, search hits, recent edits and open
//! files), builds prompts that never exceed their token budget (FIM templates per model family,
//! a chat template, a redaction hook every outgoing text passes through), postprocesses streamed
//! completions (overlap with the suffix, repeats, a tree-sitter parse check), and keeps the
//! caches, the routing table and the metrics. Gathering is apart from rendering, as Tabby
//! separates collecting from building. Like `syntax` and `engine` it performs no IO, reads no
//! clock and draws no randomness: time, budgets and seeds are arguments, so it builds natively
//! and for `wasm32-unknown-unknown` and is tested natively.

pub mod cache;
pub mod complete;
pub mod context;
pub mod debounce;
pub mod generate;
pub mod metrics;
pub mod prompt;
pub mod routing;
pub mod snippet;
pub mod sse;
pub mod tokens;

pub use snippet::{Snippet, SnippetKind};
pub use tokens::TokenCounter;
