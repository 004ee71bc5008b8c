//! Everything that can go wrong behind the facade, as one enum, and the one place it becomes a
//! JavaScript `Error`. It sits at the bottom of the crate: every other module returns [`Error`]
//! and only [`js_call`] names `JsError`, so a host sees every failure worded the same way,
//! `pilotfish: <method>: <what was wrong>`.

use assist::prompt::BuildError;
use assist::tokens::TokenError;
use engine::embed::EmbedError;
use engine::project::ProjectError;
use engine::search::VectorError;
use engine::snapshot::SnapshotError;
use wasm_bindgen::JsError;

/// Options that deserialized but make no sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    #[error("options.{0} must be a positive integer, got 0")]
    Zero(&'static str),
    /// A name outside the list a field accepts, e.g. `mode: "fuzzy"`.
    #[error("unknown {field} {got:?}, expected {expected}")]
    Unknown {
        field: &'static str,
        got: String,
        expected: &'static str,
    },
}

/// A failure of the facade or of the engine behind it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An argument of the wrong type or shape (checked before the engine is called).
    #[error("invalid `{argument}`: {message}")]
    Argument {
        argument: &'static str,
        message: String,
    },
    #[error(transparent)]
    Options(#[from] OptionsError),
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// A `VectorIndex` vector that the index rejected.
    #[error("id {id}: {source}")]
    Vector { id: u32, source: VectorError },
    /// A query vector that the index rejected.
    #[error(transparent)]
    Query(#[from] VectorError),
    #[error("mode \"hnsw\" needs a graph: call buildGraph() first")]
    NoGraph,
    #[error("{floats} floats for {ids} ids of {dims} dimensions")]
    BatchShape {
        floats: usize,
        ids: usize,
        dims: usize,
    },
    /// Vectors of different embedders cannot share an index, and the engine keeps no texts to
    /// re-embed, so the embedder is chosen while the engine is empty.
    #[error("load the embedder before indexing files ({indexed} indexed; remove them first)")]
    NotEmpty { indexed: usize },
    #[error("snapshot vectors come from {snapshot:?}, this engine embeds with {engine:?}")]
    ForeignEmbedder { snapshot: String, engine: String },
    #[error(
        "snapshot vectors have {snapshot} dimensions, this engine's embedder makes {engine}: the snapshot is damaged"
    )]
    ForeignDimensions { snapshot: usize, engine: usize },
    #[error(
        "snapshot was chunked with {snapshot}, this engine chunks with {engine}: create the Engine with the snapshot's options, or re-index"
    )]
    ChunkConfig { snapshot: String, engine: String },
    /// A cursor offset past the end of the text it points into.
    #[error("offset {offset} is past the end of the text ({len} {units})")]
    OffsetOutside {
        offset: usize,
        len: usize,
        units: &'static str,
    },
    /// A UTF-16 offset between the halves of a surrogate pair, or a UTF-8 offset inside a
    /// character: no editor puts a cursor there, so it is a conversion bug on the host's side.
    #[error("offset {offset} is inside {what}")]
    OffsetInside { offset: usize, what: &'static str },
    #[error("unknown family {got:?}, expected one of {known}")]
    UnknownFamily { got: String, known: String },
    #[error(transparent)]
    Prompt(#[from] BuildError),
    /// A prompt that would be the template alone is useless to a model, so it is refused (as
    /// `pilotfish prompt` refuses it).
    #[error(
        "a budget of {budget} tokens leaves no room for any context (the prompt would be the template alone)"
    )]
    NoRoom { budget: usize },
    #[error(transparent)]
    Tokenizer(#[from] TokenError),
    #[error("onProgress threw: {0}")]
    Callback(String),
    /// Building the JavaScript result failed (serialization, `Reflect.set`).
    #[error("cannot build the result: {0}")]
    Output(String),
}

/// Runs the body of the exported method `method` and converts its failure into the JS `Error` it
/// throws. Every exported method goes through here, so this is the one conversion.
pub(crate) fn js_call<T>(
    method: &'static str,
    body: impl FnOnce() -> Result<T, Error>,
) -> Result<T, JsError> {
    body().map_err(|error| JsError::new(&format!("pilotfish: {method}: {error}")))
}
