//! Pilotfish's lab: the tooling that measures and trains, never shipped in the browser package.
//! Evaluation sets (CoSQA dev, docstring queries cut from real packages), retrieval metrics with a
//! content-addressed vector cache, and the static table's distillation from the transformer and
//! its tokenlearn-style fit. The CLI's `eval`, `distill` and `fit-table` commands and the
//! retrieval-quality tests stand on it. It may read files (it is tooling), but its computations
//! take their data as arguments like the engine's.

pub mod context_recall;
pub mod cosqa;
pub mod distill;
pub mod docstring;
pub mod eval;
pub mod fit;
pub mod split;
pub mod vector_cache;
