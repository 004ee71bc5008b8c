//! Native checks of the facade's wire layer: per-language snapshots (shared with the browser
//! test), position encodings and options. Regenerate snapshots with `UPDATE_EXPECT=1`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use expect_test::{ExpectFile, expect_file};
use plugin_wasm::Engine;
use plugin_wasm::wire::{EngineOptions, PositionEncoding, WireStats};

fn snapshots() -> [ExpectFile; 10] {
    [
        expect_file!["expected/shapes.py.json"],
        expect_file!["expected/cart.js.json"],
        expect_file!["expected/queue.ts.json"],
        expect_file!["expected/Greeting.tsx.json"],
        expect_file!["expected/stack.rs.json"],
        expect_file!["expected/server.go.json"],
        expect_file!["expected/Account.java.json"],
        expect_file!["expected/vec.c.json"],
        expect_file!["expected/matrix.cpp.json"],
        expect_file!["expected/Inventory.cs.json"],
    ]
}

#[test]
fn each_language_matches_its_snapshot() {
    for (((path, text), language), snapshot) in common::FIXTURES
        .iter()
        .zip(common::LANGUAGES)
        .zip(snapshots())
    {
        let mut engine = Engine::with_options(&EngineOptions::default()).unwrap();
        let indexed = engine.index_text(path, text);
        assert_eq!(indexed.language.as_deref(), Some(language), "{path}");
        assert!(!indexed.chunks.is_empty(), "{path} produced no chunks");
        snapshot.assert_eq(&(serde_json::to_string_pretty(&indexed).unwrap() + "\n"));
    }
}

#[test]
fn utf16_offsets_index_javascript_strings() {
    for (path, text) in common::FIXTURES.iter().chain([&common::MIXED_WIDTH]) {
        let mut engine = Engine::with_options(&EngineOptions::default()).unwrap();
        for chunk in engine.index_text(path, text).chunks {
            let slice = common::utf16_slice(text, chunk.start, chunk.end);
            assert!(
                chunk.text.ends_with(&slice),
                "{path}: [{}, {}) is {slice:?}, chunk text is {:?}",
                chunk.start,
                chunk.end,
                chunk.text
            );
        }
    }
}

#[test]
fn utf8_offsets_are_byte_offsets() {
    let options = EngineOptions {
        position_encoding: PositionEncoding::Utf8,
        ..EngineOptions::default()
    };
    let (path, text) = common::MIXED_WIDTH;
    let mut engine = Engine::with_options(&options).unwrap();
    let chunks = engine.index_text(path, text).chunks;
    assert!(!chunks.is_empty());
    let last = chunks.last().unwrap();
    // The text ends with "clef\n": the last chunk ends at the trimmed end, in bytes.
    assert_eq!(last.end, text.trim_end().len());
    for chunk in &chunks {
        assert!(chunk.text.ends_with(&text[chunk.start..chunk.end]));
    }
    // The same text in UTF-16 ends earlier: 4-byte characters are 2 units, 2/3-byte ones 1.
    let mut utf16 = Engine::with_options(&EngineOptions::default()).unwrap();
    let last16 = utf16.index_text(path, text).chunks.pop().unwrap();
    assert_eq!(last16.end, text.trim_end().encode_utf16().count());
    assert!(last16.end < last.end);
}

#[test]
fn remove_file_and_stats_track_the_index() {
    let mut engine = Engine::with_options(&EngineOptions::default()).unwrap();
    assert_eq!(
        engine.index_stats(),
        WireStats {
            files: 0,
            chunks: 0,
            bytes: 0,
            diagnostics: 0
        }
    );
    let (py_path, py) = common::FIXTURES[0];
    let (rs_path, rs) = common::FIXTURES[4];
    let py_chunks = engine.index_text(py_path, py).chunks.len();
    let rs_chunks = engine.index_text(rs_path, rs).chunks.len();
    let stats = engine.index_stats();
    assert_eq!((stats.files, stats.chunks), (2, py_chunks + rs_chunks));
    assert_eq!(
        engine.file_chunks(rs_path).map(|c| c.len()),
        Some(rs_chunks)
    );

    assert!(engine.forget_file(py_path));
    assert!(!engine.forget_file(py_path), "second removal finds nothing");
    assert_eq!(engine.file_chunks(py_path), None);
    let stats = engine.index_stats();
    assert_eq!((stats.files, stats.chunks), (1, rs_chunks));
}

#[test]
fn max_chunk_bytes_bounds_chunks() {
    // One function of ~40 statements (~1 KB): whole at the default budget, split at 200 bytes.
    let body: String = (0..40)
        .map(|i| format!("    total += {i} * factor\n"))
        .collect();
    let text = format!("def accumulate(factor):\n    total = 0\n{body}    return total\n");
    let options = EngineOptions {
        max_chunk_bytes: Some(200),
        ..EngineOptions::default()
    };
    let mut small = Engine::with_options(&options).unwrap();
    let mut default = Engine::with_options(&EngineOptions::default()).unwrap();
    let small_chunks = small.index_text("long.py", &text).chunks;
    let default_chunks = default.index_text("long.py", &text).chunks;
    assert!(
        small_chunks.len() > default_chunks.len(),
        "{} chunks at 200 bytes vs {} at the default",
        small_chunks.len(),
        default_chunks.len()
    );
}
