//! Hostile sizes from a page, in headless Chromium: every size a host passes (`search`'s `limit`
//! and `maxPerFile`, the fusion overrides, `VectorIndex`'s `dims`, `k` and options, the `Engine`'s
//! chunk options, `buildPrompt`'s `budget`, `maintainVectorGraph`'s crossover, the arrays of
//! `indexFiles`, `embed` and `searchCoreMs`) is tried with `0xFFFFFFFF`, `-1`, `NaN`, `Infinity`
//! and `1e300`. Each call either answers or throws a JS `Error` that names the method, and the
//! engine answers a normal search afterwards: the wasm build aborts on a panic, which would
//! kill the engine for the tab.
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p pilotfish-plugin-wasm --target wasm32-unknown-unknown --test hostile_web`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Reflect};
use plugin_wasm::Engine;
use plugin_wasm::vectors::VectorIndex;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = "export function to_uint32(x) { return x >>> 0; }")]
extern "C" {
    /// What the generated glue hands to a `u32`/`usize` parameter for a JS number: the wasm
    /// call converts it with ToInt32, which has the bits of `x >>> 0` (-1 is 0xFFFFFFFF; NaN,
    /// Infinity and 1e300 are 0).
    fn to_uint32(x: f64) -> u32;
}

/// The numbers a buggy or hostile page passes where a size is expected.
const HOSTILE: [f64; 5] = [4_294_967_295.0, -1.0, f64::NAN, f64::INFINITY, 1e300];

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

fn engine_with(options: JsValue) -> Result<Engine, JsError> {
    let mut engine = Engine::new(options)?;
    for (path, text) in FILES {
        engine
            .index_file(JsValue::from_str(path), JsValue::from_str(text))
            .unwrap();
    }
    Ok(engine)
}

fn object(key: &str, value: f64) -> JsValue {
    let o = Object::new();
    Reflect::set(&o, &key.into(), &value.into()).unwrap();
    o.into()
}

/// A thrown error must be a JS `Error` worded like every other: `pilotfish: <method>: ...`.
fn check_thrown(error: JsError, method: &str, what: &str) -> String {
    let value = JsValue::from(error);
    assert!(value.is_instance_of::<js_sys::Error>(), "{what}");
    let message = String::from(value.unchecked_into::<js_sys::Error>().message());
    assert!(
        message.starts_with(&format!("pilotfish: {method}: ")),
        "{what}: {message}"
    );
    message
}

/// The engine still answers: a plain search finds the function it always found.
fn still_answers(engine: &Engine) {
    let hits: Array = engine
        .search("parse config".into(), JsValue::UNDEFINED)
        .unwrap()
        .unchecked_into();
    assert!(hits.length() >= 1);
}

#[wasm_bindgen_test]
fn search_sizes_and_fusion_settings_answer_or_throw() {
    let engine = engine_with(JsValue::UNDEFINED).unwrap();
    let chunks = engine
        .chunks("src/config.py".into())
        .unwrap()
        .unchecked_into::<Array>()
        .length()
        + engine
            .chunks("src/http.rs".into())
            .unwrap()
            .unchecked_into::<Array>()
            .length();
    let fields = [
        "limit",
        "maxPerFile",
        "rrfK",
        "convexDepth",
        "keywordWeight",
        "vectorWeight",
        "vectorConfidentAt",
    ];
    for field in fields {
        for fusion in ["rrf", "convex"] {
            for value in HOSTILE {
                let options = object(field, value);
                Reflect::set(&options, &"fusion".into(), &fusion.into()).unwrap();
                let what = format!("{field}: {value} ({fusion})");
                match engine.search("parse config".into(), options.clone()) {
                    Ok(hits) => {
                        let hits: Array = hits.unchecked_into();
                        assert!(hits.length() <= chunks, "{what}");
                    }
                    Err(error) => {
                        check_thrown(error, "search", &what);
                    }
                }
                let queries = Array::of1(&"parse".into());
                if let Err(error) = engine.search_core_ms(queries.into(), options) {
                    check_thrown(error, "searchCoreMs", &what);
                }
                still_answers(&engine);
            }
        }
    }
    // The two numbers JSON cannot carry are refused rather than read as "unset".
    for value in [f64::NAN, f64::INFINITY] {
        let error = engine
            .search("parse".into(), object("limit", value))
            .unwrap_err();
        let message = check_thrown(error, "search", "limit");
        assert!(
            message.contains("limit") && message.contains("finite"),
            "{message}"
        );
    }
    // A limit past the index answers with every chunk at most once.
    let all: Array = engine
        .search(
            "parse config header".into(),
            object("limit", 4_294_967_295.0),
        )
        .unwrap()
        .unchecked_into();
    assert!(all.length() >= 2 && all.length() <= chunks);
    let error = engine
        .search("parse".into(), object("rrfK", -1.0))
        .unwrap_err();
    let message = check_thrown(error, "search", "rrfK");
    assert!(message.contains("rrfK"), "{message}");
}

/// Deterministic vectors with distinct directions.
fn unit(i: usize, dims: usize) -> Vec<f32> {
    (0..dims)
        .map(|d| ((i as f32 + 1.0) * (d as f32 + 0.5) * 0.618).sin())
        .collect()
}

#[wasm_bindgen_test]
fn vector_index_sizes_answer_or_throw() {
    const DIMS: usize = 8;
    for value in HOSTILE {
        let dims = to_uint32(value) as usize;
        if let Err(error) = VectorIndex::new(dims, JsValue::UNDEFINED) {
            check_thrown(error, "new VectorIndex", &format!("dims {value}"));
        }
    }
    let options = [
        "efConstruction",
        "efSearch",
        "crossover",
        "rerank",
        "candidates",
        "seed",
    ];
    for option in options {
        for value in HOSTILE {
            let what = format!("{option}: {value}");
            let mut index = match VectorIndex::new(DIMS, object(option, value)) {
                Ok(index) => index,
                Err(error) => {
                    check_thrown(error, "new VectorIndex", &what);
                    continue;
                }
            };
            for id in 0..40u32 {
                index.add(id, &unit(id as usize, DIMS)).unwrap();
            }
            index.build_graph();
            for mode in ["exact", "quantized", "binary", "hnsw", "auto"] {
                index.set_mode(mode.into()).unwrap();
                for k in HOSTILE {
                    let k = to_uint32(k) as usize;
                    let hits = index.search(&unit(3, DIMS), k).unwrap();
                    let ids: js_sys::Uint32Array =
                        Reflect::get(&hits, &"ids".into()).unwrap().unchecked_into();
                    assert!(ids.length() <= 40, "{what} {mode} k {k}");
                }
                let hits = index.search(&unit(3, DIMS), 1).unwrap();
                let ids: js_sys::Uint32Array =
                    Reflect::get(&hits, &"ids".into()).unwrap().unchecked_into();
                assert_eq!(ids.to_vec(), vec![3], "{what} {mode}");
            }
        }
    }
}

#[wasm_bindgen_test]
fn engine_options_and_graph_crossover_answer_or_throw() {
    for option in ["maxChunkBytes", "maxParseBytes", "fallbackWindowLines"] {
        for value in HOSTILE {
            match engine_with(object(option, value)) {
                Ok(engine) => still_answers(&engine),
                Err(error) => {
                    check_thrown(error, "new Engine", &format!("{option}: {value}"));
                }
            }
        }
    }
    let mut engine = engine_with(JsValue::UNDEFINED).unwrap();
    for value in HOSTILE {
        // `Option<usize>`: the glue passes `x >>> 0` for a number.
        engine.maintain_vector_graph(Some(to_uint32(value) as usize));
        still_answers(&engine);
    }
}

#[wasm_bindgen_test]
fn array_lengths_and_progress_answers_answer_or_throw() {
    let mut engine = engine_with(JsValue::UNDEFINED).unwrap();
    for value in HOSTILE {
        // A sparse array as long as a page can make it, and an object only claiming a length.
        let sparse = Array::new_with_length(to_uint32(value));
        let claims = object("length", value);
        for files in [JsValue::from(sparse), claims] {
            if let Err(error) = engine.index_files(files.clone(), JsValue::UNDEFINED) {
                check_thrown(error, "indexFiles", &format!("files {value}"));
            }
            if let Err(error) = engine.embed(files.clone()) {
                check_thrown(error, "embed", &format!("texts {value}"));
            }
            if let Err(error) = engine.search_core_ms(files, JsValue::UNDEFINED) {
                check_thrown(error, "searchCoreMs", &format!("queries {value}"));
            }
            still_answers(&engine);
        }
        // Whatever the callback answers, only `false` cancels.
        let file = Object::new();
        Reflect::set(&file, &"path".into(), &"src/more.py".into()).unwrap();
        Reflect::set(&file, &"text".into(), &"def more():\n    return 1\n".into()).unwrap();
        let literal = match value {
            v if v.is_nan() => "NaN".to_string(),
            v if v.is_infinite() => "Infinity".to_string(),
            v => format!("{v:e}"),
        };
        let progress =
            js_sys::Function::new_with_args("done, total", &format!("return {literal};"));
        let report = engine
            .index_files(Array::of1(&file).into(), progress.into())
            .unwrap();
        let cancelled = Reflect::get(&report, &"cancelled".into()).unwrap();
        assert_eq!(cancelled.as_bool(), Some(false));
        still_answers(&engine);
    }
}

#[wasm_bindgen_test]
fn prompt_budgets_answer_or_throw() {
    // Mutable: building a prompt may tag files a restore left untagged.
    let engine = &mut engine_with(JsValue::UNDEFINED).unwrap();
    let text = FILES[0].1;
    for value in HOSTILE {
        let request = Object::new();
        let set = |key: &str, v: JsValue| {
            Reflect::set(&request, &key.into(), &v).unwrap();
        };
        set("path", "src/config.py".into());
        set("text", text.into());
        set("offset", JsValue::from_f64(40.0));
        set("budget", JsValue::from_f64(value));
        match engine.build_prompt(request.into()) {
            Ok(built) => {
                let tokens = Reflect::get(&built, &"tokens".into()).unwrap();
                assert!(tokens.as_f64().unwrap() > 0.0, "budget {value}");
            }
            Err(error) => {
                check_thrown(error, "buildPrompt", &format!("budget {value}"));
            }
        }
        still_answers(engine);
    }
}

/// CRC-32 (IEEE), bit by bit: what a crafted snapshot needs to pass the checksum.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[wasm_bindgen_test]
fn a_crafted_snapshot_throws_and_the_engine_keeps_its_index() {
    let mut engine = engine_with(JsValue::UNDEFINED).unwrap();
    let bytes = engine.snapshot().to_vec();
    // The slot count follows the chunk options (3 × u64), BM25 settings (6 × f32, 2 flags) and
    // the fusion tag; the payload starts after magic, version and length (20 bytes).
    let mut payload = bytes[20..bytes.len() - 4].to_vec();
    payload[51..55].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut crafted = bytes[..20].to_vec();
    crafted.extend_from_slice(&payload);
    crafted.extend_from_slice(&crc32(&payload).to_le_bytes());
    let message = check_thrown(engine.restore(&crafted).unwrap_err(), "restore", "slots");
    assert!(message.contains("slot count"), "{message}");
    still_answers(&engine);
    // The unmodified bytes pass the same checks: the checksum above is the real one.
    let mut sealed = bytes[..20].to_vec();
    sealed.extend_from_slice(&bytes[20..bytes.len() - 4]);
    sealed.extend_from_slice(&crc32(&bytes[20..bytes.len() - 4]).to_le_bytes());
    assert_eq!(sealed, bytes);
    engine.restore(&bytes).unwrap();
    still_answers(&engine);
}
