//! Retrieval: the code-aware tokenizer, the BM25 keyword index, the vector indexes (exact scan,
//! its binary prefilter, and HNSW), weighted reciprocal-rank fusion, and the quality metrics and
//! docstring-query evaluation sets used to tune them.

pub mod binary;
pub mod bm25;
pub mod docstring;
pub mod eval;
pub mod fuse;
#[cfg(feature = "hnsw")]
pub mod hnsw;
pub mod tokenize;
pub mod vector;

pub use bm25::{Bm25Config, Bm25Doc, Bm25Index, FieldBoosts, Scored};
pub use fuse::{Explanation, FusedHit, FusionConfig, FusionMethod, RankScore, cap_per_group, fuse};
pub use tokenize::{TokenizerConfig, for_each_token, tokenize};
pub use vector::{ExactIndex, VectorError};
