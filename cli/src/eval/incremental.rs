//! `eval`'s incremental-indexing measurement: what a host feels when a file changes in a large
//! project (≥ 100k lines, the fetched packages topped up with CoSQA functions): re-indexing one
//! edited file, one unchanged file, and writing and restoring the snapshot. It goes through the
//! engine's full project path (chunking, BM25, hashed vectors) so nothing is measured in
//! isolation that the product would not do.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use engine::embed::hashed::HashedEmbedder;
use lab::cosqa::Cosqa;

use super::files_under;

/// Indexes every source file of the fetched packages (topped up with CoSQA functions, one file
/// each, until the project has at least 100k lines) through the full project path: tree-sitter
/// chunking, BM25 and hashed vectors. Then times what a host feels: re-indexing one edited file,
/// an unchanged file, snapshot size, write and restore.
pub(super) fn measure(corpus: &Path, cosqa: &Cosqa) -> Result<String> {
    use engine::project::Project;
    const MIN_LINES: usize = 100_000;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    if corpus.is_dir() {
        let mut paths = Vec::new();
        files_under(corpus, &mut paths)?;
        for path in paths {
            let name = path.to_string_lossy();
            let code = [".py", ".js", ".ts", ".go", ".c", ".h"]
                .iter()
                .any(|e| name.ends_with(e));
            if !code || name.ends_with(".min.js") {
                continue;
            }
            let bytes = std::fs::read(&path)?;
            if bytes.len() <= 512 * 1024 {
                let rel = path.strip_prefix(corpus).unwrap_or(&path);
                files.push((rel.to_string_lossy().into_owned(), bytes));
            }
        }
    }
    let lines_of = |files: &[(String, Vec<u8>)]| -> usize {
        files
            .iter()
            .map(|(_, b)| b.iter().filter(|&&c| c == b'\n').count())
            .sum()
    };
    let mut lines = lines_of(&files);
    let mut round = 0;
    while lines < MIN_LINES {
        for (i, code) in cosqa.code.iter().enumerate() {
            files.push((format!("cosqa{round}/{i}.py"), code.clone().into_bytes()));
            lines += code.lines().count();
        }
        round += 1;
    }
    let embedder = HashedEmbedder::default();
    let mut project = Project::default();
    let t = Instant::now();
    for (path, bytes) in &files {
        project.index_file(path, bytes, Some(&embedder))?;
    }
    let build = t.elapsed();
    // Edit 100 files spread over the project: append a statement-level comment line, which
    // changes the file hash and the last chunk's text.
    let step = (files.len() / 100).max(1);
    let sample: Vec<&(String, Vec<u8>)> = files.iter().step_by(step).take(100).collect();
    let mut edit_times = Vec::new();
    for (path, bytes) in &sample {
        let mut edited = bytes.clone();
        edited.extend_from_slice(b"\n// edited by the benchmark\n");
        let t = Instant::now();
        project.index_file(path, &edited, Some(&embedder))?;
        edit_times.push(t.elapsed());
    }
    let mut unchanged_times = Vec::new();
    for (path, bytes) in &sample {
        let mut edited = bytes.clone();
        edited.extend_from_slice(b"\n// edited by the benchmark\n");
        let t = Instant::now();
        project.index_file(path, &edited, Some(&embedder))?;
        unchanged_times.push(t.elapsed());
    }
    let file_lines: Vec<usize> = sample
        .iter()
        .map(|(_, b)| b.iter().filter(|&&c| c == b'\n').count())
        .collect();
    let t = Instant::now();
    let bytes = engine::snapshot::write(&project);
    let write = t.elapsed();
    let t = Instant::now();
    let restored = engine::snapshot::read(&bytes)?;
    let restore = t.elapsed();
    Ok(format!(
        "incremental (release build numbers only; CPU shared, timings noisy): project of {} files, \
         {lines} lines, {} chunks indexed in {build:.2?} (chunk + BM25 + hashed vectors).\n\
         re-index one edited file (100 files of median {} lines): median {:.2?}, p90 {:.2?}, max {:.2?}; \
         unchanged file: median {:.2?}.\n\
         snapshot: {} bytes ({} bytes per chunk), written in {write:.2?}, restored in {restore:.2?}.",
        restored.files(),
        restored.chunks(),
        median_usize(&file_lines),
        percentile(&mut edit_times, 0.5),
        percentile(&mut edit_times, 0.9),
        percentile(&mut edit_times, 1.0),
        percentile(&mut unchanged_times, 0.5),
        bytes.len(),
        bytes.len() / restored.chunks().max(1),
    ))
}

/// The `p`-quantile (0..=1) of `times`, nearest rank; sorts `times` in place.
fn percentile(times: &mut [Duration], p: f64) -> Duration {
    if times.is_empty() {
        return Duration::ZERO;
    }
    times.sort_unstable();
    let i = ((times.len() - 1) as f64 * p).round() as usize;
    times[i]
}

/// The upper median of `values` (0 when empty).
fn median_usize(values: &[usize]) -> usize {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}
