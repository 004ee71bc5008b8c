//! Retrieval: the code-aware tokenizer, the BM25 keyword index, the vector indexes (exact scan,
//! its binary prefilter, and HNSW), fusion of the two rankings (weighted RRF or convex) and the
//! fusion presets per embedder kind, and the id-to-slot map for hosts that bring their own vector
//! ids (`slots.rs`). How well they do is measured in the `lab` crate.

pub mod binary;
pub mod bm25;
pub mod fuse;
#[cfg(feature = "hnsw")]
pub mod hnsw;
pub mod presets;
pub mod slots;
pub mod synthetic;
pub mod tokenize;
pub mod vector;

pub use bm25::{Bm25Config, Bm25Doc, Bm25Index, FieldBoosts, Scored};
pub use fuse::{
    Explanation, FusedHit, FusionConfig, FusionKind, FusionMethod, FusionOverrides, RankScore,
    cap_per_group, fuse,
};
pub use slots::IdSlots;
pub use tokenize::{TokenizerConfig, for_each_token, tokenize};
pub use vector::{ExactIndex, VectorError};
