//! Fusion presets per embedder kind, tuned with `pilotfish eval --tune` (see BENCHMARKS.md): the
//! settings a project uses unless its host sets its own.

use super::fuse::FusionConfig;

/// Fusion for BM25 + the hashed embedder: the hashed vectors mostly re-rank what BM25 found.
/// Tuned with `pilotfish eval --tune` on the tuning halves of CoSQA dev and the docstring-query
/// sets (grid over RRF and convex settings, best worst-case margin over the five sets; the other
/// halves are held out for reporting and the tests): RRF with keyword 3, k 5 is still the best
/// worst case, level with BM25 on CoSQA's tuning half (margin -0.0000 to four places) and above
/// it on the held-out half (0.357 vs 0.353); no other setting comes closer.
pub const HASHED_FUSION: FusionConfig = FusionConfig::rrf(3.0, 1.0, 5.0);

/// Fusion for learned dense embedders (MiniLM, remote models), which beat BM25 on natural-language
/// queries. Tuned with `pilotfish eval --tune` (as [`HASHED_FUSION`]): a convex combination, 0.35
/// BM25 + 0.65 vector over the top 50 of each list, dropping BM25 for queries whose top cosine is
/// at least 0.7 (MiniLM is then nearly always right, and BM25 only swaps near-ties). It is above
/// the best single retriever on all five tuning halves (worst +0.0135, CoSQA dev). The previous
/// preset (0.3/0.7, depth 20), tuned on all of CoSQA dev, was 0.0007 below MiniLM alone on the
/// held-out half. For a remote model whose cosines run lower the confidence level rarely
/// triggers and the plain 0.35/0.65 mix applies.
pub const DENSE_FUSION: FusionConfig = FusionConfig::convex(0.35, 0.65, 50, Some(0.7));

/// Fusion for the distilled static token table (ids `static:…`), which is below BM25 on every
/// set: BM25 leads (0.8) and the table's normalised scores (0.2, over the top 100) break its ties.
/// Tuned like [`HASHED_FUSION`] with identifier-split input: worst tuning margin +0.015 (Go), every
/// margin +0.015 to +0.035 (CoSQA's tuning half +0.030), against +0.0015 for the best RRF (3/1)
/// before the split.
pub const STATIC_FUSION: FusionConfig = FusionConfig::convex(0.8, 0.2, 100, None);

/// The fusion preset for an embedder, from the kind its id names: `hashed…`, `static:…`, or a
/// learned dense model (anything else, e.g. `minilm:…` or a remote model).
pub fn fusion_for(embedder_id: &str) -> FusionConfig {
    if embedder_id.starts_with("hashed") {
        HASHED_FUSION
    } else if embedder_id.starts_with("static:") {
        STATIC_FUSION
    } else {
        DENSE_FUSION
    }
}
