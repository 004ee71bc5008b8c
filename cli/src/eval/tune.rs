//! `eval --tune`: grids the fusion settings (weighted RRF and convex combinations) over the
//! ranked lists already computed, per data set and embedder, and prints per embedder the settings
//! whose worst margin over the best single retriever is largest. Only tuning-half queries are
//! scored here (CoSQA dev's too), so the presets chosen from this are never reported or asserted
//! on the queries they were fitted to.

use engine::search::FusionConfig;

use super::dataset::{Dataset, Query};
use super::runs::{Runs, fused_lists, score, top10};

/// Keyword weights of weighted RRF (the vector list weighs 1).
const GRID_WEIGHTS: &[f32] = &[
    0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0,
];
/// RRF's rank constant.
const GRID_K: &[f32] = &[1.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0];
/// Convex keyword shares (the vector list gets the rest).
const GRID_SHARES: &[f32] = &[0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8];
const GRID_DEPTHS: &[u32] = &[10, 20, 30, 50, 100];
const GRID_CONFIDENT_AT: &[Option<f32>] = &[None, Some(0.6), Some(0.65), Some(0.7), Some(0.75)];

/// Every fusion setting `--tune` tries: weighted RRF (vector weight 1) and convex combinations.
fn fusion_grid() -> Vec<FusionConfig> {
    let mut grid = Vec::new();
    for &w in GRID_WEIGHTS {
        for &k in GRID_K {
            grid.push(FusionConfig::rrf(w, 1.0, k));
        }
    }
    for &share in GRID_SHARES {
        for &depth in GRID_DEPTHS {
            for &level in GRID_CONFIDENT_AT {
                let rest = ((1.0 - share) * 100.0).round() / 100.0;
                grid.push(FusionConfig::convex(share, rest, depth, level));
            }
        }
    }
    grid
}

/// Per embedder and grid point: hybrid MRR@10 minus the best single retriever's on the tuning
/// queries of one data set.
pub(super) type Margins = Vec<(String, Vec<(FusionConfig, f64, f64)>)>;

/// The margins of every grid point, per embedder, on one data set's tuning queries.
pub(super) fn grid_margins(data: &Dataset, runs: &Runs) -> Margins {
    let tune = |q: &Query| q.tune;
    let keyword_lists: Vec<Vec<usize>> = runs.keyword.iter().map(|l| top10(l)).collect();
    let keyword = score(data, &keyword_lists, tune).mrr_at_10;
    let mut out = Vec::new();
    for (label, _, lists) in &runs.vector {
        let vector_lists: Vec<Vec<usize>> = lists.iter().map(|l| top10(l)).collect();
        let best = keyword.max(score(data, &vector_lists, tune).mrr_at_10);
        let mut points = Vec::new();
        for f in fusion_grid() {
            let mrr = score(data, &fused_lists(&runs.keyword, lists, &f), tune).mrr_at_10;
            points.push((f, mrr - best, mrr));
        }
        out.push((label.to_string(), points));
    }
    out
}

/// Picks, per embedder, the grid point whose worst margin over the data sets is largest (ties:
/// larger mean MRR@10), and prints the top five.
pub(super) fn print(tuning: &[(String, Margins)]) {
    let Some((_, first)) = tuning.first() else {
        return;
    };
    println!("\n### fusion tuning (tuning halves; margin = hybrid − best single MRR@10)\n");
    for (e, (label, points)) in first.iter().enumerate() {
        let mut summary: Vec<(FusionConfig, f64, f64, Vec<f64>)> = Vec::new();
        for (p, (config, _, _)) in points.iter().enumerate() {
            let margins: Vec<f64> = tuning.iter().map(|(_, m)| m[e].1[p].1).collect();
            let mean: f64 =
                tuning.iter().map(|(_, m)| m[e].1[p].2).sum::<f64>() / tuning.len() as f64;
            let worst = margins.iter().copied().fold(f64::INFINITY, f64::min);
            summary.push((*config, worst, mean, margins));
        }
        summary.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.total_cmp(&a.2)));
        println!(
            "{label}: data sets {}",
            tuning
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for (config, worst, mean, margins) in summary.iter().take(5) {
            println!(
                "  {config}: worst margin {worst:+.4}, mean MRR@10 {mean:.4}, margins {}",
                margins
                    .iter()
                    .map(|m| format!("{m:+.4}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
}
