//! The static table's file format and pooling, on a tiny hand-made WordPiece vocabulary: no model
//! is needed, so these run everywhere (`cargo test -p pilotfish-engine --features static-table`).
#![cfg(feature = "static-table")]

use engine::embed::Embedder;
use engine::embed::static_table::StaticTable;
use expect_test::{Expect, expect};

/// A BERT-style tokenizer (lower-casing normaliser, punctuation-splitting pre-tokenizer, WordPiece)
/// over ten tokens, with the same fixed-128 padding the packaged MiniLM tokenizer has, so the
/// tests also prove the table switches that padding off.
const TOKENIZER: &str = include_str!("fixtures/ten-token-tokenizer.json");

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
