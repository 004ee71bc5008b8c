//! Native checks of the facade's wire layer: per-language snapshots (shared with the browser
//! test), position encodings and options. Regenerate snapshots with `UPDATE_EXPECT=1`.
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod embed_common;

use engine::project::Control;
use expect_test::{ExpectFile, expect_file};
use plugin_wasm::options::{EngineOptions, FileInput, PositionEncoding, WireSearchOptions};
use plugin_wasm::wire::WireStats;
use plugin_wasm::{Engine, Error};

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
        let indexed = engine.index_text(path, text).unwrap();
        assert_eq!(indexed.language.as_deref(), Some(language), "{path}");
        assert!(!indexed.chunks.is_empty(), "{path} produced no chunks");
        snapshot.assert_eq(&(serde_json::to_string_pretty(&indexed).unwrap() + "\n"));
    }
}

#[test]
fn utf16_offsets_index_javascript_strings() {
    for (path, text) in common::FIXTURES.iter().chain([&common::MIXED_WIDTH]) {
        let mut engine = Engine::with_options(&EngineOptions::default()).unwrap();
        for chunk in engine.index_text(path, text).unwrap().chunks {
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
    let chunks = engine.index_text(path, text).unwrap().chunks;
    assert!(!chunks.is_empty());
    let last = chunks.last().unwrap();
    // The text ends with "clef\n": the last chunk ends at the trimmed end, in bytes.
    assert_eq!(last.end, text.trim_end().len());
    for chunk in &chunks {
        assert!(chunk.text.ends_with(&text[chunk.start..chunk.end]));
    }
    // The same text in UTF-16 ends earlier: 4-byte characters are 2 units, 2/3-byte ones 1.
    let mut utf16 = Engine::with_options(&EngineOptions::default()).unwrap();
    let last16 = utf16.index_text(path, text).unwrap().chunks.pop().unwrap();
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
    let py_chunks = engine.index_text(py_path, py).unwrap().chunks.len();
    let rs_chunks = engine.index_text(rs_path, rs).unwrap().chunks.len();
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
    let small_chunks = small.index_text("long.py", &text).unwrap().chunks;
    let default_chunks = default.index_text("long.py", &text).unwrap().chunks;
    assert!(
        small_chunks.len() > default_chunks.len(),
        "{} chunks at 200 bytes vs {} at the default",
        small_chunks.len(),
        default_chunks.len()
    );
}

fn table_engine() -> Engine {
    let mut engine = Engine::with_options(&EngineOptions::default()).unwrap();
    engine
        .load_static_table_bytes(&embed_common::table_bytes())
        .unwrap();
    engine
}

#[test]
fn static_table_embeddings_match_the_shared_snapshot() {
    let engine = table_engine();
    let info = engine.embedder_info();
    assert_eq!((info.kind, info.dimensions), ("static", embed_common::DIMS));
    assert!(info.id.starts_with("static:tiny-test:8:"), "{}", info.id);
    let flat = engine.embed_flat(&embed_common::TEXTS).unwrap();
    assert_eq!(flat.len(), embed_common::TEXTS.len() * embed_common::DIMS);
    // Known words embed to unit vectors; the empty text to zeros.
    let norm: f32 = flat[..8].iter().map(|x| x * x).sum();
    assert!((norm - 1.0).abs() < 1e-5, "{norm}");
    assert!(flat[32..].iter().all(|&x| x == 0.0));
    expect_file!["expected/tiny-table-embeddings.txt"].assert_eq(&embed_common::render(&flat));
}

#[test]
fn the_default_embedder_is_hashed_and_tables_load_only_into_empty_engines() {
    let mut engine = Engine::with_options(&EngineOptions::default()).unwrap();
    assert_eq!(engine.embedder_info().kind, "hashed");
    let mut corrupt = embed_common::table_bytes();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0x55;
    let error = engine.load_static_table_bytes(&corrupt).unwrap_err();
    assert!(error.to_string().contains("checksum"), "{error}");
    let error = engine.load_static_table_bytes(b"not a table").unwrap_err();
    assert!(error.to_string().contains("bad magic"), "{error}");
    assert_eq!(
        engine.embedder_info().kind,
        "hashed",
        "a failed load changes nothing"
    );
    engine
        .index_text("a.py", "def f():\n    return 1\n")
        .unwrap();
    let error = engine
        .load_static_table_bytes(&embed_common::table_bytes())
        .unwrap_err();
    assert!(error.to_string().contains("before indexing"), "{error}");
}

#[test]
fn search_uses_the_loaded_table() {
    let mut engine = table_engine();
    for (path, text) in common::FIXTURES {
        engine.index_text(path, text).unwrap();
    }
    let options = WireSearchOptions {
        mode: Some("vector".into()),
        ..WireSearchOptions::default()
    };
    let hits = engine
        .search_native("total price of cart items", &options)
        .unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h.vector.is_some()));
}

fn files(n: usize) -> Vec<FileInput> {
    (0..n)
        .map(|i| FileInput {
            path: format!("src/m{i}.py"),
            text: format!("def handler_{i}(request):\n    return request.json()\n"),
        })
        .collect()
}

#[test]
fn bulk_indexing_reports_progress_and_cancels() {
    let mut engine = table_engine();
    let mut seen = Vec::new();
    let report = engine
        .index_files_with_progress(&files(4), |done, total| {
            seen.push((done, total));
            Ok(if done == 2 {
                Control::Stop
            } else {
                Control::Continue
            })
        })
        .unwrap();
    assert_eq!(seen, vec![(1, 4), (2, 4)]);
    assert!(report.cancelled);
    assert_eq!((report.files, report.chunks, report.embedded), (2, 2, 2));
    assert_eq!(
        engine.index_stats().files,
        2,
        "files before the stop stay indexed"
    );
    // Running it again to the end: the first two are unchanged, nothing is re-embedded for them.
    let report = engine
        .index_files_with_progress(&files(4), |_, _| Ok(Control::Continue))
        .unwrap();
    assert!(!report.cancelled);
    assert_eq!((report.files, report.unchanged, report.embedded), (4, 2, 2));
    let error = engine
        .index_files_with_progress(&files(1), |_, _| Err(Error::Callback("boom".into())))
        .unwrap_err();
    assert!(error.to_string().contains("boom"), "{error}");
}

#[test]
fn restore_brings_chunks_back() {
    let mut engine = table_engine();
    for (path, text) in common::FIXTURES.iter().chain([&common::MIXED_WIDTH]) {
        engine.index_text(path, text).unwrap();
    }
    let bytes = engine.snapshot_bytes();

    let mut restored = table_engine();
    restored.restore_bytes(&bytes).unwrap();
    assert_eq!(restored.index_stats(), engine.index_stats());
    for (path, _) in common::FIXTURES.iter().chain([&common::MIXED_WIDTH]) {
        let chunks = restored.file_chunks(path);
        assert!(chunks.as_ref().is_some_and(|c| !c.is_empty()), "{path}");
        assert_eq!(chunks, engine.file_chunks(path), "{path}");
    }
    let query = WireSearchOptions::default();
    assert_eq!(
        restored.search_native("parse the header", &query).unwrap(),
        engine.search_native("parse the header", &query).unwrap()
    );

    // Offsets are not stored but derived from each file's position map, so a UTF-8 engine
    // restores a UTF-16 engine's snapshot and reports bytes.
    let mut utf8 = Engine::with_options(&EngineOptions {
        position_encoding: PositionEncoding::Utf8,
        ..EngineOptions::default()
    })
    .unwrap();
    utf8.load_static_table_bytes(&embed_common::table_bytes())
        .unwrap();
    utf8.restore_bytes(&bytes).unwrap();
    let (path, text) = common::MIXED_WIDTH;
    let last = utf8.file_chunks(path).unwrap().pop().unwrap();
    assert_eq!(last.end, text.trim_end().len());
    // The snapshot was chunked with the default options: an engine asked for other ones says so
    // rather than mixing two chunkings in one index.
    let mut small = Engine::with_options(&EngineOptions {
        max_chunk_bytes: Some(200),
        ..EngineOptions::default()
    })
    .unwrap();
    small
        .load_static_table_bytes(&embed_common::table_bytes())
        .unwrap();
    let error = small.restore_bytes(&bytes).unwrap_err().to_string();
    assert!(
        error.contains("maxChunkBytes: 1500") && error.contains("maxChunkBytes: 200"),
        "{error}"
    );
    // Vectors of the table cannot be searched with the hashed embedder.
    let mut hashed = Engine::with_options(&EngineOptions::default()).unwrap();
    let error = hashed.restore_bytes(&bytes).unwrap_err();
    assert!(error.to_string().contains("static:tiny-test"), "{error}");
    for rejected in [&small, &hashed] {
        assert_eq!(
            rejected.index_stats().files,
            0,
            "a rejected restore changes nothing"
        );
    }
}

/// The one-owner test: the engine chunks each file once, with the host's options, and search
/// returns exactly those chunks. (The facade once kept its own listing chunked with the host's
/// `maxChunkBytes` while search indexed default-sized chunks, so hits covered lines the page
/// never showed.)
#[test]
fn every_search_hit_is_one_of_the_files_chunks() {
    let options = EngineOptions {
        max_chunk_bytes: Some(200),
        ..EngineOptions::default()
    };
    let mut engine = Engine::with_options(&options).unwrap();
    let mut default = Engine::with_options(&EngineOptions::default()).unwrap();
    let (long_path, long_text) = common::LONG_FUNCTION;
    for (path, text) in common::FIXTURES.iter().chain([&common::LONG_FUNCTION]) {
        engine.index_text(path, text).unwrap();
    }
    let split = engine.file_chunks(long_path).unwrap().len();
    let whole = default
        .index_text(long_path, long_text)
        .unwrap()
        .chunks
        .len();
    assert!(split > whole, "{split} chunks at 200 bytes vs {whole}");
    let mut checked = 0;
    for (query, mode) in common::ONE_OWNER_QUERIES {
        let options = WireSearchOptions {
            mode: Some(mode.to_string()),
            limit: Some(50),
            max_per_file: Some(50),
            ..WireSearchOptions::default()
        };
        for hit in engine.search_native(query, &options).unwrap() {
            let chunks = engine.file_chunks(&hit.path).unwrap();
            assert!(
                chunks
                    .iter()
                    .any(|c| (c.start_line, c.end_line) == (hit.start_line, hit.end_line)),
                "{query:?} ({mode}): hit {}:{}-{} is none of its chunks",
                hit.path,
                hit.start_line,
                hit.end_line
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} hits checked");
}
