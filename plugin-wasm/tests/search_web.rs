//! Browser tests of search, snapshot and restore through the exported methods, in headless
//! Chromium: the wasm build (SIMD128 scan, BM25, fusion, checksummed snapshots) is proven, not
//! just the native one.
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p pilotfish-plugin-wasm --target wasm32-unknown-unknown --test search_web`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect};
use plugin_wasm::Engine;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const FILES: &[(&str, &str)] = &[
    (
        "src/config.py",
        "import json\n\n\ndef parse_config(path):\n    \"\"\"Read a JSON configuration file.\"\"\"\n    with open(path) as f:\n        return json.load(f)\n\n\ndef merge_settings(base, override):\n    out = dict(base)\n    out.update(override)\n    return out\n",
    ),
    (
        "src/http.rs",
        "/// Parses one HTTP header line.\npub fn parse_http_header(line: &str) -> Option<(&str, &str)> {\n    let (name, value) = line.split_once(':')?;\n    Some((name.trim(), value.trim()))\n}\n",
    ),
];

fn engine() -> Engine {
    let mut engine = Engine::new(JsValue::UNDEFINED).unwrap();
    for (path, text) in FILES {
        engine
            .index_file(JsValue::from_str(path), JsValue::from_str(text))
            .unwrap();
    }
    engine
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap()
}

fn hits(engine: &Engine, query: &str, options: &str) -> Array {
    let options = if options.is_empty() {
        JsValue::UNDEFINED
    } else {
        js_sys::JSON::parse(options).unwrap()
    };
    engine
        .search(JsValue::from_str(query), options)
        .unwrap()
        .unchecked_into()
}

fn error_message(result: Result<impl Sized, wasm_bindgen::JsError>) -> String {
    let Err(error) = result else {
        panic!("expected an error")
    };
    let value = JsValue::from(error);
    String::from(value.unchecked_into::<js_sys::Error>().message())
}

#[wasm_bindgen_test]
fn hybrid_search_explains_its_hits() {
    let engine = engine();
    let hits = hits(&engine, "parse config file", r#"{"limit": 3}"#);
    assert!(hits.length() >= 1);
    let top = hits.get(0);
    assert_eq!(
        get(&top, "qualifiedName").as_string().as_deref(),
        Some("parse_config")
    );
    assert_eq!(
        get(&top, "path").as_string().as_deref(),
        Some("src/config.py")
    );
    assert_eq!(get(&get(&top, "keyword"), "rank").as_f64(), Some(1.0));
    assert!(get(&top, "vector").is_object());
    assert!(get(&top, "fused").as_f64().unwrap() > 0.0);
}

#[wasm_bindgen_test]
fn options_filter_and_bad_options_throw() {
    let engine = engine();
    let rust_only = hits(
        &engine,
        "parse",
        r#"{"languages": ["rust"], "mode": "keyword"}"#,
    );
    assert_eq!(rust_only.length(), 1);
    assert_eq!(
        get(&rust_only.get(0), "language").as_string().as_deref(),
        Some("rust")
    );
    let message = error_message(engine.search(
        JsValue::from_str("x"),
        js_sys::JSON::parse(r#"{"mode": "fuzzy"}"#).unwrap(),
    ));
    assert!(message.contains("unknown mode"), "{message}");
    // A misspelt option is an error, not silently ignored.
    let message = error_message(engine.search(
        JsValue::from_str("x"),
        js_sys::JSON::parse(r#"{"limt": 3}"#).unwrap(),
    ));
    assert!(message.contains("unknown field `limt`"), "{message}");
    let message = error_message(engine.search(JsValue::from_f64(3.0), JsValue::UNDEFINED));
    assert!(message.contains("expected a string"), "{message}");
    // Fusion overrides reach the engine: equal-weight RRF with k 1 scores 1/(1+rank) per list.
    let top = hits(
        &engine,
        "parse config file",
        r#"{"fusion": "rrf", "rrfK": 1, "keywordWeight": 1, "vectorWeight": 1, "limit": 1}"#,
    )
    .get(0);
    let part = |list: &str| {
        let place = get(&top, list);
        if place.is_object() {
            1.0 / (1.0 + get(&place, "rank").as_f64().unwrap())
        } else {
            0.0
        }
    };
    let fused = get(&top, "fused").as_f64().unwrap();
    assert!(
        (fused - part("keyword") - part("vector")).abs() < 1e-6,
        "{fused}"
    );
}

#[wasm_bindgen_test]
fn snapshot_restores_in_a_fresh_engine_and_rejects_corruption() {
    let engine = engine();
    let bytes = engine.snapshot().to_vec();
    let mut fresh = Engine::new(JsValue::UNDEFINED).unwrap();
    assert_eq!(hits(&fresh, "http header", "").length(), 0);
    fresh.restore(&bytes).unwrap();
    let restored = hits(&fresh, "http header", "");
    let original = hits(&engine, "http header", "");
    // The chunks come back too (the snapshot stores each file as the project owns it), and
    // their offsets are derived again from the restored position maps.
    for (path, _) in FILES {
        let before = js_sys::JSON::stringify(&engine.chunks((*path).into()).unwrap()).unwrap();
        let after = js_sys::JSON::stringify(&fresh.chunks((*path).into()).unwrap()).unwrap();
        assert_ne!(after.as_string().as_deref(), Some("null"), "{path}");
        assert_eq!(after.as_string(), before.as_string(), "{path}");
    }
    assert_eq!(
        js_sys::JSON::stringify(&restored).unwrap().as_string(),
        js_sys::JSON::stringify(&original).unwrap().as_string()
    );
    let mut bad = bytes.clone();
    let last = bad.len() - 10;
    bad[last] ^= 0xff;
    let message = error_message(fresh.restore(&bad));
    assert!(message.contains("checksum"), "{message}");
    let message = error_message(fresh.restore(b"not a snapshot"));
    assert!(message.contains("bad magic"), "{message}");
    // A failed restore leaves the index as it was.
    assert_eq!(hits(&fresh, "http header", "").length(), restored.length());
}

/// The flat crossing (`hits.rs` + `hits.js`) rebuilds exactly the hits the engine returned:
/// every field, nulls included, non-ASCII paths sliced at the right UTF-16 units.
#[wasm_bindgen_test]
fn hits_cross_the_boundary_field_for_field() {
    let mut engine = engine();
    engine
        .index_file(
            JsValue::from_str("src/café/𝄞 naïve.py"),
            JsValue::from_str("def naïve_parse(text):\n    return text.split()\n\nx = 1\n"),
        )
        .unwrap();
    for (query, options) in [
        ("parse config file", r#"{"limit": 10}"#),
        ("naïve parse", r#"{"mode": "keyword"}"#),
        ("split text", r#"{"mode": "vector"}"#),
        ("x", "{}"),
    ] {
        let native = engine
            .search_native(query, &serde_json::from_str(options).unwrap())
            .unwrap();
        let js = hits(&engine, query, options);
        assert_eq!(js.length() as usize, native.len(), "{query}");
        assert!(!native.is_empty(), "{query}");
        for (i, want) in native.iter().enumerate() {
            let got = js.get(i as u32);
            let text = |key: &str| get(&got, key).as_string();
            let number = |value: JsValue| value.as_f64().unwrap();
            let place = |key: &str| {
                let value = get(&got, key);
                (!value.is_null()).then(|| {
                    (
                        number(get(&value, "rank")) as u32,
                        number(get(&value, "score")) as f32,
                    )
                })
            };
            assert_eq!(text("path"), Some(want.path.clone()), "{query} #{i}");
            assert_eq!(text("name"), want.name, "{query} #{i}");
            assert_eq!(text("qualifiedName"), want.qualified_name, "{query} #{i}");
            assert_eq!(text("kind").as_deref(), Some(want.kind), "{query} #{i}");
            assert_eq!(text("language").as_deref(), want.language, "{query} #{i}");
            assert_eq!(number(get(&got, "startLine")) as usize, want.start_line);
            assert_eq!(number(get(&got, "endLine")) as usize, want.end_line);
            assert_eq!(number(get(&got, "score")) as f32, want.score);
            assert_eq!(number(get(&got, "fused")) as f32, want.fused);
            assert_eq!(place("keyword"), want.keyword.map(|r| (r.rank, r.score)));
            assert_eq!(place("vector"), want.vector.map(|r| (r.rank, r.score)));
        }
    }
}
