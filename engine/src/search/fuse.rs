//! Fusion of the keyword and vector result lists, with an explanation per hit so a host can show
//! why a chunk was chosen. Two methods:
//!
//! - **Weighted reciprocal-rank fusion**: each list contributes `weight / (k + rank)`. It ignores
//!   raw scores, which live on unrelated scales (BM25 is unbounded, cosine is in [-1, 1]).
//! - **Convex combination of normalised scores**: each list's scores are min-max normalised over
//!   its top `depth` hits (clamped at 0 below that), then weighted and summed. Unlike RRF it keeps
//!   how far apart the hits are, so a list with one clear winner can outvote a list of near-ties.
//!   Optionally the keyword list is dropped for a query when the top vector score reaches a
//!   confidence level: a learned embedder that is sure of its answer (CoSQA's web queries) is
//!   only disturbed by BM25, while descriptive queries far from any chunk gain from it.
//!
//! Equal-weight RRF lets a weak retriever drag a strong one down (CoSQA: equal-weight RRF 0.45
//! below dense alone 0.53), so the method and weights are configuration, tuned on dev data
//! (`pilotfish eval --tune`).

use rustc_hash::FxHashMap;

use super::bm25::Scored;

/// How the two lists are combined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FusionMethod {
    /// Weighted reciprocal-rank fusion; `k` is the rank offset (larger flattens the top ranks).
    Rrf { k: f32 },
    /// Weighted sum of min-max normalised scores over each list's top `depth` hits.
    Convex {
        depth: u32,
        /// The top vector score at or above which this query ignores the keyword list.
        vector_confident_at: Option<f32>,
    },
}

/// Fusion settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FusionConfig {
    pub keyword_weight: f32,
    pub vector_weight: f32,
    pub method: FusionMethod,
}

impl Default for FusionConfig {
    fn default() -> Self {
        FusionConfig::rrf(1.0, 1.0, 60.0)
    }
}

impl FusionConfig {
    /// Weighted RRF.
    pub const fn rrf(keyword_weight: f32, vector_weight: f32, k: f32) -> Self {
        FusionConfig {
            keyword_weight,
            vector_weight,
            method: FusionMethod::Rrf { k },
        }
    }

    /// Convex combination of normalised scores.
    pub const fn convex(
        keyword_weight: f32,
        vector_weight: f32,
        depth: u32,
        vector_confident_at: Option<f32>,
    ) -> Self {
        FusionConfig {
            keyword_weight,
            vector_weight,
            method: FusionMethod::Convex {
                depth,
                vector_confident_at,
            },
        }
    }
}

impl FusionConfig {
    /// Checks that every setting is a finite number (and RRF's `k` not negative), so fusion
    /// cannot turn scores into NaN or infinities: `1 / (k + rank)` divides by zero at `k = -1`.
    /// Hosts and snapshots can set these, so they are checked rather than trusted.
    pub fn validate(&self) -> Result<(), String> {
        let finite = |name: &str, value: f32| {
            if value.is_finite() {
                Ok(())
            } else {
                Err(format!("{name} must be a finite number, got {value}"))
            }
        };
        finite("keywordWeight", self.keyword_weight)?;
        finite("vectorWeight", self.vector_weight)?;
        match self.method {
            FusionMethod::Rrf { k } => {
                finite("rrfK", k)?;
                if k < 0.0 {
                    return Err(format!("rrfK must be a finite number >= 0, got {k}"));
                }
            }
            FusionMethod::Convex {
                vector_confident_at,
                ..
            } => {
                if let Some(level) = vector_confident_at {
                    finite("vectorConfidentAt", level)?;
                }
            }
        }
        Ok(())
    }
}

/// The two fusion methods by name, for hosts that pick one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FusionKind {
    Rrf,
    Convex,
}

/// Changes a host asks for on top of a preset; every unset field keeps the preset's value.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FusionOverrides {
    pub keyword_weight: Option<f32>,
    pub vector_weight: Option<f32>,
    pub method: Option<FusionKind>,
    pub rrf_k: Option<f32>,
    pub convex_depth: Option<u32>,
    /// `Some(None)` turns the confidence rule off.
    pub vector_confident_at: Option<Option<f32>>,
}

/// RRF's usual rank offset, for a preset that was convex.
const DEFAULT_RRF_K: f32 = 60.0;
/// Normalisation depth for a preset that was RRF.
const DEFAULT_CONVEX_DEPTH: u32 = 20;

impl FusionConfig {
    /// This configuration with a host's overrides applied. Switching the method keeps the
    /// weights; the new method's own settings come from the overrides or its defaults.
    pub fn with_overrides(self, overrides: &FusionOverrides) -> FusionConfig {
        let (base_k, base_depth, base_level) = match self.method {
            FusionMethod::Rrf { k } => (k, DEFAULT_CONVEX_DEPTH, None),
            FusionMethod::Convex {
                depth,
                vector_confident_at,
            } => (DEFAULT_RRF_K, depth, vector_confident_at),
        };
        let kind = overrides.method.unwrap_or(match self.method {
            FusionMethod::Rrf { .. } => FusionKind::Rrf,
            FusionMethod::Convex { .. } => FusionKind::Convex,
        });
        let method = match kind {
            FusionKind::Rrf => FusionMethod::Rrf {
                k: overrides.rrf_k.unwrap_or(base_k),
            },
            FusionKind::Convex => FusionMethod::Convex {
                depth: overrides.convex_depth.unwrap_or(base_depth),
                vector_confident_at: overrides.vector_confident_at.unwrap_or(base_level),
            },
        };
        FusionConfig {
            keyword_weight: overrides.keyword_weight.unwrap_or(self.keyword_weight),
            vector_weight: overrides.vector_weight.unwrap_or(self.vector_weight),
            method,
        }
    }
}

impl std::fmt::Display for FusionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (keyword, vector) = (self.keyword_weight, self.vector_weight);
        match self.method {
            FusionMethod::Rrf { k } => write!(f, "RRF keyword {keyword} / vector {vector}, k {k}"),
            FusionMethod::Convex {
                depth,
                vector_confident_at,
            } => {
                write!(
                    f,
                    "convex keyword {keyword} / vector {vector}, depth {depth}"
                )?;
                match vector_confident_at {
                    Some(level) => write!(f, ", vector alone from {level}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// Where a hit stood in one retriever's list (rank is 1-based).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankScore {
    pub rank: u32,
    pub score: f32,
}

/// Why a hit was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Explanation {
    pub keyword: Option<RankScore>,
    pub vector: Option<RankScore>,
    pub fused: f32,
}

/// A fused hit: a document slot and its explanation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FusedHit {
    pub doc: u32,
    pub explanation: Explanation,
}

/// Fuses two ranked lists (best first). The result holds every document of either list, sorted by
/// fused score, then by the best rank it reached in either list, then by slot for determinism.
pub fn fuse(keyword: &[Scored], vector: &[Scored], config: &FusionConfig) -> Vec<FusedHit> {
    let mut keyword_weight = config.keyword_weight;
    if let FusionMethod::Convex {
        vector_confident_at: Some(level),
        ..
    } = config.method
        && vector.first().is_some_and(|top| top.score >= level)
    {
        keyword_weight = 0.0;
    }
    let mut by_doc: FxHashMap<u32, Explanation> = FxHashMap::default();
    for (list, weight, is_keyword) in [
        (keyword, keyword_weight, true),
        (vector, config.vector_weight, false),
    ] {
        let contribution = Contribution::new(list, &config.method);
        for (i, hit) in list.iter().enumerate() {
            let rank = i as u32 + 1;
            let e = by_doc.entry(hit.doc).or_default();
            let place = Some(RankScore {
                rank,
                score: hit.score,
            });
            if is_keyword {
                e.keyword = place;
            } else {
                e.vector = place;
            }
            e.fused += weight * contribution.of(rank, hit.score);
        }
    }
    let mut hits: Vec<FusedHit> = by_doc
        .into_iter()
        .map(|(doc, explanation)| FusedHit { doc, explanation })
        .collect();
    let best_rank = |e: &Explanation| {
        let rank = |r: Option<RankScore>| r.map_or(u32::MAX, |r| r.rank);
        rank(e.keyword).min(rank(e.vector))
    };
    hits.sort_unstable_by(|a, b| {
        b.explanation
            .fused
            .total_cmp(&a.explanation.fused)
            .then(best_rank(&a.explanation).cmp(&best_rank(&b.explanation)))
            .then(a.doc.cmp(&b.doc))
    });
    hits
}

/// What one hit of a list adds to its document's fused score, before the list's weight.
enum Contribution {
    Rrf {
        k: f32,
    },
    /// `(score - floor) / span`, clamped at 0: `floor` is the score at the list's `depth`.
    Normalised {
        floor: f32,
        span: f32,
    },
}

impl Contribution {
    fn new(list: &[Scored], method: &FusionMethod) -> Self {
        match *method {
            FusionMethod::Rrf { k } => Contribution::Rrf { k },
            FusionMethod::Convex { depth, .. } => {
                let top = list.first().map_or(0.0, |h| h.score);
                let floor = list
                    .get((depth.max(1) as usize).min(list.len()).saturating_sub(1))
                    .map_or(0.0, |h| h.score);
                let span = top - floor;
                Contribution::Normalised {
                    floor,
                    // One hit, or all tied: every listed hit counts fully.
                    span: if span > f32::EPSILON { span } else { 0.0 },
                }
            }
        }
    }

    fn of(&self, rank: u32, score: f32) -> f32 {
        match *self {
            Contribution::Rrf { k } => 1.0 / (k + rank as f32),
            Contribution::Normalised { floor, span } if span > 0.0 => {
                ((score - floor) / span).max(0.0)
            }
            Contribution::Normalised { floor, .. } => {
                if score >= floor {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

/// Keeps at most `per_group` hits of each group (e.g. file) and at most `limit` overall, in order.
pub fn cap_per_group<G: Eq + std::hash::Hash>(
    hits: impl IntoIterator<Item = FusedHit>,
    group: impl Fn(u32) -> G,
    per_group: usize,
    limit: usize,
) -> Vec<FusedHit> {
    let mut counts: FxHashMap<G, usize> = FxHashMap::default();
    let mut out = Vec::new();
    for hit in hits {
        if out.len() >= limit {
            break;
        }
        let count = counts.entry(group(hit.doc)).or_default();
        if *count < per_group {
            *count += 1;
            out.push(hit);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_start_from_the_preset() {
        let hashed = FusionConfig::rrf(3.0, 1.0, 5.0);
        let none = FusionOverrides::default();
        assert_eq!(hashed.with_overrides(&none), hashed);
        let weight = FusionOverrides {
            keyword_weight: Some(0.5),
            ..none
        };
        assert_eq!(
            hashed.with_overrides(&weight),
            FusionConfig::rrf(0.5, 1.0, 5.0)
        );
        let convex = FusionOverrides {
            method: Some(FusionKind::Convex),
            vector_confident_at: Some(Some(0.7)),
            ..none
        };
        assert_eq!(
            hashed.with_overrides(&convex),
            FusionConfig::convex(3.0, 1.0, 20, Some(0.7))
        );
        let rrf = FusionOverrides {
            method: Some(FusionKind::Rrf),
            rrf_k: Some(60.0),
            ..none
        };
        assert_eq!(
            hashed.with_overrides(&rrf),
            FusionConfig::rrf(3.0, 1.0, 60.0)
        );
    }

    #[test]
    fn the_confidence_rule_can_be_turned_off() {
        let dense = FusionConfig::convex(0.3, 0.7, 20, Some(0.7));
        let off = FusionOverrides {
            vector_confident_at: Some(None),
            convex_depth: Some(50),
            ..FusionOverrides::default()
        };
        assert_eq!(
            dense.with_overrides(&off),
            FusionConfig::convex(0.3, 0.7, 50, None)
        );
    }

    fn list(docs: &[u32]) -> Vec<Scored> {
        docs.iter()
            .enumerate()
            .map(|(i, &doc)| Scored {
                doc,
                score: 10.0 - i as f32,
            })
            .collect()
    }

    #[test]
    fn weights_decide_between_retrievers_and_explain() {
        let keyword = list(&[1, 2, 3]);
        let vector = list(&[3, 4, 1]);
        let equal = fuse(&keyword, &vector, &FusionConfig::default());
        assert_eq!(equal[0].doc, 1);
        let e = equal[0].explanation;
        assert_eq!(e.keyword.map(|r| r.rank), Some(1));
        assert_eq!(e.vector.map(|r| r.rank), Some(3));
        assert!((e.fused - (1.0 / 61.0 + 1.0 / 63.0)).abs() < 1e-6);
        let dense_heavy = fuse(&keyword, &vector, &FusionConfig::rrf(0.1, 1.0, 60.0));
        let order: Vec<u32> = dense_heavy.iter().map(|h| h.doc).collect();
        // Doc 1 keeps second place only thanks to its vector rank; doc 4 has no keyword rank.
        assert_eq!(order, vec![3, 1, 4, 2]);
        assert_eq!(dense_heavy[2].explanation.keyword, None);
    }

    fn scored(pairs: &[(u32, f32)]) -> Vec<Scored> {
        pairs
            .iter()
            .map(|&(doc, score)| Scored { doc, score })
            .collect()
    }

    fn order(hits: &[FusedHit]) -> Vec<u32> {
        hits.iter().map(|h| h.doc).collect()
    }

    #[test]
    fn convex_lets_a_clear_winner_outvote_near_ties() {
        // BM25 is sure of doc 7; the vector list barely separates 1, 2 and 7.
        let keyword = scored(&[(7, 30.0), (1, 5.0), (2, 4.9), (8, 4.0), (9, 3.0)]);
        let vector = scored(&[(1, 0.52), (2, 0.51), (7, 0.50), (8, 0.30), (9, 0.20)]);
        // RRF only sees ranks: with the vector list weighted higher, doc 1 wins.
        let rrf = fuse(&keyword, &vector, &FusionConfig::rrf(0.5, 1.0, 3.0));
        assert_eq!(rrf[0].doc, 1);
        let convex = fuse(&keyword, &vector, &FusionConfig::convex(0.5, 0.5, 5, None));
        assert_eq!(order(&convex), vec![7, 1, 2, 8, 9]);
        // Doc 7: keyword normalised 1.0, vector (0.50 - 0.20) / (0.52 - 0.20).
        assert!((convex[0].explanation.fused - (0.5 + 0.5 * 0.30 / 0.32)).abs() < 1e-5);
    }

    #[test]
    fn convex_clamps_below_the_depth_and_ranks_the_tail_by_best_rank() {
        let keyword = scored(&[(1, 9.0), (2, 8.0), (3, 7.0), (4, 1.0)]);
        let vector = scored(&[(5, 0.9), (6, 0.8)]);
        let hits = fuse(&keyword, &vector, &FusionConfig::convex(1.0, 1.0, 2, None));
        // Docs 2 and 6 sit at their lists' floors (0), doc 3 and 4 below them (clamped to 0):
        // ties are ordered by the best rank reached, then by slot.
        assert_eq!(order(&hits), vec![1, 5, 2, 6, 3, 4]);
        assert!(hits[2..].iter().all(|h| h.explanation.fused == 0.0));
    }

    #[test]
    fn convex_ignores_keywords_when_the_vector_list_is_confident() {
        let keyword = scored(&[(1, 20.0), (2, 2.0)]);
        let vector = scored(&[(2, 0.8), (1, 0.6)]);
        let config = FusionConfig::convex(0.7, 0.3, 2, Some(0.75));
        assert_eq!(order(&fuse(&keyword, &vector, &config)), vec![2, 1]);
        // Just below the level, the keyword list counts again.
        let unsure = scored(&[(2, 0.74), (1, 0.6)]);
        let hits = fuse(&keyword, &unsure, &config);
        assert_eq!(order(&hits), vec![1, 2]);
        // The explanation still shows the keyword rank it had.
        assert_eq!(hits[0].explanation.keyword.map(|r| r.rank), Some(1));
    }

    #[test]
    fn convex_handles_single_and_tied_lists() {
        let hits = fuse(
            &scored(&[(1, 3.0)]),
            &scored(&[(2, 0.5), (3, 0.5)]),
            &FusionConfig::convex(1.0, 1.0, 10, None),
        );
        assert_eq!(order(&hits), vec![1, 2, 3]);
        assert!(hits.iter().all(|h| h.explanation.fused == 1.0));
        assert!(fuse(&[], &[], &FusionConfig::convex(1.0, 1.0, 0, None)).is_empty());
    }

    #[test]
    fn caps_hits_per_group() {
        let hits = fuse(&list(&[1, 2, 3, 4, 5]), &[], &FusionConfig::default());
        let capped = cap_per_group(hits, |doc| doc % 2, 2, 10);
        assert_eq!(
            capped.iter().map(|h| h.doc).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        let hits = fuse(&list(&[1, 2, 3]), &[], &FusionConfig::default());
        assert_eq!(cap_per_group(hits, |d| d, 5, 2).len(), 2);
    }
}
