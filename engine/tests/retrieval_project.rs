//! The project index end to end on small fixture files: hybrid/keyword/vector search with
//! explanations and filters, incremental re-indexing with the embedding cache, progress and
//! cancellation, and snapshots (round trip, and rejection of corrupted or foreign bytes).

use std::cell::Cell;

use engine::Language;
use engine::embed::hashed::HashedEmbedder;
use engine::embed::{EmbedError, Embedder};
use engine::project::{Control, Project, SearchMode, SearchOptions};
use engine::snapshot::{self, SnapshotError};
use expect_test::{Expect, expect};

const FIXTURES: &[(&str, &str)] = &[
    ("src/config.py", include_str!("fixtures/project/config.py")),
    ("src/http.rs", include_str!("fixtures/project/http.rs")),
    ("web/shapes.ts", include_str!("fixtures/project/shapes.ts")),
];

/// Counts the texts it embeds, to prove the cache works.
#[derive(Default)]
struct CountingEmbedder {
    inner: HashedEmbedder,
    embedded: Cell<usize>,
}

impl Embedder for CountingEmbedder {
    fn id(&self) -> &str {
        self.inner.id()
    }
    fn dimensions(&self) -> usize {
        self.inner.dimensions()
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embedded.set(self.embedded.get() + texts.len());
        self.inner.embed(texts)
    }
}

fn project(embedder: &dyn Embedder) -> Project {
    let mut project = Project::default();
    for (path, text) in FIXTURES {
        project
            .index_file(path, text.as_bytes(), Some(embedder))
            .expect("fixture indexes");
    }
    project
}

fn render(
    project: &Project,
    query: &str,
    embedder: &dyn Embedder,
    options: &SearchOptions,
) -> String {
    let hits = project
        .search(query, Some(embedder), options)
        .expect("search works");
    hits.iter()
        .map(|h| {
            let e = h.explanation;
            format!(
                "{}:{}-{} {} kw={} vec={}\n",
                h.chunk.path,
                h.chunk.start_line,
                h.chunk.end_line,
                h.chunk.qualified_name.as_deref().unwrap_or("-"),
                e.keyword.map_or("-".into(), |r| r.rank.to_string()),
                e.vector.map_or("-".into(), |r| r.rank.to_string()),
            )
        })
        .collect()
}

fn check(query: &str, options: SearchOptions, expect: Expect) {
    let embedder = HashedEmbedder::default();
    let project = project(&embedder);
    expect.assert_eq(&render(&project, query, &embedder, &options));
}

fn top(limit: usize) -> SearchOptions {
    SearchOptions {
        limit,
        ..SearchOptions::default()
    }
}

#[test]
fn hybrid_search_finds_the_right_chunk_and_explains_it() {
    check(
        "parse config file",
        top(2),
        expect![[r#"
            src/config.py:4-7 parse_config kw=1 vec=1
            src/http.rs:1-5 parse_http_header kw=2 vec=3
        "#]],
    );
    check(
        "http header",
        top(1),
        expect![[r#"
            src/http.rs:1-5 parse_http_header kw=1 vec=1
        "#]],
    );
}

#[test]
fn modes_and_filters_restrict_results() {
    check(
        "parse",
        SearchOptions {
            mode: SearchMode::Keyword,
            ..top(5)
        },
        expect![[r#"
            src/config.py:4-7 parse_config kw=1 vec=-
            src/http.rs:1-5 parse_http_header kw=2 vec=-
        "#]],
    );
    check(
        "parse",
        SearchOptions {
            languages: vec![Language::Python],
            ..top(5)
        },
        expect![[r#"
            src/config.py:4-7 parse_config kw=1 vec=1
            src/config.py:1-1 - kw=- vec=2
        "#]],
    );
    check(
        "triangle",
        SearchOptions {
            path_globs: vec!["src/**".into()],
            mode: SearchMode::Keyword,
            ..top(5)
        },
        expect![""],
    );
}

#[test]
fn at_most_n_hits_per_file() {
    let embedder = HashedEmbedder::default();
    let project = project(&embedder);
    let options = SearchOptions {
        max_per_file: 1,
        mode: SearchMode::Vector,
        ..top(10)
    };
    let hits = project
        .search("settings config", Some(&embedder), &options)
        .unwrap();
    let mut paths: Vec<&str> = hits.iter().map(|h| h.chunk.path.as_str()).collect();
    let n = paths.len();
    paths.dedup();
    assert_eq!(paths.len(), n, "a file appears twice: {paths:?}");
}

#[test]
fn unchanged_files_are_free_and_edits_reembed_only_changed_chunks() {
    let embedder = CountingEmbedder::default();
    let mut project = project(&embedder);
    let first = embedder.embedded.get();
    assert!(first >= 5, "every chunk embedded once: {first}");

    let (path, text) = FIXTURES[0];
    let report = project
        .index_file(path, text.as_bytes(), Some(&embedder))
        .unwrap();
    assert!(report.unchanged);
    assert_eq!(embedder.embedded.get(), first);

    let edited = text.replace("out.update(override)", "out.update(override or {})");
    let report = project
        .index_file(path, edited.as_bytes(), Some(&embedder))
        .unwrap();
    assert!(!report.unchanged);
    assert_eq!(
        report.embedded, 1,
        "only the edited function is embedded again"
    );
    assert_eq!(embedder.embedded.get(), first + 1);

    let chunks = project.chunks();
    assert!(project.remove_file("src/http.rs"));
    assert!(!project.remove_file("src/http.rs"));
    assert!(project.chunks() < chunks);
    let options = SearchOptions {
        mode: SearchMode::Keyword,
        ..top(5)
    };
    assert!(
        project
            .search("http header", Some(&embedder), &options)
            .unwrap()
            .is_empty()
    );
}

/// Every hit with its lines, names and scores, in all three modes, for a few queries. Queries
/// whose scores tie (a one-letter query scores 0 everywhere) would be ordered by slot, which a
/// fresh index numbers differently, so none is used.
fn everything(project: &Project, embedder: &dyn Embedder) -> String {
    let mut out = String::new();
    for query in [
        "parse config file",
        "merge settings",
        "http header",
        "area of a shape",
    ] {
        for mode in [SearchMode::Hybrid, SearchMode::Keyword, SearchMode::Vector] {
            let options = SearchOptions {
                mode,
                max_per_file: 10,
                ..top(20)
            };
            for h in project.search(query, Some(embedder), &options).unwrap() {
                out += &format!(
                    "{query} {mode:?} {}:{}-{} {:?} {:?} {:?} {:.6} {:?} {:?}\n",
                    h.chunk.path,
                    h.chunk.start_line,
                    h.chunk.end_line,
                    h.chunk.kind,
                    h.chunk.name,
                    h.chunk.qualified_name,
                    h.score,
                    h.explanation
                        .keyword
                        .map(|r| (r.rank, format!("{:.6}", r.score))),
                    h.explanation
                        .vector
                        .map(|r| (r.rank, format!("{:.6}", r.score))),
                );
            }
        }
    }
    out
}

#[test]
fn a_re_indexed_file_searches_exactly_like_a_fresh_index_of_it() {
    // Re-indexing keeps the slots of unchanged chunks; whatever the edit, the result must be
    // the index a fresh build of the edited project gives.
    let (path, text) = FIXTURES[0];
    let function = "def merge_settings";
    let at = text.find(function).unwrap();
    let edits = [
        (
            "body edit",
            text.replace("out.update(override)", "out.update(override or {})"),
        ),
        ("lines above", format!("import os\nimport sys\n\n\n{text}")),
        ("function removed", text[..at].to_string()),
        ("function duplicated", format!("{text}\n\n{}", &text[at..])),
        (
            "renamed",
            text.replace("merge_settings", "combine_settings"),
        ),
        ("emptied", String::new()),
        ("broken syntax", text.replace("):", ") ::: (")),
    ];
    let embedder = HashedEmbedder::default();
    for (name, edited) in edits {
        let mut updated = project(&embedder);
        updated
            .index_file(path, edited.as_bytes(), Some(&embedder))
            .unwrap();
        let mut fresh = Project::default();
        for (p, t) in FIXTURES {
            let t = if *p == path { edited.as_str() } else { t };
            fresh.index_file(p, t.as_bytes(), Some(&embedder)).unwrap();
        }
        assert_eq!(updated.chunks(), fresh.chunks(), "{name}");
        let (got, want) = (
            everything(&updated, &embedder),
            everything(&fresh, &embedder),
        );
        assert!(!want.is_empty(), "{name}");
        assert_eq!(got, want, "{name}");
        // And back: the original text again gives the original index.
        updated
            .index_file(path, text.as_bytes(), Some(&embedder))
            .unwrap();
        assert_eq!(
            everything(&updated, &embedder),
            everything(&project(&embedder), &embedder),
            "{name}, reverted"
        );
    }
}

#[test]
fn re_indexing_without_an_embedder_drops_the_files_vectors() {
    let embedder = HashedEmbedder::default();
    let mut project = project(&embedder);
    let (path, text) = FIXTURES[0];
    let vector_only = SearchOptions {
        mode: SearchMode::Vector,
        max_per_file: 10,
        ..top(50)
    };
    let in_file = |project: &Project| {
        project
            .search("parse config file", Some(&embedder), &vector_only)
            .unwrap()
            .iter()
            .filter(|h| h.chunk.path == path)
            .count()
    };
    assert!(in_file(&project) > 0);
    let edited = format!("{text}\n# one more line\n");
    project.index_file(path, edited.as_bytes(), None).unwrap();
    assert_eq!(
        in_file(&project),
        0,
        "kept chunks must not keep stale vectors"
    );
    let keyword = SearchOptions {
        mode: SearchMode::Keyword,
        ..top(5)
    };
    let hits = project
        .search("parse config", Some(&embedder), &keyword)
        .unwrap();
    assert_eq!(hits[0].chunk.path, path);
}

#[test]
fn bulk_indexing_reports_progress_and_can_be_cancelled() {
    let files: Vec<(&str, &[u8])> = FIXTURES.iter().map(|(p, t)| (*p, t.as_bytes())).collect();
    let mut seen = Vec::new();
    let mut project = Project::default();
    let report = project
        .index_files(&files, None, |done, total| {
            seen.push((done, total));
            if done == 2 {
                Control::Stop
            } else {
                Control::Continue
            }
        })
        .unwrap();
    assert_eq!(seen, vec![(1, 3), (2, 3)]);
    assert!(report.cancelled);
    assert_eq!(project.files(), 2);
    let report = project
        .index_files(&files, None, |_, _| Control::Continue)
        .unwrap();
    assert!(!report.cancelled);
    assert_eq!((report.files, report.unchanged), (3, 2));
}

#[test]
fn query_with_another_embedder_is_an_error() {
    let embedder = HashedEmbedder::default();
    let project = project(&embedder);
    let other = HashedEmbedder::new(engine::embed::hashed::HashedConfig {
        dimensions: 64,
        ..Default::default()
    });
    let err = project.search("x", Some(&other), &top(3)).unwrap_err();
    assert!(err.to_string().contains("embedded with"), "{err}");
    let bad_glob = SearchOptions {
        path_globs: vec!["src/[".into()],
        ..top(3)
    };
    assert!(project.search("x", None, &bad_glob).is_err());
}

#[test]
fn snapshot_round_trips() {
    let embedder = HashedEmbedder::default();
    let project = project(&embedder);
    let bytes = snapshot::write(&project);
    let restored = snapshot::read(&bytes).expect("own snapshot restores");
    assert_eq!(restored.files(), project.files());
    assert_eq!(restored.chunks(), project.chunks());
    assert_eq!(restored.embedder_id(), project.embedder_id());
    for query in [
        "parse config",
        "http header",
        "triangle canvas",
        "area of a circle",
    ] {
        assert_eq!(
            render(&restored, query, &embedder, &top(5)),
            render(&project, query, &embedder, &top(5)),
            "{query}"
        );
    }
    // A restored index keeps working incrementally.
    let mut restored = restored;
    let (path, text) = FIXTURES[1];
    assert!(
        restored
            .index_file(path, text.as_bytes(), Some(&embedder))
            .unwrap()
            .unchanged
    );
    assert_eq!(snapshot::write(&restored), bytes);
}

#[test]
fn corrupted_truncated_or_foreign_snapshots_are_rejected() {
    let embedder = HashedEmbedder::default();
    let bytes = snapshot::write(&project(&embedder));
    assert_eq!(snapshot::read(b"").unwrap_err(), SnapshotError::Magic);
    assert_eq!(
        snapshot::read(b"{\"json\": true}").unwrap_err(),
        SnapshotError::Magic
    );
    let mut future = bytes.clone();
    future[8] = 99;
    assert_eq!(
        snapshot::read(&future).unwrap_err(),
        SnapshotError::Version { found: 99 }
    );
    // Every truncation and every single-byte flip is caught (by length checks or the CRC).
    for len in 0..bytes.len() {
        assert!(snapshot::read(&bytes[..len]).is_err(), "truncated at {len}");
    }
    for at in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[at] ^= 0x5a;
        assert!(snapshot::read(&bad).is_err(), "flip at {at}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(snapshot::read(&longer).is_err());
}

#[cfg(feature = "hnsw")]
#[test]
fn hnsw_graph_serves_queries_and_follows_edits() {
    use engine::search::hnsw::HnswConfig;
    let embedder = HashedEmbedder::default();
    let mut project = project(&embedder);
    let below = HnswConfig {
        crossover: 1000,
        ..HnswConfig::default()
    };
    assert!(!project.build_ann(below), "no graph below the crossover");
    let config = HnswConfig {
        crossover: 1,
        ..HnswConfig::default()
    };
    let before = render(&project, "parse config file", &embedder, &top(3));
    assert!(project.build_ann(config));
    assert_eq!(
        render(&project, "parse config file", &embedder, &top(3)),
        before
    );
    // An edit after the build is served from the exact delta, a removal is tombstoned.
    let (path, text) = FIXTURES[0];
    let edited = text.replace("parse_config", "load_yaml_config");
    project
        .index_file(path, edited.as_bytes(), Some(&embedder))
        .unwrap();
    assert!(project.remove_file("src/http.rs"));
    let vector_only = SearchOptions {
        mode: SearchMode::Vector,
        ..top(10)
    };
    let hits = project
        .search("load yaml config", Some(&embedder), &vector_only)
        .unwrap();
    assert_eq!(
        hits[0].chunk.qualified_name.as_deref(),
        Some("load_yaml_config")
    );
    assert!(hits.iter().all(|h| h.chunk.path != "src/http.rs"));
    assert!(project.ann_needs_rebuild());
}
