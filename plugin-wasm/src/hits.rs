//! How search hits cross to JS: flat. Every hit becomes [`FIELDS`] numbers and its strings are
//! appended to one shared string, which `hits.js` slices into `SearchHit` objects on the JS
//! side. The numbers reach JS as a view of wasm memory and the strings as one decode, so a
//! search of 10 hits costs two crossings instead of a `JSON.parse` of the whole result (17 µs of
//! a ~70 µs boundary in V8) or one crossing per field (serde-wasm-bindgen).
//!
//! Scores are the engine's `f32` values widened exactly to JS numbers (the JSON path printed
//! the shortest decimal of the `f32` instead: the same `f32`, a different `f64`).

use wasm_bindgen::prelude::*;

use crate::wire::{WireRankScore, WireSearchHit};

/// Numbers per hit; `hits.js` reads the same layout.
pub const FIELDS: usize = 13;

#[wasm_bindgen(module = "/src/hits.js")]
extern "C" {
    #[wasm_bindgen(js_name = searchHits)]
    fn search_hits(numbers: &[f64], text: &str) -> JsValue;
}

/// The hits as `SearchHit[]`.
pub fn to_js(hits: &[WireSearchHit]) -> JsValue {
    let flat = flatten(hits);
    search_hits(&flat.numbers, &flat.text)
}

/// The flat form of a hit list.
#[derive(Debug, Default, PartialEq)]
pub struct FlatHits {
    pub numbers: Vec<f64>,
    pub text: String,
}

/// Lays hits out as `hits.js` reads them: per hit the UTF-16 lengths of path, name, qualified
/// name, kind and language (−1 for none), then start and end line, score, keyword rank and
/// score, vector rank and score (rank 0: not in that list) and the fused score.
pub fn flatten(hits: &[WireSearchHit]) -> FlatHits {
    let mut flat = FlatHits {
        numbers: Vec::with_capacity(hits.len() * FIELDS),
        text: String::new(),
    };
    for hit in hits {
        for s in [
            Some(hit.path.as_str()),
            hit.name.as_deref(),
            hit.qualified_name.as_deref(),
            Some(hit.kind),
            hit.language,
        ] {
            let length = match s {
                Some(s) => {
                    flat.text.push_str(s);
                    utf16_len(s) as f64
                }
                None => -1.0,
            };
            flat.numbers.push(length);
        }
        let rank_score = |r: Option<WireRankScore>| match r {
            Some(r) => [f64::from(r.rank), f64::from(r.score)],
            None => [0.0, 0.0],
        };
        flat.numbers.extend([
            hit.start_line as f64,
            hit.end_line as f64,
            f64::from(hit.score),
        ]);
        flat.numbers.extend(rank_score(hit.keyword));
        flat.numbers.extend(rank_score(hit.vector));
        flat.numbers.push(f64::from(hit.fused));
    }
    flat
}

/// Length in UTF-16 code units, which is what JS `substring` counts.
fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lays_out_numbers_and_strings_in_order_with_utf16_lengths() {
        let hits = [
            WireSearchHit {
                path: "src/café/𝄞.py".into(),
                name: Some("run".into()),
                qualified_name: None,
                kind: "function",
                language: Some("python"),
                start_line: 3,
                end_line: 9,
                score: 0.5,
                keyword: Some(WireRankScore {
                    rank: 2,
                    score: 7.25,
                }),
                vector: None,
                fused: 0.5,
            },
            WireSearchHit {
                path: "a.txt".into(),
                name: None,
                qualified_name: None,
                kind: "lines",
                language: None,
                start_line: 1,
                end_line: 40,
                score: 0.25,
                keyword: None,
                vector: Some(WireRankScore {
                    rank: 1,
                    score: 0.75,
                }),
                fused: 0.25,
            },
        ];
        let flat = flatten(&hits);
        assert_eq!(flat.text, "src/café/𝄞.pyrunfunctionpythona.txtlines");
        assert_eq!(
            flat.numbers,
            [
                // "src/café/𝄞.py": 13 chars, 𝄞 is two UTF-16 units.
                14.0, 3.0, -1.0, 8.0, 6.0, 3.0, 9.0, 0.5, 2.0, 7.25, 0.0, 0.0, 0.5, //
                5.0, -1.0, -1.0, 5.0, -1.0, 1.0, 40.0, 0.25, 0.0, 0.0, 1.0, 0.75, 0.25,
            ]
        );
        assert_eq!(flat.numbers.len(), hits.len() * FIELDS);
        assert_eq!(flatten(&[]), FlatHits::default());
    }
}
