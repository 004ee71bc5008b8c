//! Sizes a host passes (a search's `limit`, a scan's `k`, `rerank` and shortlist, fusion
//! settings) can be anything a JavaScript number turns into: `usize::MAX` from `0xFFFFFFFF` or
//! `-1`, zero, NaN. None of them may panic (the wasm build aborts on a panic, and release builds
//! wrap on overflow instead of checking) or allocate by the requested size: every size is clamped
//! to the index, and fusion settings that make no sense are an error.

use engine::embed::Embedder;
use engine::embed::hashed::HashedEmbedder;
use engine::project::{Project, ProjectError, SearchMode, SearchOptions};
use engine::search::binary::default_candidates;
use engine::search::synthetic::{Clusters, clustered_vectors};
use engine::search::vector::TopHits;
use engine::search::{ExactIndex, FusionKind, FusionOverrides};

const FILES: &[(&str, &str)] = &[
    (
        "src/config.py",
        "def parse_config(path):\n    return open(path).read()\n\n\ndef save_config(path, data):\n    open(path, 'w').write(data)\n",
    ),
    (
        "src/http.py",
        "class Client:\n    def get(self, url):\n        return fetch(url)\n\n    def post(self, url, body):\n        return fetch(url, body)\n",
    ),
];

fn project(embedder: &dyn Embedder) -> Project {
    let mut project = Project::default();
    for (path, text) in FILES {
        project
            .index_file(path, text.as_bytes(), Some(embedder))
            .unwrap();
    }
    project
}

/// Sizes as JavaScript hands them over: `0xFFFFFFFF` and `-1` both arrive as the largest
/// 32-bit value, and a 64-bit host can be given the largest `usize`.
const HUGE: [usize; 3] = [u32::MAX as usize, usize::MAX, usize::MAX / 2 + 1];

#[test]
fn a_search_limit_past_the_index_returns_every_chunk_once() {
    let embedder = HashedEmbedder::default();
    let project = project(&embedder);
    let chunks = project.chunks();
    for limit in HUGE {
        for mode in [SearchMode::Hybrid, SearchMode::Keyword, SearchMode::Vector] {
            let options = SearchOptions {
                mode,
                limit,
                max_per_file: limit,
                ..SearchOptions::default()
            };
            let hits = project
                .search("config url fetch", Some(&embedder), &options)
                .unwrap();
            assert!(!hits.is_empty() && hits.len() <= chunks, "{mode:?} {limit}");
        }
    }
}

#[test]
fn huge_convex_depths_and_zero_limits_answer() {
    let embedder = HashedEmbedder::default();
    let project = project(&embedder);
    let convex = SearchOptions {
        fusion: FusionOverrides {
            method: Some(FusionKind::Convex),
            convex_depth: Some(u32::MAX),
            ..FusionOverrides::default()
        },
        ..SearchOptions::default()
    };
    assert!(
        !project
            .search("config", Some(&embedder), &convex)
            .unwrap()
            .is_empty()
    );
    let zero = SearchOptions {
        limit: 0,
        max_per_file: 0,
        ..SearchOptions::default()
    };
    assert!(
        project
            .search("config", Some(&embedder), &zero)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn fusion_settings_that_make_no_sense_are_errors() {
    let embedder = HashedEmbedder::default();
    let project = project(&embedder);
    let bad = [
        FusionOverrides {
            rrf_k: Some(-1.0),
            ..FusionOverrides::default()
        },
        FusionOverrides {
            rrf_k: Some(f32::NAN),
            ..FusionOverrides::default()
        },
        FusionOverrides {
            rrf_k: Some(f32::INFINITY),
            ..FusionOverrides::default()
        },
        FusionOverrides {
            keyword_weight: Some(f32::INFINITY),
            ..FusionOverrides::default()
        },
        FusionOverrides {
            vector_weight: Some(f32::NAN),
            ..FusionOverrides::default()
        },
        FusionOverrides {
            method: Some(FusionKind::Convex),
            vector_confident_at: Some(Some(f32::NAN)),
            ..FusionOverrides::default()
        },
    ];
    for fusion in bad {
        let options = SearchOptions {
            fusion,
            ..SearchOptions::default()
        };
        let error = project
            .search("config", Some(&embedder), &options)
            .unwrap_err();
        assert!(matches!(error, ProjectError::Fusion(_)), "{fusion:?}");
        assert!(error.to_string().contains("finite"), "{error}");
    }
}

fn vectors(n: usize, dims: usize) -> Vec<Vec<f32>> {
    let shape = Clusters {
        topics: 4,
        noise: 0.5,
    };
    clustered_vectors(n, dims, shape, 7)
}

#[test]
fn scans_clamp_k_rerank_and_shortlist_to_the_index() {
    let data = vectors(50, 16);
    let mut index = ExactIndex::new(16);
    for (slot, v) in data.iter().enumerate() {
        index.insert(slot as u32, v).unwrap();
    }
    for huge in HUGE {
        assert_eq!(index.search(&data[0], huge, |_| true).unwrap().len(), 50);
        let quantized = index.search_quantized(&data[0], huge, huge, |_| true);
        assert_eq!(quantized.unwrap().len(), 50);
        let binary = index.search_binary(&data[0], huge, huge, huge, |_| true);
        assert_eq!(binary.unwrap().len(), 50);
        let binary = index.search_binary(&data[0], 5, huge, 3, |_| true);
        assert_eq!(binary.unwrap()[0].doc, 0);
    }
    assert_eq!(default_candidates(usize::MAX, usize::MAX), usize::MAX);
}

#[test]
fn top_hits_keeps_any_number_without_reserving_it() {
    for keep in HUGE {
        let mut top = TopHits::new(keep);
        for doc in 0..100u32 {
            top.push(doc, (doc % 7) as f32);
        }
        assert_eq!(top.finish().len(), 100);
    }
}

#[cfg(feature = "hnsw")]
#[test]
fn the_graph_answers_any_k_and_ef() {
    use engine::search::hnsw::{HnswConfig, HnswIndex};
    let data = vectors(60, 16);
    let mut index = ExactIndex::new(16);
    for (slot, v) in data.iter().enumerate() {
        index.insert(slot as u32, v).unwrap();
    }
    let config = HnswConfig {
        ef_construction: usize::MAX,
        ef_search: usize::MAX,
        ..HnswConfig::default()
    };
    let graph = HnswIndex::build(&index, config);
    assert_eq!(
        graph.search(&index, &data[3], usize::MAX, |_| true).len(),
        60
    );
}

#[test]
fn chunk_options_of_any_size_chunk() {
    use engine::ChunkConfig;
    let text = "first line\n\nsecond line\nthird line\n".repeat(30);
    let python = "def f():\n    return 1\n\n\ndef g():\n    return 2\n".repeat(30);
    for huge in HUGE {
        for (max_chunk_bytes, max_parse_bytes, fallback_window_lines) in
            [(huge, huge, huge), (1, 1, huge), (huge, 1, 1), (1, huge, 1)]
        {
            let config = ChunkConfig {
                max_chunk_bytes,
                max_parse_bytes,
                fallback_window_lines,
            };
            for (path, text) in [("notes.txt", &text), ("src/app.py", &python)] {
                let file = syntax::chunk_file(path, text.as_bytes(), &config);
                assert!(!file.chunks.is_empty(), "{path} {config:?}");
            }
        }
    }
}
