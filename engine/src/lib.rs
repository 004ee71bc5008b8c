//! Pilotfish's retrieval: it indexes the chunks that `syntax` cuts from source files (BM25 and
//! vectors in shared slots), embeds them, fuses the two rankings, and snapshots the whole project
//! index. The [`project::Project`] is the one owner of every indexed file's chunks, diagnostics
//! and position map; hosts convert from it, they keep no copies. It never performs IO, never reads
//! a clock, entropy or the environment, and never names wasm-bindgen, a browser API or an async
//! runtime: time, seeds and budgets are arguments. It builds natively and for
//! `wasm32-unknown-unknown` and is tested natively.

pub mod embed;
pub mod project;
pub mod search;
pub mod snapshot;

pub use project::{IndexStats, IndexedFile, Project, ProjectConfig};
pub use syntax::{
    Chunk, ChunkConfig, ChunkKind, ChunkedFile, Diagnostic, DiagnosticKind, Language, LineIndex,
};
