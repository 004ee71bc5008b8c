//! The docstring-query sets of `eval`: functions with docstrings extracted from fetched packages
//! (library sources only), each docstring's first sentence a query for its function, one set per
//! language plus their union. Which packages feed which set, and which files count, lives here;
//! the extraction and the tune/report halves are [`lab::docstring`]'s.

use std::path::Path;

use anyhow::Result;
use engine::ChunkConfig;
use lab::docstring::{DocstringSet, Half, extract_functions};

use super::dataset::{Dataset, Doc, Query};
use super::files_under;

/// The docstring-query sets: which fetched package folders feed which set, and which files count
/// (library sources only: no tests, docs, bundles, minified or generated files). None of these
/// packages is among those the static table is trained on, so its scores here are held out.
const DOCSTRING_SOURCES: &[(&str, &str)] = &[
    ("python", "requests/requests-2.32.3/src/requests"),
    ("python", "boltons/boltons-24.1.0/boltons"),
    ("javascript", "lodash/package"),
    ("typescript", "rxjs/package/src/internal"),
    (
        "go",
        "testify/usr/share/gocode/src/github.com/stretchr/testify",
    ),
];

fn counts_as_library_source(path: &Path, root: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path).to_string_lossy();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let test_like = rel.split('/').any(|part| {
        matches!(
            part,
            "tests" | "test" | "docs" | "examples" | "_codegen" | "fp"
        )
    }) || name.ends_with("_test.go")
        || name.starts_with("test_");
    // lodash ships every function twice: in its own module and in the lodash.js/core.js bundles.
    let bundle = matches!(name.as_ref(), "lodash.js" | "core.js") || name.ends_with(".min.js");
    let source = [".py", ".js", ".ts", ".go"]
        .iter()
        .any(|e| name.ends_with(e))
        && !name.ends_with(".d.ts");
    source && !test_like && !bundle
}

/// Builds the per-language docstring sets (and their union) from the fetched packages.
pub(super) fn datasets(corpus: &Path, notes: &mut Vec<String>) -> Result<Vec<Dataset>> {
    let mut by_set: Vec<(&str, Vec<lab::docstring::Function>)> = Vec::new();
    let config = ChunkConfig::default();
    for (set, folder) in DOCSTRING_SOURCES {
        let root = corpus.join(folder);
        if !root.is_dir() {
            notes.push(format!(
                "docstring set {set}: {} missing (run `cargo xtask bench retrieval` to fetch it)",
                root.display()
            ));
            continue;
        }
        let mut files = Vec::new();
        files_under(&root, &mut files)?;
        let package = folder.split('/').next().unwrap_or(folder);
        let mut functions = Vec::new();
        for file in files.iter().filter(|f| counts_as_library_source(f, &root)) {
            let bytes = std::fs::read(file)?;
            if bytes.len() > 512 * 1024 || is_generated(&bytes) {
                continue;
            }
            let rel = file.strip_prefix(&root).unwrap_or(file).to_string_lossy();
            functions.extend(extract_functions(
                &format!("{package}/{rel}"),
                &bytes,
                &config,
            ));
        }
        match by_set.iter_mut().find(|(s, _)| s == set) {
            Some((_, all)) => all.extend(functions),
            None => by_set.push((set, functions)),
        }
    }
    let mut datasets = Vec::new();
    let mut union = Dataset {
        name: "docstrings (all)".into(),
        docs: Vec::new(),
        queries: Vec::new(),
    };
    for (set, functions) in by_set {
        let set_data = DocstringSet::from_functions(functions);
        let dataset = to_dataset(&format!("docstrings {set}"), &set_data);
        let offset = union.docs.len();
        for d in &dataset.docs {
            union.docs.push(Doc {
                name: d.name.clone(),
                qualified_name: d.qualified_name.clone(),
                path: d.path.clone(),
                body: d.body.clone(),
                embed_text: d.embed_text.clone(),
            });
        }
        for q in &dataset.queries {
            union.queries.push(Query {
                text: q.text.clone(),
                target: q.target + offset,
                tune: q.tune,
                report: q.report,
            });
        }
        datasets.push(dataset);
    }
    if datasets.len() > 1 {
        datasets.push(union);
    }
    Ok(datasets)
}

/// Generated sources (Go's `// Code generated ... DO NOT EDIT.`) repeat hand-written docstrings.
fn is_generated(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]);
    head.contains("Code generated") && head.contains("DO NOT EDIT")
}

fn to_dataset(name: &str, set: &DocstringSet) -> Dataset {
    let tune = set.half(Half::Tune);
    let docs = set
        .documents
        .iter()
        .map(|f| Doc {
            name: f.name.clone(),
            qualified_name: f.qualified_name.clone(),
            path: f.path.clone(),
            body: f.text.clone(),
            // The same shape as engine::project::embedding_input.
            embed_text: format!("{} {}\n{}", f.path, f.qualified_name, f.text),
        })
        .collect();
    let queries = set
        .queries
        .iter()
        .map(|q| {
            let is_tune = tune.contains(q);
            Query {
                text: q.text.clone(),
                target: q.target,
                tune: is_tune,
                report: !is_tune,
            }
        })
        .collect();
    Dataset {
        name: name.to_string(),
        docs,
        queries,
    }
}
