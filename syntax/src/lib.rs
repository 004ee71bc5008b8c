//! Pilotfish's syntax layer: the languages it knows, their tree-sitter grammars (one `lang-*`
//! Cargo feature each), and the chunker that turns a file into functions, methods, class headers,
//! import blocks and module blocks plus diagnostics for whatever it had to degrade. Retrieval,
//! analysis and context gathering all stand on it, so it knows nothing of search, embedders or
//! prompts. Like the engine it performs no IO, reads no clock and names no browser API; it builds
//! natively and for `wasm32-unknown-unknown`.

pub mod chunk;
pub mod documents;
pub mod grammar;
pub mod language;
pub mod line_index;
pub mod tags;

pub use chunk::{
    Chunk, ChunkConfig, ChunkKind, ChunkedFile, Chunker, Diagnostic, DiagnosticKind, ParseWith,
    chunk_file, chunk_file_parsed_with, chunk_file_with_tree, parses_on_this_thread,
};
pub use language::Language;
pub use line_index::LineIndex;
/// The syntax tree [`chunk_file_with_tree`] hands back, for [`tags::tags_of_tree`].
pub use tree_sitter::Tree;
