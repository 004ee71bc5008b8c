//! The static table's file format and pooling, on a tiny hand-made WordPiece vocabulary: no model
//! is needed, so these run everywhere (`cargo test -p pilotfish-engine --features static-table`).
#![cfg(feature = "static-table")]

use engine::embed::Embedder;
use engine::embed::static_table::StaticTable;
use expect_test::{Expect, expect};

/// A BERT-style tokenizer (lower-casing normaliser, punctuation-splitting pre-tokenizer, WordPiece)
/// over ten tokens, with the same fixed-128 padding the packaged MiniLM tokenizer has, so the
/// tests also prove the table switches that padding off.
const TOKENIZER: &str = r###"{
  "version": "1.0",
  "truncation": {"direction": "Right", "max_length": 128, "strategy": "LongestFirst", "stride": 0},
  "padding": {"strategy": {"Fixed": 128}, "direction": "Right", "pad_to_multiple_of": null,
              "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
  "added_tokens": [],
  "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                 "strip_accents": null, "lowercase": true},
  "pre_tokenizer": {"type": "BertPreTokenizer"},
  "post_processor": null,
  "decoder": null,
  "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": {"[PAD]": 0, "[UNK]": 1, "parse": 2, "json": 3, "read": 4, "file": 5,
                      "##s": 6, "(": 7, ")": 8, "sort": 9}}
}"###;

const DIMS: usize = 3;

/// One row per token; distinct directions so sums are easy to check by hand.
fn rows() -> Vec<f32> {
    #[rustfmt::skip]
    let rows = vec![
        0.0, 0.0, 0.0,   // [PAD]
        0.0, 0.0, 0.5,   // [UNK]
        1.0, 0.0, 0.0,   // parse
        0.0, 1.0, 0.0,   // json
        0.5, 0.5, 0.0,   // read
        0.0, 0.5, 0.5,   // file
        0.0, 0.0, 0.1,   // ##s
        0.01, 0.0, 0.0,  // (
        0.0, 0.01, 0.0,  // )
        -1.0, 0.0, 0.0,  // sort
    ];
    rows
}

fn table() -> StaticTable {
    StaticTable::from_rows("tiny", TOKENIZER.as_bytes(), DIMS, &rows()).expect("valid table")
}

fn assert_close(actual: &[f32], expected: &[f32]) {
    assert_eq!(actual.len(), expected.len());
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < 0.01, "{actual:?} != {expected:?}");
    }
}

fn unit(v: [f32; 3]) -> [f32; 3] {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.map(|x| x / n)
}

#[test]
fn embeds_the_normalised_sum_of_word_piece_rows() {
    let table = table();
    let vectors = table
        .embed(&["Parse JSON", "read files", "", "parse(x)"])
        .unwrap();
    // "Parse JSON" → parse + json.
    assert_close(&vectors[0], &unit([1.0, 1.0, 0.0]));
    // "read files" → read + file + ##s: WordPiece splits "files", the way the model does.
    assert_close(&vectors[1], &unit([0.5, 1.0, 0.6]));
    // No token: the zero vector, which matches nothing (and is the only non-unit output).
    assert_eq!(vectors[2], vec![0.0; DIMS]);
    // "parse(x)" → parse ( [UNK] ): punctuation split, unknown word maps to [UNK].
    assert_close(&vectors[3], &unit([1.01, 0.0, 0.5]));
    assert_eq!(table.dimensions(), DIMS);
}

#[test]
fn file_round_trip_keeps_rows_id_and_vectors() {
    let table = table();
    let bytes = table.to_bytes();
    let reloaded = StaticTable::from_bytes(&bytes).expect("reload");
    assert_eq!(reloaded.id(), table.id());
    assert_eq!(reloaded.rows(), 10);
    assert_eq!(reloaded.model_id(), "tiny");
    assert_eq!(reloaded.to_bytes(), bytes, "serialisation is deterministic");
    let texts = ["sort json files", "read(file)"];
    assert_eq!(
        reloaded.embed(&texts).unwrap(),
        table.embed(&texts).unwrap()
    );
    // int8 with a per-row scale: each value within half a step (max/254) of the original.
    for (token, expected) in rows().chunks_exact(DIMS).enumerate() {
        let row = reloaded.row(token as u32).unwrap();
        let step = expected.iter().fold(0.0f32, |m, x| m.max(x.abs())) / 127.0;
        for (a, e) in row.iter().zip(expected) {
            assert!(
                (a - e).abs() <= step / 2.0 + 1e-7,
                "token {token}: {row:?} vs {expected:?}"
            );
        }
    }
    assert!(reloaded.row(10).is_none());
}

#[test]
fn id_changes_with_the_table_contents() {
    let mut other = rows();
    other[6] = 0.9;
    let changed = StaticTable::from_rows("tiny", TOKENIZER.as_bytes(), DIMS, &other).unwrap();
    assert_ne!(changed.id(), table().id());
}

fn check_error(bytes: &[u8], expect: Expect) {
    let error = StaticTable::from_bytes(bytes).expect_err("must be rejected");
    expect.assert_eq(&error.to_string());
}

#[test]
fn broken_files_are_rejected_with_a_clear_error() {
    let good = table().to_bytes();
    check_error(
        b"",
        expect!["model data is invalid: not a static embedding table (bad magic)"],
    );
    check_error(
        b"GGUF\0\0\0\0\0\0\0\0\0\0\0\0",
        expect!["model data is invalid: not a static embedding table (bad magic)"],
    );
    check_error(
        &good[..10],
        expect!["model data is invalid: static table is truncated"],
    );

    let mut flipped = good.clone();
    let last_row_byte = good.len() - 5;
    flipped[last_row_byte] ^= 0x40;
    check_error(
        &flipped,
        expect!["model data is invalid: static table checksum mismatch (file is corrupted)"],
    );

    let mut future = good.clone();
    future[8] = 2;
    check_error(
        &future,
        expect!["model data is invalid: static table version 2 is not supported (expected 1)"],
    );

    // A consistent file (valid checksum) whose row count is cut: the body is re-sealed by hand.
    let mut cut = good[..good.len() - 4 - (DIMS + 4)].to_vec();
    cut[16..20].copy_from_slice(&9u32.to_le_bytes());
    let checksum = crc32(&cut);
    cut.extend_from_slice(&checksum.to_le_bytes());
    check_error(
        &cut,
        expect!["model data is invalid: the tokenizer has 10 tokens but the table only 9 rows"],
    );
}

#[test]
fn bad_rows_are_rejected_when_building() {
    let error = StaticTable::from_rows("tiny", TOKENIZER.as_bytes(), DIMS, &[1.0; 4]).unwrap_err();
    expect!["model data is invalid: 4 values do not form rows of 3 dimensions"]
        .assert_eq(&error.to_string());
    let mut nan = rows();
    nan[4] = f32::NAN;
    let error = StaticTable::from_rows("tiny", TOKENIZER.as_bytes(), DIMS, &nan).unwrap_err();
    expect!["model data is invalid: table rows contain a non-finite value"]
        .assert_eq(&error.to_string());
    let error = StaticTable::from_rows("tiny", b"{not json", DIMS, &rows()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("model data is invalid: tokenizer.json:"),
        "{error}"
    );
}

/// CRC-32 (IEEE), bit by bit: an independent check of the format's checksum.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

mod fit {
    //! The tokenlearn-style fit on a small synthetic problem: targets are made from a hidden table,
    //! so a good fit must find rows whose sums point the same way.

    use engine::embed::fit::{
        FitConfig, FitData, fit_rows, mean_cosine_loss, sif_reweight, texts_key, token_counts,
    };
    use engine::embed::static_table::{StaticTable, normalize};

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
        let table =
            StaticTable::from_rows("fit", super::TOKENIZER.as_bytes(), DIMS, &rows).unwrap();
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
}

mod projection {
    use engine::embed::fit::project_rows;

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
}
