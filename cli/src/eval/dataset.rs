//! The one shape every `eval` data set takes, whatever it was cut from: documents (what BM25
//! indexes and what the embedders see) and queries that each name one relevant document and say
//! which half they belong to, so fusion settings are never scored on the queries they were tuned
//! on.

/// One searchable document of a data set.
pub(super) struct Doc {
    pub(super) name: String,
    pub(super) qualified_name: String,
    pub(super) path: String,
    pub(super) body: String,
    /// What the embedders see (the product's `embedding_input` shape for package code; the bare
    /// function for CoSQA, as its published baselines do).
    pub(super) embed_text: String,
}

/// One query and the index (in [`Dataset::docs`]) of its one relevant document.
pub(super) struct Query {
    pub(super) text: String,
    pub(super) target: usize,
    /// `--tune` fits fusion settings on these.
    pub(super) tune: bool,
    /// The table reports on these.
    pub(super) report: bool,
}

/// A named set of documents and the queries over them.
pub(super) struct Dataset {
    pub(super) name: String,
    pub(super) docs: Vec<Doc>,
    pub(super) queries: Vec<Query>,
}
