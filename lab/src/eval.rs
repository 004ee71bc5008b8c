//! Retrieval quality metrics: MRR@k and recall@k over ranked result lists, one relevant item per
//! query (the CoSQA and docstring-query setting). The vector cache that lets evaluations reuse
//! slow transformer embeddings is [`crate::vector_cache`].

/// Quality of one retriever over a query set.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Quality {
    pub queries: usize,
    pub mrr_at_10: f64,
    pub recall_at_1: f64,
    pub recall_at_10: f64,
}

/// Scores ranked lists against the relevant item of each query. `ranked[i]` is the list for
/// query `i` (best first); duplicates after the first occurrence are ignored.
pub fn quality<T: PartialEq>(ranked: &[Vec<T>], relevant: &[T]) -> Quality {
    let queries = ranked.len().min(relevant.len());
    if queries == 0 {
        return Quality::default();
    }
    let (mut mrr, mut r1, mut r10) = (0.0, 0.0, 0.0);
    for (list, target) in ranked.iter().zip(relevant) {
        let mut seen: Vec<&T> = Vec::new();
        for item in list {
            if seen.contains(&item) {
                continue;
            }
            seen.push(item);
            if item == target {
                let rank = seen.len();
                if rank <= 10 {
                    mrr += 1.0 / rank as f64;
                    r10 += 1.0;
                }
                if rank == 1 {
                    r1 += 1.0;
                }
                break;
            }
            if seen.len() >= 10 {
                break;
            }
        }
    }
    let n = queries as f64;
    Quality {
        queries,
        mrr_at_10: mrr / n,
        recall_at_1: r1 / n,
        recall_at_10: r10 / n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_mrr_and_recall() {
        let ranked = vec![vec![1, 2, 3], vec![5, 5, 4], vec![9; 3], (10..30).collect()];
        let relevant = [1, 4, 7, 25];
        let q = quality(&ranked, &relevant);
        assert_eq!(q.queries, 4);
        // Ranks 1, 2 (the duplicate 5 does not count), missing, beyond 10.
        assert!((q.mrr_at_10 - 1.5 / 4.0).abs() < 1e-12);
        assert!((q.recall_at_1 - 0.25).abs() < 1e-12);
        assert!((q.recall_at_10 - 0.5).abs() < 1e-12);
        assert_eq!(quality::<u32>(&[], &[]), Quality::default());
    }
}
