//! Browser tests: the facade's exported methods, called through real `JsValue`s inside headless
//! Chromium. Chunking each language must give exactly what the native build snapshotted in
//! `tests/expected/` (the native test `native.rs` writes and checks the same files).
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p pilotfish-plugin-wasm --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

mod common;

use js_sys::{Array, JsString, Object, Reflect};
use plugin_wasm::Engine;
use plugin_wasm::wire::{WireChunk, WireIndexedFile, WireStats};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const SNAPSHOTS: [&str; 10] = [
    include_str!("expected/shapes.py.json"),
    include_str!("expected/cart.js.json"),
    include_str!("expected/queue.ts.json"),
    include_str!("expected/Greeting.tsx.json"),
    include_str!("expected/stack.rs.json"),
    include_str!("expected/server.go.json"),
    include_str!("expected/Account.java.json"),
    include_str!("expected/vec.c.json"),
    include_str!("expected/matrix.cpp.json"),
    include_str!("expected/Inventory.cs.json"),
];

fn options(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

#[track_caller]
fn error_message(result: Result<impl Sized, wasm_bindgen::JsError>) -> String {
    let Err(error) = result else {
        panic!("expected an error")
    };
    let value = JsValue::from(error);
    assert!(value.is_instance_of::<js_sys::Error>(), "not a JS Error");
    String::from(value.unchecked_into::<js_sys::Error>().message())
}

#[wasm_bindgen_test]
fn each_language_chunks_as_natively() {
    for (((path, text), language), snapshot) in common::FIXTURES
        .iter()
        .zip(common::LANGUAGES)
        .zip(SNAPSHOTS)
    {
        let mut engine = Engine::new(JsValue::UNDEFINED).unwrap();
        let value = engine.index_file((*path).into(), (*text).into()).unwrap();
        let got: WireIndexedFile = serde_wasm_bindgen::from_value(value).unwrap();
        let expected: WireIndexedFile = serde_json::from_str(snapshot)
            .unwrap_or_else(|e| panic!("{path}: bad snapshot (run the native test first): {e}"));
        assert_eq!(got.language.as_deref(), Some(language), "{path}");
        assert_eq!(
            got, expected,
            "{path}: browser output differs from the native snapshot"
        );
    }
}

#[wasm_bindgen_test]
fn chunk_objects_have_camel_case_fields() {
    let mut engine = Engine::new(JsValue::UNDEFINED).unwrap();
    let (path, text) = common::FIXTURES[0];
    let file = engine.index_file(path.into(), text.into()).unwrap();
    let chunks: Array = Reflect::get(&file, &"chunks".into())
        .unwrap()
        .unchecked_into();
    let first: Object = chunks.get(0).unchecked_into();
    let keys: Vec<String> = Object::keys(&first)
        .iter()
        .map(|k| k.as_string().unwrap())
        .collect();
    for key in [
        "path",
        "language",
        "kind",
        "name",
        "qualifiedName",
        "startLine",
        "endLine",
        "start",
        "end",
        "docstring",
        "text",
    ] {
        assert!(keys.iter().any(|k| k == key), "missing {key} in {keys:?}");
    }
}

#[wasm_bindgen_test]
fn utf16_offsets_slice_javascript_strings() {
    for (path, text) in common::FIXTURES.iter().chain([&common::MIXED_WIDTH]) {
        let mut engine = Engine::new(options(r#"{"positionEncoding":"utf16"}"#)).unwrap();
        let js_text = JsString::from(*text);
        let file: WireIndexedFile = serde_wasm_bindgen::from_value(
            engine
                .index_file((*path).into(), js_text.clone().into())
                .unwrap(),
        )
        .unwrap();
        for chunk in file.chunks {
            // JavaScript's own String.prototype.slice counts UTF-16 code units.
            let slice = String::from(js_text.slice(chunk.start as u32, chunk.end as u32));
            assert!(
                chunk.text.ends_with(&slice),
                "{path}: {slice:?} vs {:?}",
                chunk.text
            );
        }
    }
}

#[wasm_bindgen_test]
fn utf8_offsets_count_bytes() {
    let (path, text) = common::MIXED_WIDTH;
    let mut engine = Engine::new(options(r#"{"positionEncoding":"utf8"}"#)).unwrap();
    assert_eq!(engine.position_encoding(), "utf8");
    let file: WireIndexedFile =
        serde_wasm_bindgen::from_value(engine.index_file(path.into(), text.into()).unwrap())
            .unwrap();
    let last = file.chunks.last().unwrap();
    assert_eq!(last.end, text.trim_end().len());
    assert!(last.end > text.trim_end().encode_utf16().count());
}

#[wasm_bindgen_test]
fn remove_file_and_stats() {
    let mut engine = Engine::new(JsValue::UNDEFINED).unwrap();
    let (path, text) = common::FIXTURES[4];
    let indexed: WireIndexedFile =
        serde_wasm_bindgen::from_value(engine.index_file(path.into(), text.into()).unwrap())
            .unwrap();
    let stats: WireStats = serde_wasm_bindgen::from_value(engine.stats().unwrap()).unwrap();
    assert_eq!((stats.files, stats.chunks), (1, indexed.chunks.len()));
    let chunks: Vec<WireChunk> =
        serde_wasm_bindgen::from_value(engine.chunks(path.into()).unwrap()).unwrap();
    assert_eq!(chunks, indexed.chunks);

    assert!(engine.remove_file(path.into()).unwrap());
    assert!(!engine.remove_file(path.into()).unwrap());
    assert!(engine.chunks(path.into()).unwrap().is_null());
    let stats: WireStats = serde_wasm_bindgen::from_value(engine.stats().unwrap()).unwrap();
    assert_eq!((stats.files, stats.chunks), (0, 0));
}

#[wasm_bindgen_test]
fn bad_input_becomes_js_errors() {
    let message = error_message(Engine::new(options(r#"{"positionEncoding":"utf32"}"#)));
    assert!(
        message.contains("positionEncoding") || message.contains("utf32"),
        "{message}"
    );
    assert!(message.contains("utf16"), "{message}");

    let message = error_message(Engine::new(options(r#"{"maxChunkByte":100}"#)));
    assert!(message.contains("maxChunkByte"), "{message}");

    let message = error_message(Engine::new(options(r#"{"maxChunkBytes":0}"#)));
    assert!(
        message.contains("maxChunkBytes must be a positive integer"),
        "{message}"
    );

    let message = error_message(Engine::new(options(r#"{"maxChunkBytes":"big"}"#)));
    assert!(
        message.contains("new Engine: invalid `options`"),
        "{message}"
    );

    let mut engine = Engine::new(JsValue::UNDEFINED).unwrap();
    let message = error_message(engine.index_file(JsValue::from(42), "x = 1".into()));
    assert!(message.contains("indexFile: invalid `path`"), "{message}");
    let message = error_message(engine.index_file("a.py".into(), JsValue::NULL));
    assert!(message.contains("indexFile: invalid `text`"), "{message}");
    let message = error_message(engine.chunks(JsValue::UNDEFINED));
    assert!(message.contains("chunks: invalid `path`"), "{message}");
    // The engine still works after rejecting bad input.
    let stats: WireStats = serde_wasm_bindgen::from_value(engine.stats().unwrap()).unwrap();
    assert_eq!(stats.files, 0);
}

/// The one-owner test in the browser: with a non-default `maxChunkBytes`, every hit `search`
/// returns is one of the chunks `chunks(path)` shows (the native twin is in `native.rs`).
#[wasm_bindgen_test]
fn every_search_hit_is_one_of_the_files_chunks() {
    let mut engine = Engine::new(options(r#"{"maxChunkBytes": 200}"#)).unwrap();
    let mut default = Engine::new(JsValue::UNDEFINED).unwrap();
    for (path, text) in common::FIXTURES.iter().chain([&common::LONG_FUNCTION]) {
        engine.index_file((*path).into(), (*text).into()).unwrap();
    }
    let (long_path, long_text) = common::LONG_FUNCTION;
    let count = |engine: &Engine| {
        let chunks: Vec<WireChunk> =
            serde_wasm_bindgen::from_value(engine.chunks(long_path.into()).unwrap()).unwrap();
        chunks.len()
    };
    default
        .index_file(long_path.into(), long_text.into())
        .unwrap();
    assert!(count(&engine) > count(&default), "200 bytes split nothing");
    let get = |value: &JsValue, key: &str| Reflect::get(value, &key.into()).unwrap();
    let mut checked = 0;
    for (query, mode) in common::ONE_OWNER_QUERIES {
        let search = options(&format!(
            r#"{{"mode": "{mode}", "limit": 50, "maxPerFile": 50}}"#
        ));
        let hits: Array = engine
            .search(query.into(), search)
            .unwrap()
            .unchecked_into();
        for hit in hits.iter() {
            let path = get(&hit, "path");
            let lines = (
                get(&hit, "startLine").as_f64().unwrap() as usize,
                get(&hit, "endLine").as_f64().unwrap() as usize,
            );
            let chunks: Vec<WireChunk> =
                serde_wasm_bindgen::from_value(engine.chunks(path.clone()).unwrap()).unwrap();
            assert!(
                chunks.iter().any(|c| (c.start_line, c.end_line) == lines),
                "{query:?} ({mode}): hit {path:?} {lines:?} is none of its chunks"
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} hits checked");
}
