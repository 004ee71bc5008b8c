//! Context for a cursor: gathering the snippets a prompt can use.
//!
//! The host keeps one [`Workspace`]: indexing a file updates the engine's project (chunks, BM25,
//! vectors) and the [`TagIndex`] (definitions, references, imports per file; the repo map's
//! ranks) together. [`Workspace::gather`] then offers, for a [`Cursor`] in a file's current text:
//! the prefix and suffix around it ([`CursorWindow`]); the definitions of the names the cursor's
//! code reaches (imported names, names referenced near the cursor), resolved across files by
//! their tags, preferring the importing module's file, then the cursor's folder, then the repo
//! map's rank; hybrid-search hits for the lines before the cursor; the ranges and open files the
//! host reports; and the repo map's best files. Each snippet says why it was chosen. Rendering
//! under a budget is the prompt builder's job ([`crate::prompt`]).

mod gather;
mod index;
mod request;
mod resolve;
mod workspace;

pub use index::{DefinitionId, Ranks, TagIndex, TaggedFile};
pub use request::{
    Cursor, CursorWindow, DefinitionText, GatherConfig, Gathered, HostState, OpenFile, RecentEdit,
    Retrieval, search_query,
};
pub use resolve::module_files;
/// What a host keeps beside the [`Workspace`] for the files being edited: their tags re-parsed
/// incrementally per keystroke, for [`Workspace::gather_tagged`].
pub use syntax::documents::DocumentTrees;
pub use workspace::{Workspace, file_text, lines};
