//! Pilotfish's pure core: it turns source files into semantic chunks (tree-sitter), indexes them
//! and searches them. It never performs IO, never reads a clock, entropy or the environment, and
//! never names wasm-bindgen, a browser API or an async runtime: time, seeds and budgets are
//! arguments. It builds natively and for `wasm32-unknown-unknown` and is tested natively.

pub mod chunk;
pub mod embed;
pub mod index;
pub mod language;
pub mod project;
pub mod search;
pub mod snapshot;
pub mod syntax;

pub use chunk::{
    Chunk, ChunkConfig, ChunkKind, ChunkedFile, Chunker, Diagnostic, DiagnosticKind, chunk_file,
};
pub use index::{FileIndex, IndexStats};
pub use language::Language;
