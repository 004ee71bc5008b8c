//! The tokenlearn-style fit on a small synthetic problem: targets are made from a hidden table,
//! so a good fit must find rows whose sums point the same way.

use engine::embed::static_table::StaticTable;
use engine::search::vector::normalize;
use lab::fit::{
    FitConfig, FitData, fit_rows, mean_cosine_loss, project_rows, sif_reweight, texts_key,
    token_counts,
};

/// A WordPiece tokenizer with exactly `VOCAB` tokens, shared with the engine's table tests.
const TOKENIZER: &str = include_str!("../../engine/tests/fixtures/ten-token-tokenizer.json");

const DIMS: usize = 4;
const VOCAB: usize = 10;

/// A fixed pseudo-random sequence in [-1, 1) (an LCG), so the problem is the same every run.
fn numbers(seed: u64, n: usize) -> Vec<f32> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Texts over tokens 0..8 (tokens 8 and 9 never occur) and targets from a hidden table.
fn problem() -> (Vec<Vec<u32>>, Vec<f32>) {
    let hidden = numbers(7, VOCAB * DIMS);
    let picks = numbers(11, 200 * 3);
    let texts: Vec<Vec<u32>> = picks
        .chunks_exact(3)
        .map(|p| p.iter().map(|x| ((x + 1.0) * 4.0) as u32 % 8).collect())
        .collect();
    let mut targets = Vec::new();
    for ids in &texts {
        let mut sum = vec![0.0f32; DIMS];
        for &id in ids {
            let row = &hidden[id as usize * DIMS..][..DIMS];
            sum.iter_mut().zip(row).for_each(|(s, x)| *s += x);
        }
        normalize(&mut sum);
        targets.extend(sum);
    }
    (texts, targets)
}

fn config() -> FitConfig {
    FitConfig {
        epochs: 60,
        learning_rate: 0.05,
        batch_size: 8,
        seed: 3,
    }
}

fn fitted() -> (Vec<f32>, f32, f32) {
    let (texts, targets) = problem();
    let data = FitData {
        texts: &texts,
        targets: &targets,
    };
    let mut rows = numbers(99, VOCAB * DIMS);
    let mut epochs = 0;
    let report = fit_rows(&mut rows, DIMS, data, &config(), &mut |_, _| epochs += 1).unwrap();
    assert_eq!(epochs, config().epochs);
    assert_eq!(report.epoch_losses.len(), config().epochs);
    let after = mean_cosine_loss(&rows, DIMS, data).unwrap();
    assert_eq!(after, *report.epoch_losses.last().unwrap());
    (rows, report.initial_loss, after)
}

#[test]
fn fitting_reduces_the_loss_and_leaves_unseen_rows_alone() {
    let (rows, before, after) = fitted();
    assert!(before > 0.2, "the random start should fit badly: {before}");
    assert!(after < 0.05, "loss {before} -> {after}");
    let start = numbers(99, VOCAB * DIMS);
    assert_eq!(
        rows[8 * DIMS..],
        start[8 * DIMS..],
        "tokens 8, 9 never occur"
    );
}

#[test]
fn fitting_is_deterministic() {
    let (a, _, _) = fitted();
    let (b, _, _) = fitted();
    assert_eq!(a, b);
}

#[test]
fn bad_input_is_a_clear_error() {
    let mut rows = vec![0.0f32; VOCAB * DIMS];
    let texts = vec![vec![1, 12]];
    let targets = vec![0.5f32; DIMS];
    let data = FitData {
        texts: &texts,
        targets: &targets,
    };
    let err = fit_rows(&mut rows, DIMS, data, &config(), &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("token id 12"), "{err}");
    let texts = vec![vec![1]];
    let short = FitData {
        texts: &texts,
        targets: &targets[..2],
    };
    let err = mean_cosine_loss(&rows, DIMS, short).unwrap_err();
    assert!(err.to_string().contains("target values"), "{err}");
    let bad_rate = FitConfig {
        learning_rate: f32::NAN,
        ..config()
    };
    let ok = FitData {
        texts: &texts,
        targets: &targets,
    };
    let err = fit_rows(&mut rows, DIMS, ok, &bad_rate, &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("learning rate"), "{err}");
}

#[test]
fn a_fitted_table_round_trips_through_its_file_format() {
    let (rows, _, _) = fitted();
    let table = StaticTable::from_rows("fit", TOKENIZER.as_bytes(), DIMS, &rows).unwrap();
    let back = StaticTable::from_bytes(&table.to_bytes()).unwrap();
    assert_eq!(back.to_bytes(), table.to_bytes());
    for token in 0..VOCAB as u32 {
        let row = back.row(token).unwrap();
        let expected = &rows[token as usize * DIMS..][..DIMS];
        let max = expected.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        for (a, e) in row.iter().zip(expected) {
            // int8 with a per-row scale: error at most half a step.
            assert!(
                (a - e).abs() <= max / 254.0 + 1e-6,
                "{row:?} vs {expected:?}"
            );
        }
    }
}

#[test]
fn corpus_sif_weights_frequent_tokens_down() {
    let texts = vec![vec![0, 1, 1, 1], vec![1, 2]];
    let counts = token_counts(&texts, 4);
    assert_eq!(counts, vec![1, 4, 1, 0]);
    let mut rows = vec![2.0f32, 0.0, 0.0, 3.0, 1.0, 1.0, 0.0, 5.0];
    sif_reweight(&mut rows, 2, &counts, 0.1);
    let norm = |i: usize| (rows[2 * i].powi(2) + rows[2 * i + 1].powi(2)).sqrt();
    // p = (count + 1) / (6 + 4): weights a / (a + p).
    let weight = |count: f32| 0.1 / (0.1 + (count + 1.0) / 10.0);
    for (i, count) in [1.0, 4.0, 1.0, 0.0].into_iter().enumerate() {
        assert!((norm(i) - weight(count)).abs() < 1e-6, "{rows:?}");
    }
    assert!(norm(1) < norm(0) && norm(0) < norm(3));
}

#[test]
fn the_teacher_cache_key_changes_with_any_text_or_the_model() {
    let texts = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let base = texts_key(&texts(&["a b", "c"]), "m1");
    assert_eq!(base, texts_key(&texts(&["a b", "c"]), "m1"));
    assert_ne!(base, texts_key(&texts(&["a", "b c"]), "m1"));
    assert_ne!(base, texts_key(&texts(&["a b", "c"]), "m2"));
    assert_ne!(base, texts_key(&texts(&["c", "a b"]), "m1"));
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn rows_in_a_plane_keep_their_dot_products_in_two_dimensions() {
    // Four 3-d rows spanned by (1, 1, 0) and (0, 0, 1): rank two, so two axes lose nothing.
    let rows = [
        1.0, 1.0, 0.5, 2.0, 2.0, -1.0, -0.5, -0.5, 3.0, 0.0, 0.0, 1.0,
    ];
    let projected = project_rows(&rows, 3, 2).unwrap();
    assert_eq!(projected.len(), 8);
    for i in 0..4 {
        for j in 0..4 {
            let before = dot(&rows[3 * i..3 * i + 3], &rows[3 * j..3 * j + 3]);
            let after = dot(&projected[2 * i..2 * i + 2], &projected[2 * j..2 * j + 2]);
            assert!(
                (before - after).abs() < 1e-4,
                "rows {i},{j}: {before} vs {after}"
            );
        }
    }
    // One axis keeps the dominant direction only, and loses the rest.
    let one = project_rows(&rows, 3, 1).unwrap();
    assert_eq!(one.len(), 4);
    assert!(project_rows(&rows, 3, 4).is_err());
    assert!(project_rows(&rows[..5], 3, 2).is_err());
}
