//! The training texts of `fit-table`: every chunk of the source files under the training folders,
//! as the index embeds it, plus each docstring's first sentence, so both code tokens and the words
//! of natural-language queries get trained. Generated, bundled and data files are left out, and
//! the texts are deduplicated and sampled evenly so a run is the same every time.

use std::path::PathBuf;

use anyhow::Result;
use engine::project::embedding_input;
use syntax::{ChunkConfig, Language, chunk_file};

/// Source files whose path marks them as generated or bundled copies, or as data (moment's
/// hundreds of near-identical locale files), are left out of the training texts.
fn skipped_path(path: &str) -> bool {
    path.ends_with(".min.js")
        || ["/dist/", "/locale/", "/locales/", "/min/", "/bundles/"]
            .iter()
            .any(|part| path.contains(part))
}

/// Chunks every source file under `roots` and returns the distinct training texts in a stable
/// order: each chunk's embedding input, then its docstring's first sentence.
pub(super) fn training_texts(roots: &[PathBuf], max_texts: usize) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let config = ChunkConfig::default();
    for root in roots {
        let mut paths = Vec::new();
        for entry in ignore::WalkBuilder::new(root).build() {
            let entry = entry?;
            if entry.file_type().is_some_and(|t| t.is_file()) {
                paths.push(entry.into_path());
            }
        }
        paths.sort();
        for path in paths {
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            if skipped_path(&format!("/{relative}")) {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            if bytes.len() > 300_000 {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            if Language::detect(&relative, &text).is_none() {
                continue;
            }
            for chunk in chunk_file(&relative, &bytes, &config).chunks {
                let sentence = chunk.docstring.as_deref().and_then(first_sentence);
                for candidate in std::iter::once(embedding_input(&chunk)).chain(sentence) {
                    if seen.insert(candidate.clone()) {
                        texts.push(candidate);
                    }
                }
            }
        }
    }
    if texts.len() > max_texts {
        let step = texts.len() as f64 / max_texts as f64;
        texts = (0..max_texts)
            .map(|i| std::mem::take(&mut texts[(i as f64 * step) as usize]))
            .collect();
    }
    Ok(texts)
}

/// The first sentence of a docstring or doc comment, as a user might phrase a query: comment
/// markers and tag lines (`@param`) dropped, whitespace collapsed, cut at the first full stop.
/// `None` when fewer than three words remain.
fn first_sentence(doc: &str) -> Option<String> {
    let mut words = Vec::new();
    for line in doc.lines() {
        let line = line
            .trim()
            .trim_start_matches("/**")
            .trim_start_matches("///")
            .trim_start_matches("//")
            .trim_start_matches('*')
            .trim_end_matches("*/")
            .trim()
            .trim_matches(|c| c == '"' || c == '\'');
        if line.is_empty() {
            if words.is_empty() {
                continue;
            }
            break;
        }
        if line.starts_with('@') || line.starts_with(':') {
            break;
        }
        words.extend(line.split_whitespace().map(str::to_owned));
    }
    let mut sentence = words.join(" ");
    if let Some(end) = sentence.find(". ") {
        sentence.truncate(end + 1);
    }
    (sentence.split_whitespace().count() >= 3).then_some(sentence)
}
